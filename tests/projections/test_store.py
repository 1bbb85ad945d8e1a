"""The journal store keeps every value exactly, on SQLite and PostgreSQL (binary COPY included)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking

from domain.application import Ledger
from projections.queries import lines, sums
from projections.store import JournalStore, TrackingMoved, open_store

AGREEMENT = uuid4()
HELSINKI_SUMMER = timezone(timedelta(hours=3))


@pytest.fixture
def store(ledger: Ledger) -> Iterator[JournalStore]:
    journal = open_store(ledger)
    yield journal
    journal.close()


def test_lines_come_back_exactly_as_written(store: JournalStore) -> None:
    entry, party = uuid4(), uuid4()
    written = [
        (7, 1, entry, AGREEMENT, party, "receivable", 123_456_789_012_345, date(1999, 12, 31),
         datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC), "Sopimus.MaksuSaapui"),
        (7, 2, entry, AGREEMENT, None, "cash", -123_456_789_012_345, date(2031, 2, 28),
         datetime(2031, 2, 28, 12, 0, 0, 1, tzinfo=HELSINKI_SUMMER), "Sopimus.MaksuSaapuiÄö"),
    ]
    store.commit([store.encode(*row) for row in written], Tracking("ledger", 7), 0)
    read = lines(store, AGREEMENT)
    assert [(line.position, line.line_no, line.entry_id, line.agreement_id, line.party_id, line.account,
             line.amount, line.business_date, line.recorded_at, line.event_type) for line in read] == [
        (*row[:6], Decimal(row[6]) / 100, *row[7:]) for row in written]
    assert read[1].recorded_at == datetime(2031, 2, 28, 9, 0, 0, 1, tzinfo=UTC)
    assert store.position() == 7 and store.count_lines() == 2
    assert sums(store, AGREEMENT, as_of=date(2000, 1, 1)) == {
        ("receivable", party): Decimal("1234567890123.45")}
    assert sums(store, AGREEMENT, as_of=date(2000, 1, 1),
                known_at=datetime(1999, 12, 31, 23, 59, 59, 999_998, tzinfo=UTC)) == {}


def test_a_batch_is_refused_whole_if_the_position_moved(store: JournalStore) -> None:
    row = (3, 1, uuid4(), AGREEMENT, None, "cash", 100, date(2025, 1, 1), datetime.now(UTC), "T")
    store.commit([store.encode(*row)], Tracking("ledger", 3), 0)
    with pytest.raises(TrackingMoved):
        store.commit([store.encode(5, *row[1:])], Tracking("ledger", 5), 0)  # read after 0, but it is at 3
    assert store.position() == 3 and store.count_lines() == 1
    store.reset()
    assert store.position() == 0 and store.count_lines() == 0


def test_sums_of_an_unknown_agreement_are_empty(store: JournalStore) -> None:
    assert sums(store, UUID(int=0), as_of=date(2025, 1, 1)) == {}
    assert lines(store, UUID(int=0)) == []
