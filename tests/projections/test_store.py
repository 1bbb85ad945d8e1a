"""The journal store keeps every value exactly, on SQLite and PostgreSQL (binary COPY included)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking

from domain.application import Ledger
from domain.kernel.money import from_cents
from projections.journal.entries import JournalEntry, JournalLine
from projections.journal.balances import moves_of
from projections.journal.queries import lines, sums
from projections.journal.store import JournalStore, TrackingMoved, open_store

AGREEMENT = uuid4()
HELSINKI_SUMMER = timezone(timedelta(hours=3))


@pytest.fixture
def store(ledger: Ledger) -> Iterator[JournalStore]:
    journal = open_store(ledger)
    yield journal
    journal.close()


def _entry(business_date: date, cents: int, party: UUID | None, event_type: str = "T") -> JournalEntry:
    amount = from_cents(cents)
    return JournalEntry(uuid4(), AGREEMENT, business_date, (JournalLine("receivable", party, amount),
                                                            JournalLine("cash", None, -amount)), event_type)


def test_lines_come_back_exactly_as_written(store: JournalStore) -> None:
    party = uuid4()
    early = _entry(date(1999, 12, 31), 123_456_789_012_345, party, "Sopimus.MaksuSaapui")
    late = _entry(date(2031, 2, 28), -1, None, "Sopimus.MaksuPalautettiinÄö")
    early_at = datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    late_at = datetime(2031, 2, 28, 12, 0, 0, 1, tzinfo=HELSINKI_SUMMER)
    rows: list[object] = []
    store.add_entry(rows, 7, 1, early, early_at)
    store.add_entry(rows, 9, 3, late, late_at)  # lines 1 and 2 of event 9 were another entry's
    store.commit(rows, Tracking("ledger", 9), 0, (), [*moves_of(7, [early]), *moves_of(9, [late])])
    read = [(line.position, line.line_no, line.entry_id, line.agreement_id, line.party_id, line.account,
             line.amount, line.business_date, line.recorded_at, line.event_type)
            for line in lines(store, AGREEMENT)]
    assert read == [
        (7, 1, early.entry_id, AGREEMENT, party, "receivable", Decimal("1234567890123.45"),
         date(1999, 12, 31), early_at, "Sopimus.MaksuSaapui"),
        (7, 2, early.entry_id, AGREEMENT, None, "cash", Decimal("-1234567890123.45"),
         date(1999, 12, 31), early_at, "Sopimus.MaksuSaapui"),
        (9, 3, late.entry_id, AGREEMENT, None, "receivable", Decimal("-0.01"),
         date(2031, 2, 28), late_at, "Sopimus.MaksuPalautettiinÄö"),
        (9, 4, late.entry_id, AGREEMENT, None, "cash", Decimal("0.01"),
         date(2031, 2, 28), late_at, "Sopimus.MaksuPalautettiinÄö")]
    assert read[2][8] == datetime(2031, 2, 28, 9, 0, 0, 1, tzinfo=UTC)
    assert store.position() == 9 and store.count_lines() == 4
    assert sums(store, AGREEMENT, as_of=date(2000, 1, 1)) == {
        ("cash", None): Decimal("-1234567890123.45"), ("receivable", party): Decimal("1234567890123.45")}
    assert sums(store, AGREEMENT, as_of=date(2000, 1, 1),
                known_at=datetime(1999, 12, 31, 23, 59, 59, 999_998, tzinfo=UTC)) == {}
    store.tidy()  # what a long catch-up ends with: the lines are all still there
    assert store.count_lines() == 4 and len(lines(store, AGREEMENT)) == 4


def test_a_batch_is_refused_whole_if_the_position_moved(store: JournalStore) -> None:
    rows: list[object] = []
    store.add_entry(rows, 3, 1, _entry(date(2025, 1, 1), 100, None), datetime.now(UTC))
    store.commit(rows, Tracking("ledger", 3), 0)
    more: list[object] = []
    store.add_entry(more, 5, 1, _entry(date(2025, 1, 1), 100, None), datetime.now(UTC))
    with pytest.raises(TrackingMoved):
        store.commit(more, Tracking("ledger", 5), 0)  # read after 0, but the journal is at 3
    assert store.position() == 3 and store.count_lines() == 2
    store.reset()
    assert store.position() == 0 and store.count_lines() == 0


def test_sums_of_an_unknown_agreement_are_empty(store: JournalStore) -> None:
    assert sums(store, UUID(int=0), as_of=date(2025, 1, 1)) == {}
    assert lines(store, UUID(int=0)) == []
