"""The journal's data model: every entry balances to the cent, whatever the lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.kernel.money import MAX_ABS_CENTS, from_cents
from projections.journal.entries import JournalEntry, JournalLine, entry_id_of

AGREEMENT = UUID("7f58545a-dc83-577d-84f6-be353ae0c39d")
PARTY = UUID("c12755a9-c9ad-5a91-9e74-336d542e12fb")
DAY = date(2025, 9, 1)


def _entry(*lines: JournalLine) -> JournalEntry:
    return JournalEntry(entry_id=uuid4(), agreement_id=AGREEMENT, business_date=DAY, lines=lines,
                        event_type="Test")


def test_a_balanced_entry_is_accepted_and_keeps_cents() -> None:
    entry = _entry(JournalLine.debit("receivable", Decimal("12500.00"), PARTY),
                   JournalLine.credit("funding_invoiced", Decimal("12500.00")))
    assert [line.cents for line in entry.lines] == [1_250_000, -1_250_000]


def test_an_unbalanced_entry_is_refused() -> None:
    with pytest.raises(AssertionError, match="does not balance: its lines sum to 0.01"):
        _entry(JournalLine.debit("receivable", Decimal("100.01"), PARTY),
               JournalLine.credit("funding_invoiced", Decimal("100.00")))


@pytest.mark.parametrize("amount", [Decimal("0.001"), Decimal("1E-3"), Decimal("NaN"), Decimal("Infinity"),
                                    from_cents(MAX_ABS_CENTS)])
def test_a_line_not_in_whole_cents_or_out_of_range_is_refused(amount: Decimal) -> None:
    with pytest.raises(AssertionError):
        JournalLine("receivable", PARTY, amount)


@pytest.mark.parametrize("account", ["", "Receivable", "1st", "receivable-2", "a" * 65, None])
def test_an_account_name_outside_the_chart_pattern_is_refused(account: object) -> None:
    with pytest.raises(AssertionError):
        JournalLine(account, None, Decimal("1.00"))  # type: ignore[arg-type]


def test_a_one_line_entry_a_negative_debit_and_a_float_are_refused() -> None:
    with pytest.raises(AssertionError):
        _entry(JournalLine("suspense", None, Decimal("0.00")))
    with pytest.raises(AssertionError):
        JournalLine.debit("receivable", Decimal("-1.00"), PARTY)
    with pytest.raises(AssertionError):
        JournalLine("receivable", PARTY, 1.5)  # type: ignore[arg-type]


def test_entry_ids_are_the_same_for_the_same_event_and_number_only() -> None:
    event = SimpleNamespace(originator_id=AGREEMENT, originator_version=7)
    later = SimpleNamespace(originator_id=AGREEMENT, originator_version=8)
    assert entry_id_of(event) == entry_id_of(event)
    assert len({entry_id_of(event), entry_id_of(event, 1), entry_id_of(later)}) == 3


ACCOUNTS = st.sampled_from(["receivable", "cash", "funding_invoiced", "spending", "refunds_payable"])
PARTIES = st.one_of(st.none(), st.uuids())
CENTS = st.integers(min_value=-10**12, max_value=10**12)


@st.composite
def balanced_entries(draw: st.DrawFn) -> JournalEntry:
    """1 to 20 random lines and as many balancing lines, which sum to minus the first ones."""
    lines = [JournalLine(draw(ACCOUNTS), draw(PARTIES), from_cents(draw(CENTS)))
             for _ in range(draw(st.integers(1, 20)))]
    rest = -sum(line.cents for line in lines)
    # Split the balance over 1 to 5 lines at random points, so the balancing side varies too.
    cuts = sorted(draw(st.lists(st.integers(min(rest, 0), max(rest, 0)), max_size=4)))
    bounds = [0 if rest >= 0 else rest, *cuts, rest if rest >= 0 else 0]
    parts = [b - a for a, b in zip(bounds, bounds[1:], strict=False)]
    parts = parts if rest >= 0 else [-p for p in parts]
    lines += [JournalLine(draw(ACCOUNTS), draw(PARTIES), from_cents(part)) for part in parts]
    if len(lines) < 2:
        lines.append(JournalLine("cash", None, Decimal("0.00")))
    return _entry(*lines)


@given(st.lists(balanced_entries(), min_size=1, max_size=10))
def test_random_balanced_entries_sum_to_zero_each_and_in_total(entries: list[JournalEntry]) -> None:
    for entry in entries:
        assert sum(line.amount for line in entry.lines) == 0
    assert sum(line.cents for entry in entries for line in entry.lines) == 0
    assert sum(line.amount for entry in entries for line in entry.lines) == Decimal("0.00")


@given(balanced_entries(), st.integers(-10**6, 10**6).filter(bool))
def test_any_entry_put_off_balance_by_any_cents_is_refused(entry: JournalEntry, cents: int) -> None:
    first = entry.lines[0]
    tilted = JournalLine(first.account, first.party_id, first.amount + from_cents(cents))
    with pytest.raises(AssertionError, match="does not balance"):
        _entry(tilted, *entry.lines[1:])
