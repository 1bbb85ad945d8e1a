"""Sums over the journal as of a business date and as known at an instant; pages of lines."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.application import Ledger
from projections.journal.queries import MAX_PAGE, START, account_total, lines, sums
from projections.journal.runner import JournalRunner
from tests.projections.postings import accede, commitments, open_agreement


@pytest.fixture
def runner(ledger: Ledger) -> Iterator[JournalRunner]:
    with JournalRunner(ledger, commitments) as journal:
        yield journal


def test_as_of_counts_only_lines_dated_on_or_before_it(ledger: Ledger, runner: JournalRunner) -> None:
    agreement = open_agreement(ledger)
    early, = accede(ledger, agreement, [100], signed_on=date(2025, 2, 1))
    late, = accede(ledger, agreement, [10], first=1, signed_on=date(2025, 6, 30))
    runner.catch_up()
    assert sums(runner.store, agreement, as_of=date(2025, 1, 31)) == {}
    assert sums(runner.store, agreement, as_of=date(2025, 6, 29)) == {
        ("funding_committed", None): Decimal("-5000.00"), ("receivable_committed", early): Decimal("5000.00")}
    on_the_day = sums(runner.store, agreement, as_of=date(2025, 6, 30))
    assert on_the_day[("receivable_committed", late)] == Decimal("500.00")
    assert account_total(on_the_day, "funding_committed") == Decimal("-5500.00")
    assert account_total(on_the_day, "receivable_committed") == Decimal("5500.00")


def test_known_at_leaves_out_a_back_dated_event_recorded_later(ledger: Ledger, runner: JournalRunner) -> None:
    agreement = open_agreement(ledger)
    accede(ledger, agreement, [100], signed_on=date(2025, 6, 1))
    known = datetime.now(UTC)
    back_dated, = accede(ledger, agreement, [40], first=1, signed_on=date(2025, 3, 1))
    runner.catch_up()
    as_of = date(2025, 12, 31)
    then = sums(runner.store, agreement, as_of=as_of, known_at=known)
    now = sums(runner.store, agreement, as_of=as_of)
    assert ("receivable_committed", back_dated) not in then
    assert account_total(then, "funding_committed") == Decimal("-5000.00")
    assert now[("receivable_committed", back_dated)] == Decimal("2000.00")
    assert account_total(now, "funding_committed") == Decimal("-7000.00")
    # Before the back-dated business date it does not count, whenever it was recorded.
    assert sums(runner.store, agreement, as_of=date(2025, 2, 28)) == {}


def test_sums_keep_to_one_agreement(ledger: Ledger, runner: JournalRunner) -> None:
    first, second = open_agreement(ledger, "ONE"), open_agreement(ledger, "TWO")
    accede(ledger, first, [1, 2])
    accede(ledger, second, [1000])
    runner.catch_up()
    assert account_total(sums(runner.store, first, as_of=date(2026, 1, 1)), "funding_committed") \
        == Decimal("-150.00")


def test_lines_come_a_page_at_a_time_by_business_date_then_log_order(ledger: Ledger,
                                                                      runner: JournalRunner) -> None:
    agreement = open_agreement(ledger)
    accede(ledger, agreement, [1, 2, 3], signed_on=date(2025, 5, 1))
    accede(ledger, agreement, [4, 5], first=3, signed_on=date(2025, 2, 1))  # recorded later, dated earlier
    runner.catch_up()
    pages, after = [], START
    while page := lines(runner.store, agreement, after=after, limit=4):
        pages.append(page)
        after = page[-1].cursor
    assert [len(page) for page in pages] == [4, 4, 2]
    every = [line for page in pages for line in page]
    assert [line.cursor for line in every] == sorted({line.cursor for line in every})
    assert [line.business_date for line in every] == [date(2025, 2, 1)] * 4 + [date(2025, 5, 1)] * 6
    assert every[0].position < every[2].position and every[4].position < every[0].position
    assert [line.account for line in every[:2]] == ["receivable_committed", "funding_committed"]
    assert [line.amount for line in every[:2]] == [Decimal("200.00"), Decimal("-200.00")]
    assert sum(line.amount for line in every) == Decimal("0.00")
    assert every[0].recorded_at.tzinfo is not None


def test_a_page_larger_than_the_limit_is_refused(ledger: Ledger, runner: JournalRunner) -> None:
    with pytest.raises(AssertionError):
        lines(runner.store, open_agreement(ledger), limit=MAX_PAGE + 1)
