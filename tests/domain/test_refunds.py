"""Refunds on the Agreement, without a store (R-FUND-1 … R-FUND-3): only a dissolved cooperation refunds,
on a passed refund decision taken after the dissolution; never to an expelled party; to a party that
left by notice as the agreement's terms say."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.agreements.agreement import Agreement
from domain.funding.refunds import check_refunds, refund_exclusion
from domain.kernel.errors import DomainError
from domain.membership.rules import DecisionRef

A, B = "0246246-0", "0201256-6"


def small(**terms: Any) -> tuple[Agreement, UUID, UUID]:
    agreement = Agreement.open(
        code="SMALL", title="Two parties", coordinator={"name": "Valtori", "business_id": "2574261-7"},
        starts_on=date(2025, 1, 1), ends_on=date(2027, 12, 31),
        cost_sharing={"model": "fixed_by_category", "categories": {"a": "600.00", "b": "400.00"}},
        instalments=[{"issue_on": date(2025, 1, 15), "share": "1"}],
        terms={"notice_months": 0, "minimum_commitment_months": 0, **terms})
    a = agreement.accede(name="Kela", business_id=A, signed_on=date(2025, 1, 1), category="a")
    b = agreement.accede(name="Helsinki", business_id=B, signed_on=date(2025, 1, 1), category="b")
    return agreement, a, b


def dissolve(agreement: Agreement, on: date) -> None:
    agreement.minute_decision(decision_id=uuid4(), kind="dissolution", passed=True, decided_on=on)


def refund_decision(agreement: Agreement, on: date, *, passed: bool = True) -> DecisionRef:
    return DecisionRef(uuid4(), agreement.id, "refund", passed, on, {})


def code(call: Any) -> str:
    with pytest.raises(DomainError) as err:
        call()
    return err.value.code


@pytest.mark.parametrize(("status", "to_leavers", "reason"), [
    ("active", True, None), ("notice_given", False, None), ("withdrawn", True, None),
    ("withdrawn", False, "withdrawn"), ("expelled", True, "expelled"), ("expelled", False, "expelled")])
def test_who_shares_in_a_refund(status: str, to_leavers: bool, reason: str | None) -> None:
    """R-FUND-2: never an expelled party; a party that left by notice as the terms say."""
    assert refund_exclusion(status, to_leavers) == reason


def test_nothing_is_refunded_before_the_dissolution_nor_on_a_decision_taken_before_it() -> None:
    """R-FUND-1, R-FUND-3: in force, money left extends the work; the decision must follow the dissolution."""
    agreement, a, b = small()
    refunds = {a: Decimal("60.00"), b: Decimal("40.00")}
    early = refund_decision(agreement, date(2026, 5, 1))
    assert code(lambda: check_refunds(agreement, early, date(2026, 6, 30), Decimal("100.00"), refunds)) == \
        "agreement_not_dissolved"
    dissolve(agreement, date(2026, 6, 1))
    assert code(lambda: check_refunds(agreement, early, date(2026, 5, 31), Decimal("100.00"), refunds)) == \
        "agreement_not_dissolved"  # not yet dissolved on the refund date
    assert code(lambda: check_refunds(agreement, early, date(2026, 6, 30), Decimal("100.00"), refunds)) == \
        "refund_not_allowed"
    failed = refund_decision(agreement, date(2026, 6, 1), passed=False)
    assert code(lambda: check_refunds(agreement, failed, date(2026, 6, 30), Decimal("100.00"), refunds)) == \
        "refund_not_allowed"
    rows = check_refunds(agreement, refund_decision(agreement, date(2026, 6, 1)), date(2026, 6, 30),
                         Decimal("100.00"), refunds)
    assert rows == [{"party_id": a, "amount": Decimal("60.00")}, {"party_id": b, "amount": Decimal("40.00")}]


@pytest.mark.parametrize("to_leavers", [True, False])
def test_a_party_that_left_by_notice_is_refunded_only_if_the_terms_say_so(to_leavers: bool) -> None:
    """R-FUND-2 (configurable per agreement): B gave notice and withdrew before the dissolution."""
    agreement, a, b = small(refund_to_withdrawn_parties=to_leavers)
    agreement.give_notice(b, given_on=date(2026, 3, 1), ground="organisation_changed")
    dissolve(agreement, date(2026, 6, 1))
    decision = refund_decision(agreement, date(2026, 6, 2))
    refunds = {a: Decimal("60.00"), b: Decimal("40.00")}
    if to_leavers:
        assert len(check_refunds(agreement, decision, date(2026, 6, 30), Decimal("100.00"), refunds)) == 2
    else:
        assert code(lambda: check_refunds(agreement, decision, date(2026, 6, 30), Decimal("100.00"),
                                          refunds)) == "refund_not_allowed"
        rows = check_refunds(agreement, decision, date(2026, 6, 30), Decimal("100.00"),
                             {a: Decimal("100.00"), b: Decimal("0.00")})
        assert rows == [{"party_id": a, "amount": Decimal("100.00")}]
