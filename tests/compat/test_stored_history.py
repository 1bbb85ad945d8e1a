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
            assert differences(expected, found["agreements"][agreement_id][day]) == [], (path.stem, day)
    assert found["agreements"].keys() == history["expected"]["agreements"].keys()


def differences(expected: Any, found: Any, path: str = "") -> list[str]:
    """Where ``found`` serves a value other than ``expected``. Fields added since (api.md: extend, never
    break) are not differences; a field missing, or a list of another length, is."""
    if isinstance(expected, dict) and isinstance(found, dict):
        return [diff for key, value in expected.items()
                for diff in (differences(value, found[key], f"{path}.{key}") if key in found
                             else [f"{path}.{key}: missing"])]
    if isinstance(expected, list) and isinstance(found, list) and len(expected) == len(found):
        return [diff for index, (a, b) in enumerate(zip(expected, found))
                for diff in differences(a, b, f"{path}[{index}]")]
    return [] if expected == found else [f"{path}: {expected!r} then, {found!r} now"]


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
