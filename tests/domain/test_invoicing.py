"""What is due: instalments (R-INV-1, R-INV-2, R-TERM-3) and recharges (R-INV-5), without a database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.demo import DIGIONE, LYHTY, MANTYHARJU_HIRVENSALMI
from domain.agreements.agreement import Agreement
from domain.kernel.errors import InvalidInput
from domain.invoicing.invoices import payment_due_on
from domain.invoicing.schedule import (closed_periods, instalment_invoices, period_bounds, period_of,
                                       quarters_of, recharge_invoices)
from domain.kernel.money import ZERO
from domain.agreements.terms import Instalment, instalment_amounts
from tests.api.helpers import valid_business_ids


def build(seed: dict[str, Any], *, skip_late: bool = False) -> Agreement:
    agreement = Agreement.open(**seed["agreement"])
    for name, bid, signed_on, category, metric in seed["parties"]:
        if not (skip_late and signed_on > date(2025, 9, 1)):
            agreement.accede(name=name, business_id=bid, signed_on=signed_on, category=category,
                             metric=metric, key=seed.get("keys", {}).get(bid))
    return agreement


# Mäntyharju–Hirvensalmi as it was before its fixed key: shared by population, 6,300 : 2,100.
BY_POPULATION: dict[str, Any] = {
    "agreement": {**MANTYHARJU_HIRVENSALMI["agreement"],
                  "coordinator": {"name": "Mäntyharjun kunta", "business_id": "0165761-0", "is_party": True,
                                  "metric": 6300},
                  "cost_sharing": {"model": "proportional", "metric": "population"}},
    "parties": [("Hirvensalmen kunta", "0164384-1", date(2025, 9, 1), None, 2100)],
}


def total(invoice: Any) -> Decimal:
    return sum((line["amount"] for line in invoice.lines), ZERO)


def by_party(agreement: Agreement, as_of: date) -> dict[str, list[tuple[list[int], Decimal]]]:
    found: dict[str, list[tuple[list[int], Decimal]]] = {}
    for invoice in instalment_invoices(agreement, as_of):
        bid = agreement.party(invoice.party_id)["business_id"]
        found.setdefault(bid, []).append((invoice.instalments, total(invoice)))
    return found


def test_lyhty_first_run_bills_every_party_half_its_share() -> None:
    """R-INV-1, R-ACC-4: on 2025-09-01 each of the first cohort gets one invoice for instalment 1, half
    its share; Valtori, the coordinator, carries the state's 400,000.00 but never invoices itself."""
    agreement = build(LYHTY, skip_late=True)
    due = by_party(agreement, date(2025, 9, 1))
    shares = agreement.shares()
    assert len(due) == len(agreement.parties) - 1 == 8
    for party in agreement.parties_in_order():
        if not party["is_coordinator"]:
            assert due[party["business_id"]] == [([1], shares[party["party_id"]] / 2)]
    assert "2574261-7" not in due and shares[agreement.party_by_business_id("2574261-7")["party_id"]] == 400000
    assert due["0926151-4"] == [([1], Decimal("150000.00"))]
    assert instalment_invoices(agreement, date(2025, 8, 31)) == []


def test_late_joiner_of_2025_10_15_gets_instalment_1_at_once_and_2_with_the_others() -> None:
    """R-INV-2: Turun AMK accedes 2025-10-15, after the first invoice date, in 2025."""
    agreement = build(LYHTY)
    assert "2528160-3" not in by_party(agreement, date(2025, 10, 14))
    assert by_party(agreement, date(2025, 10, 15))["2528160-3"] == [([1], Decimal("2500.00"))]
    assert by_party(agreement, date(2026, 1, 15))["2528160-3"] == [([1], Decimal("2500.00")),
                                                                  ([2], Decimal("2500.00"))]


