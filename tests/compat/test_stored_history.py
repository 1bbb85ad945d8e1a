"""Stores written before modules moved still load, and serve the same figures (style: register old topics)."""

from __future__ import annotations

from pathlib import Path

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
            assert found["agreements"][agreement_id][day] == expected, (path.stem, agreement_id, day)
    assert found["agreements"].keys() == history["expected"]["agreements"].keys()


def test_every_kept_history_topic_is_one_the_ledger_still_resolves() -> None:
    from eventsourcing.utils import resolve_topic

    import domain.application  # noqa: F401  (registers the old topics)

    topics = {row["topic"] for path in histories() for row in read_history(path)["events"]}
    assert len(topics) >= 35  # every event class the ledger had when the histories were kept
    for topic in topics:
        assert resolve_topic(topic).__qualname__ == topic.rpartition(":")[2]
