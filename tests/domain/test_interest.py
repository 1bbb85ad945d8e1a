"""Late-payment interest under the Interest Act 633/1982 (R-INV-6): reference rate + 7 pp, day by day,
actual days / 365, on what was unpaid at the start of each day after the due date."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.invoicing.interest import Debt, ReferenceRates, claim_lines, interest, reference_rate
from domain.kernel.errors import Conflict, InvalidInput
from domain.kernel.money import round_cents

D = Decimal
H2_2025 = [(date(2025, 7, 1), D("2.0"))]
ACROSS_NEW_YEAR = [(date(2025, 7, 1), D("2.0")), (date(2026, 1, 1), D("1.5"))]


def debt(amount: str, due_on: date, *settlements: tuple[date, str]) -> Debt:
    return Debt(amount=D(amount), due_on=due_on, settlements=tuple((on, D(a)) for on, a in settlements))


def test_12500_due_2025_09_22_paid_2025_10_22_at_2_percent_is_30_days_at_9_percent() -> None:
    """R-INV-6: the Interest Act's example: 12,500.00 × 9.0 % × 30 / 365 = 92.4657… → 92.47; the day of
    payment counts, the due date does not, and nothing runs after the payment."""
    paid = debt("12500.00", date(2025, 9, 22), (date(2025, 10, 22), "12500.00"))
    assert interest(paid, H2_2025, after=date(2025, 9, 22), through=date(2025, 12, 31)) == D("92.47")
    assert interest(paid, H2_2025, after=date(2025, 9, 22), through=date(2025, 10, 22)) == D("92.47")
    assert interest(paid, H2_2025, after=date(2025, 9, 22), through=date(2025, 9, 22)) == D("0.00")
    assert interest(paid, H2_2025, after=date(2025, 9, 22), through=date(2025, 9, 23)) == D("3.08")  # 1 day


def test_a_partial_payment_stops_interest_on_its_part_from_the_next_day() -> None:
    """R-INV-6, R-INV-4: 5,000.00 paid on 2025-10-07, the rest on 2025-10-22: 15 days on 12,500.00 and 15 on
    7,500.00 at 9 %: 27,000 / 365 = 73.97; split at 2025-10-07 (an interest invoice then) 46.23 + 27.74."""
    partly = debt("12500.00", date(2025, 9, 22), (date(2025, 10, 7), "5000.00"), (date(2025, 10, 22), "7500.00"))
    assert interest(partly, H2_2025, after=date(2025, 9, 22), through=date(2025, 10, 31)) == D("73.97")
    first = interest(partly, H2_2025, after=date(2025, 9, 22), through=date(2025, 10, 7))
    rest = interest(partly, H2_2025, after=date(2025, 10, 7), through=date(2025, 10, 31))
    assert (first, rest) == (D("46.23"), D("27.74"))


def test_a_credit_note_reduces_what_interest_runs_on() -> None:
    """R-INV-4, R-INV-6: 1,000.00 due 2025-09-22, 400.00 credited on 2025-09-30, nothing paid: 8 days on
    1,000.00 and 31 on 600.00 at 9 % to 2025-10-31: 2,394 / 365 = 6.56."""
    credited = debt("1000.00", date(2025, 9, 22), (date(2025, 9, 30), "400.00"))
    assert interest(credited, H2_2025, after=date(2025, 9, 22), through=date(2025, 10, 31)) == D("6.56")


def test_a_new_half_years_reference_rate_applies_from_its_first_day() -> None:
    """R-INV-6 (Interest Act §12): 10,000.00 due 2025-12-22: 9 days at 9.0 % in 2025 and 10 at 8.5 % from
    2026-01-01: (8,100 + 8,500) / 365 = 45.48, not 45.21 (all at 8.5 %) nor 49.32 (all at 9.0 %)."""
    late = debt("10000.00", date(2025, 12, 22))
    assert interest(late, ACROSS_NEW_YEAR, after=date(2025, 12, 22), through=date(2026, 1, 10)) == D("45.48")
    assert reference_rate(ACROSS_NEW_YEAR, date(2025, 12, 31)) == D("2.0")
    assert reference_rate(ACROSS_NEW_YEAR, date(2026, 1, 1)) == D("1.5")


def test_an_overpaid_invoice_accrues_nothing_after_payment_and_no_negative_interest() -> None:
    """R-INV-4: an overpayment is the party's credit; interest never turns negative."""
    over = debt("100.00", date(2025, 9, 22), (date(2025, 9, 22), "150.00"))
    assert interest(over, H2_2025, after=date(2025, 9, 22), through=date(2025, 12, 31)) == D("0.00")