def test_late_joiner_of_2026_02_01_gets_one_invoice_for_both_instalments() -> None:
    """R-INV-2: both instalments are dated in its accession year or earlier."""
    agreement = build(LYHTY)
    agreement.accede(name="Turun yliopisto", business_id="0245896-3", signed_on=date(2026, 2, 1),
                     category="university")
    due = by_party(agreement, date(2026, 2, 1))["0245896-3"]
    assert due == [([1, 2], Decimal("10000.00"))]


def test_joiner_early_in_the_year_of_a_later_instalment_is_billed_it_at_once() -> None:
    """R-INV-2 read literally: an instalment dated later in the accession year joins the catch-up invoice."""
    agreement = build(LYHTY)
    agreement.accede(name="Turun yliopisto", business_id="0245896-3", signed_on=date(2026, 1, 5),
                     category="university")
    assert by_party(agreement, date(2026, 1, 5))["0245896-3"] == [([1, 2], Decimal("10000.00"))]


def test_digione_later_cities_catch_up_on_the_2021_instalment_and_follow_the_schedule() -> None:
    """R-INV-2 with three yearly instalments: Lahti accedes 2021-09-01."""
    agreement = build(DIGIONE)
    lahti = by_party(agreement, date(2023, 1, 13))["0149669-3"]
    share = agreement.shares()[agreement.party_by_business_id("0149669-3")["party_id"]]
    assert [numbers for numbers, _ in lahti] == [[1], [2], [3]]
    assert sum(amount for _, amount in lahti) == share == Decimal("550000.00")


def test_every_party_is_billed_its_share_exactly_over_all_instalments() -> None:
    """R-INV-1: a share split over the instalments sums to the share, to the cent."""
    for seed in (LYHTY, DIGIONE):
        agreement = build(seed)
        shares = agreement.shares()
        billed: dict[Any, Decimal] = {}
        for invoice in instalment_invoices(agreement, agreement.ends_on):
            billed[invoice.party_id] = billed.get(invoice.party_id, ZERO) + total(invoice)
        coordinator = agreement.party_by_business_id(agreement.coordinator["business_id"])["party_id"]
        assert billed == {pid: amount for pid, amount in shares.items() if amount and pid != coordinator}


@given(st.integers(1, 10**10), st.lists(st.integers(1, 50), min_size=1, max_size=24))
def test_instalment_split_sums_to_the_share(cents: int, weights: list[int]) -> None:
    share = Decimal(cents) / 100
    whole = sum(weights)
    plan = tuple(Instalment(date(2025, 1, 1), Fraction(w, whole)) for w in weights)
    amounts = instalment_amounts(share, plan)
    assert sum(amounts) == share
    assert all(a == a.quantize(Decimal("0.01")) for a in amounts)


def test_a_dissolved_agreement_is_not_invoiced() -> None:
    agreement = build(LYHTY)
    agreement.status = "dissolved"
    assert instalment_invoices(agreement, date(2026, 6, 1)) == []


# Recharges ---------------------------------------------------------------------------------------

def test_mantyharju_hirvensalmi_shared_staff_cost_invoices_hirvensalmi_its_quarter_and_the_host_nothing() -> None:
    """Seed 003 / R-INV-5, R-ACC-4: 10,000.00 of shared staff cost split 3 : 1 invoices Hirvensalmi
    2,500.00; Mäntyharju's 7,500.00 is the coordinator's own cost, never invoiced."""
    agreement = build(MANTYHARJU_HIRVENSALMI)
    entries = [{"amount": Decimal("10000.00"), "borne_by": None}]
    planned = recharge_invoices(agreement, "2025-Q4", entries)
    amounts = {agreement.party(p.party_id)["business_id"]: total(p) for p in planned}
    assert amounts == {"0164384-1": Decimal("2500.00")}


