"""Stores written before modules moved still load, and serve the same figures (style: register old topics)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from domain.application import Ledger
from projections.journal.runner import JournalRunner
from projections.journal.store import open_store
from tests.compat.stored_history import histories, load_history, read_history, revised, served

pytestmark = pytest.mark.persistence


@pytest.mark.parametrize("path", histories(), ids=lambda path: path.stem)
def test_a_history_written_before_the_move_loads_and_serves_the_same_figures(ledger: Ledger, path: Path) -> None:
    history = read_history(path)
    load_history(ledger, history)
    with JournalRunner(ledger, store=open_store(ledger)) as runner:
        runner.catch_up()
        found = served(ledger, runner.store)
    assert found["aggregates"] == history["expected"]["aggregates"]
    for agreement_id, per_date in revised(history["expected"]["agreements"]).items():
        for day, expected in per_date.items():
            now = found["agreements"][agreement_id][day]
            assert differences(expected, now) == [], (path.stem, day)
            if "refund_preview" in expected:
                assert refund_rows_added(expected["refund_preview"], now["refund_preview"]) == [], (path.stem, day)
    assert found["agreements"].keys() == history["expected"]["agreements"].keys()


def differences(expected: Any, found: Any, path: str = "") -> list[str]:
    """Where ``found`` serves a value other than ``expected``. Fields added since (api.md: extend, never
    break) are not differences; a field missing, or a list of another length, is."""
    if isinstance(expected, dict) and isinstance(found, dict):
        return [diff for key, value in expected.items()
                for diff in (differences(value, found[key], f"{path}.{key}") if key in found
                             else [f"{path}.{key}: missing"])]
    if path.endswith("refund_preview.parties"):
        return []  # compared by party, with refund_rows_added
    if isinstance(expected, list) and isinstance(found, list) and len(expected) == len(found):
        return [diff for index, (a, b) in enumerate(zip(expected, found))
                for diff in differences(a, b, f"{path}[{index}]")]
    return [] if expected == found else [f"{path}: {expected!r} then, {found!r} now"]


def refund_rows_added(expected: dict[str, Any], found: dict[str, Any]) -> list[str]:
    """The refund preview's rows, by party: every row served then is served the same now. R-FUND-2, revised
    2026-11-29, lists a party that left by notice too (it paid for the term and shares by what it paid):
    a row added since is no difference while it refunds nothing, as no refund was possible then."""
    then = {row["party_id"]: row for row in expected["parties"]}
    now = {row["party_id"]: row for row in found["parties"]}
    found_diffs = [f"{pid}: {row!r} then, {now.get(pid)!r} now" for pid, row in then.items()
                   if differences(row, now.get(pid, {}))]
    return found_diffs + [f"{pid}: added with a refund of {row['refund']}" for pid, row in now.items()
                          if pid not in then and row["refund"] != "0.00"]


def test_a_refund_row_added_for_a_leaver_refunding_nothing_is_no_difference_and_a_refund_is() -> None:
    then = {"parties": [{"party_id": "a", "paid": "1.00", "refund": "0.00"}]}
    assert refund_rows_added(then, {"parties": [*then["parties"], {"party_id": "b", "paid": "2.00",
                                                                  "refund": "0.00"}]}) == []
    assert refund_rows_added(then, {"parties": [{"party_id": "b", "paid": "2.00", "refund": "2.00"}]}) == [
        "a: {'party_id': 'a', 'paid': '1.00', 'refund': '0.00'} then, None now", "b: added with a refund of 2.00"]


def test_a_field_changed_or_removed_is_a_difference_and_one_added_is_not() -> None:
    assert differences({"a": "1", "b": [{"c": 1}]}, {"a": "1", "b": [{"c": 1, "d": 2}], "e": 3}) == []
    assert differences({"a": "1"}, {"a": "2"}) == [".a: '1' then, '2' now"]
    assert differences({"a": "1"}, {}) == [".a: missing"]
    assert differences({"b": [1, 2]}, {"b": [1]}) == [".b: [1, 2] then, [1] now"]


def test_every_kept_history_topic_is_one_the_ledger_still_resolves() -> None:
    from eventsourcing.utils import resolve_topic

    import domain.application  # noqa: F401  (registers the old topics)

    topics = {row["topic"] for path in histories() for row in read_history(path)["events"]}
    assert len(topics) >= 35  # every event class the ledger had when the histories were kept
    for topic in topics:
        assert resolve_topic(topic).__qualname__ == topic.rpartition(":")[2]