def test_a_day_without_a_recorded_rate_is_refused() -> None:
    """R-INV-6: the claim cannot be computed over a half-year whose rate nobody recorded: 409."""
    with pytest.raises(Conflict) as refused:
        interest(debt("100.00", date(2025, 6, 20)), H2_2025, after=date(2025, 6, 20), through=date(2025, 7, 5))
    assert refused.value.code == "reference_rate_missing"


def test_claim_lines_start_after_what_was_invoiced_or_waived() -> None:
    """R-INV-6: an invoice whose interest was settled through 2025-10-07 claims only the days after it;
    one paid on time claims nothing and is left out."""
    partly = debt("12500.00", date(2025, 9, 22), (date(2025, 10, 7), "5000.00"), (date(2025, 10, 22), "7500.00"))
    on_time = debt("500.00", date(2025, 9, 22), (date(2025, 9, 20), "500.00"))
    invoices = [({"invoice_id": "a", "number": "X-2025-00001", "due_on": date(2025, 9, 22)}, partly),
                ({"invoice_id": "b", "number": "X-2025-00002", "due_on": date(2025, 9, 22)}, on_time)]
    lines = claim_lines(invoices, H2_2025, {"a": date(2025, 10, 7)}, date(2025, 10, 31))
    assert [(line["number"], line["after"], line["amount"]) for line in lines] == [
        ("X-2025-00001", date(2025, 10, 7), D("27.74"))]


def test_the_reference_rate_table_takes_half_years_and_corrections() -> None:
    """R-INV-6: rates are valid from 1 January or 1 July; recording a half-year again corrects it."""
    table = ReferenceRates()
    table.record(valid_from=date(2025, 7, 1), rate_pct=D("2.0"), recorded_on=date(2025, 7, 1))
    table.record(valid_from=date(2026, 1, 1), rate_pct=D("1.5"), recorded_on=date(2026, 1, 2))
    table.record(valid_from=date(2025, 7, 1), rate_pct=D("2.15"), recorded_on=date(2025, 7, 3))
    assert table.table() == [(date(2025, 7, 1), D("2.15")), (date(2026, 1, 1), D("1.5"))]
    assert [r["interest_rate"] for r in table.view()] == ["9.15", "8.5"]
    for valid_from, rate, code in ((date(2025, 3, 1), "2.0", "invalid_valid_from"),
                                   (date(2025, 1, 1), "30", "invalid_rate"),
                                   (date(2025, 1, 1), "2.0001", "invalid_rate")):
        with pytest.raises(InvalidInput) as refused:
            table.record(valid_from=valid_from, rate_pct=D(rate), recorded_on=date(2025, 1, 1))
        assert refused.value.code == code
    assert len(table.table()) == 2


@given(amount_cents=st.integers(min_value=1, max_value=10**11), days=st.integers(min_value=1, max_value=800),
       split=st.integers(min_value=0, max_value=800), paid_after=st.integers(min_value=0, max_value=800))
def test_interest_adds_up_over_any_split_and_stops_at_payment(amount_cents: int, days: int, split: int,
                                                              paid_after: int) -> None:
    """R-INV-6: invoicing the claim at any day and again later bills within a cent of claiming it at once
    (each part is rounded once); nothing accrues after a payment in full; and a single rate gives exactly
    amount × rate × days / 365."""
    due = date(2025, 9, 22)
    amount = D(amount_cents) / 100
    through = due + timedelta(days=days)
    cut = due + timedelta(days=min(split, days))
    late = debt(str(amount), due)
    whole = interest(late, ACROSS_NEW_YEAR, after=due, through=through)
    parts = (interest(late, ACROSS_NEW_YEAR, after=due, through=cut)
             + interest(late, ACROSS_NEW_YEAR, after=cut, through=through))
    assert abs(whole - parts) <= D("0.01")
    paid_on = due + timedelta(days=paid_after)
    paid = debt(str(amount), due, (paid_on, str(amount)))
    assert interest(paid, ACROSS_NEW_YEAR, after=due, through=max(paid_on, through)) == interest(
        paid, ACROSS_NEW_YEAR, after=due, through=paid_on)
    single = [(date(2025, 7, 1), D("2.0"))]
    short = due + timedelta(days=min(days, 100))  # within the half-year of the 2.0 % rate
    assert interest(late, single, after=due, through=short) == round_cents(
        Fraction(amount) * 9 * (short - due).days / 36500)
