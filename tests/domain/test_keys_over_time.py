"""Keys that change over time and fixed keys (R-ACC-5), without a database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.agreements.agreement import Agreement
from domain.agreements.cost_sharing import parse_key
from domain.funding.amendments import plan_proposal
from domain.invoicing.schedule import recharge_invoices
from domain.kernel.errors import Conflict, InvalidInput
from tests.api.helpers import valid_business_ids


def fixed_key_agreement(*keys: str) -> Agreement:
    """Parties sharing costs by fixed keys, with a coordinator that is not a party (so all are invoiced)."""
    agreement = Agreement.open(code="FK", title="Fixed keys", coordinator={"name": "Kuntaliitto",
                                                                          "business_id": "0926151-4"},
                               starts_on=date(2025, 9, 1), ends_on=date(2028, 12, 31),
                               cost_sharing={"model": "fixed_key"}, instalments=[],
                               terms={"recharge_period": "quarter"})
    for bid, key in zip(valid_business_ids(len(keys)), keys, strict=True):
        agreement.accede(name=f"Kunta {bid}", business_id=bid, signed_on=date(2025, 9, 1), key=key)
    return agreement


@pytest.mark.parametrize(("text", "value"), [("3/4", Fraction(3, 4)), ("0.25", Fraction(1, 4)),
                                             (".5", Fraction(1, 2)), ("1", Fraction(1)), ("1/3", Fraction(1, 3))])
def test_a_fixed_key_reads_as_an_exact_fraction(text: str, value: Fraction) -> None:
    assert parse_key(text) == value


@pytest.mark.parametrize("bad", ["0", "0/3", "4/3", "1/0", "1.5", "-1/4", "3:4", "", "0.1234567"])
def test_a_fixed_key_outside_zero_to_one_or_malformed_is_refused(bad: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_key(bad)
    assert refused.value.code == "invalid_key"


@given(st.lists(st.integers(1, 1000), min_size=1, max_size=8), st.integers(1, 10**10))
def test_fixed_keys_split_a_shared_cost_exactly_by_largest_remainder(weights: list[int], cents: int) -> None:
    """R-ACC-5, R-ACC-3: keys summing to 1 split any amount so the parts sum to it exactly, each within a
    cent of its exact fraction."""
    whole = sum(weights)
    keys = [Fraction(w, whole) for w in weights]
    agreement = fixed_key_agreement(*(f"{k.numerator}/{k.denominator}" for k in keys))
    amount = Decimal(cents) / 100
    planned = recharge_invoices(agreement, "2025-Q4", [{"amount": amount, "borne_by": None}])
    parts = {p.party_id: sum((line["amount"] for line in p.lines), Decimal(0)) for p in planned}
    assert sum(parts.values(), Decimal(0)) == amount
    for party, key in zip(agreement.parties_in_order(), keys, strict=True):
        exact = Fraction(amount) * key
        assert abs(Fraction(parts.get(party["party_id"], Decimal(0))) - exact) < Fraction(1, 100)


def test_a_key_applies_from_the_first_period_it_is_in_force_and_earlier_periods_keep_theirs() -> None:
    """R-ACC-5: ½ : ½ to 2025-Q4, then ¾ : ¼ from 2026-01-01; 2025-Q4 planned after the update still splits
    in halves."""
    agreement = fixed_key_agreement("1/2", "1/2")
    first, second = (p["party_id"] for p in agreement.parties_in_order())
    agreement.update_key(second, value="1/4", effective_on=date(2026, 1, 1), decision=None)
    agreement.update_key(first, value="3/4", effective_on=date(2026, 1, 1), decision=None)
    entries = [{"amount": Decimal("100.00"), "borne_by": None}]
    q4, q1 = (recharge_invoices(agreement, period, entries) for period in ("2025-Q4", "2026-Q1"))
    assert [p.lines[0]["amount"] for p in q4] == [Decimal("50.00"), Decimal("50.00")]
    assert [p.lines[0]["amount"] for p in q1] == [Decimal("75.00"), Decimal("25.00")]


def test_a_fixed_key_update_that_would_pass_the_whole_is_refused() -> None:
    """R-ACC-5: raising one key before lowering the other would make 5/4: refused, nothing recorded."""
    agreement = fixed_key_agreement("1/2", "1/2")
    first = agreement.parties_in_order()[0]["party_id"]
    with pytest.raises(Conflict) as refused:
        agreement.update_key(first, value="3/4", effective_on=date(2026, 1, 1), decision=None)
    assert refused.value.code == "key_exceeds_whole"
    assert agreement.party(first)["key_updates"] == []


def test_an_amendment_total_is_split_by_the_key_in_force_on_its_date() -> None:
    """R-ACC-5, R-FUND-5: 1,000.00 of supplementary funding dated 2026-02-01, after the keys became ¾ : ¼ on
    2026-01-01, splits 750.00 : 250.00, not by the halves of the accession."""
    agreement = fixed_key_agreement("1/2", "1/2")
    first, second = (p["party_id"] for p in agreement.parties_in_order())
    agreement.update_key(second, value="1/4", effective_on=date(2026, 1, 1), decision=None)
    agreement.update_key(first, value="3/4", effective_on=date(2026, 1, 1), decision=None)
    facts = plan_proposal(agreement, decision=None, cites_decision=False, dated_on=date(2026, 2, 1),
                          total=Decimal("1000.00"), parties=None,
                          instalments=[{"issue_on": date(2026, 3, 1), "share": "1"}])
    assert facts["shares"] == {str(first): Decimal("750.00"), str(second): Decimal("250.00")}