def test_own_purchase_falls_to_the_buyer_alone() -> None:
    """Seed 003: Hirvensalmi's own 20 devices are its cost only; shared travel is split by the key."""
    agreement = build(MANTYHARJU_HIRVENSALMI)
    hs = agreement.party_by_business_id("0164384-1")["party_id"]
    entries = [{"amount": Decimal("16000.00"), "borne_by": hs},
               {"amount": Decimal("1000.01"), "borne_by": None}]
    planned = {agreement.party(p.party_id)["business_id"]: p for p in recharge_invoices(
        agreement, "2026-H1", entries)}
    assert [line["amount"] for line in planned["0164384-1"].lines] == [Decimal("250.00"),
                                                                     Decimal("16000.00")]
    assert "0165761-0" not in planned  # its 750.01 is the coordinator's own cost (R-ACC-4)


def test_a_party_that_joined_after_the_period_is_not_in_its_key() -> None:
    agreement = build(BY_POPULATION)
    agreement.accede(name="Pertunmaan kunta", business_id=valid_business_ids(1)[0], signed_on=date(2026, 1, 2),
                     metric=1700)
    planned = recharge_invoices(agreement, "2025-Q4", [{"amount": Decimal("84.00"), "borne_by": None}])
    assert [(agreement.party(p.party_id)["business_id"], total(p)) for p in planned] == [
        ("0164384-1", Decimal("21.00"))]  # 84.00 × 2,100 / 8,400; the host's 63.00 is its own


@pytest.mark.parametrize(("day", "kind", "period", "first", "last"), [
    (date(2025, 10, 5), "quarter", "2025-Q4", date(2025, 10, 1), date(2025, 12, 31)),
    (date(2026, 3, 31), "quarter", "2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
    (date(2026, 7, 1), "half_year", "2026-H2", date(2026, 7, 1), date(2026, 12, 31)),
    (date(2026, 6, 30), "half_year", "2026-H1", date(2026, 1, 1), date(2026, 6, 30)),
])
def test_periods_have_the_right_bounds(day: date, kind: str, period: str, first: date, last: date
                                       ) -> None:
    assert period_of(day, kind) == period
    assert period_bounds(period) == (first, last)


def test_closed_periods_run_from_the_start_to_the_last_that_ended() -> None:
    assert closed_periods(date(2025, 9, 1), date(2026, 4, 1), "quarter") == ["2025-Q3", "2025-Q4",
                                                                            "2026-Q1"]
    assert closed_periods(date(2025, 9, 1), date(2025, 9, 30), "quarter") == []
    assert quarters_of("2026-H2") == ["2026-Q3", "2026-Q4"]


@pytest.mark.parametrize("bad", ["2025-Q5", "2025Q1", "2025-H3", "x", "2025-Q", "2025-X1"])
def test_malformed_period_is_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        period_bounds(bad)


@pytest.mark.parametrize("issued_on, term_days, due_on", [
    (date(2025, 12, 3), 21, date(2025, 12, 29)),  # Christmas Eve 2025-12-24 → Monday 29th
    (date(2025, 12, 10), 14, date(2025, 12, 29)),  # Christmas Eve again, with a 14-day term
    (date(2026, 6, 5), 14, date(2026, 6, 22)),  # Midsummer Eve 2026-06-19 → Monday 22nd
    (date(2026, 3, 13), 21, date(2026, 4, 7)),  # Good Friday 2026-04-03 → Tuesday 7th, after Easter
    (date(2025, 10, 11), 21, date(2025, 11, 3)),  # All Saints' Day on Saturday 2025-11-01 → Monday 3rd
    (date(2025, 12, 31), 0, date(2025, 12, 31)),  # New Year's Eve is a banking day
    (date(2025, 9, 1), 21, date(2025, 9, 22)),  # a Monday: nothing moves
])
def test_an_invoice_falls_due_on_a_banking_day(issued_on: date, term_days: int, due_on: date) -> None:
    """R-INV-3, R-INV-6: the payment term after the issue date, moved to the next Finnish banking day."""
    assert payment_due_on(issued_on, term_days) == due_on
