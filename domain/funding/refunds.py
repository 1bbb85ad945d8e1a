"""Refunds of remaining funding (R-FUND-2, R-FUND-3): paid only on a passed steering decision.

The split itself is a figure over the journal (what each party paid, what remains); the ledger
checks the decision, the parties and the arithmetic, and records the refunds as one event.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.agreements.agreement import Agreement
from domain.kernel.errors import Conflict, InvalidInput
from domain.membership.rules import DecisionRef
from domain.kernel.money import ZERO, fmt


class RefundRun(Aggregate):
    """The refunds paid on one refund decision; a decision pays out once."""

    @staticmethod
    def create_id(agreement_id: UUID, decision_id: UUID) -> UUID:
        return uuid5(agreement_id, f"refunds:{decision_id}")

    @event("RefundsIssued")
    def __init__(self, *, agreement_id: UUID, decision_id: UUID, as_of: date, remaining: Decimal,
                 refunds: list[dict[str, Any]]) -> None:
        self.agreement_id = agreement_id
        self.decision_id = decision_id
        self.as_of = as_of
        self.remaining = remaining
        self.refunds = refunds

    def view(self) -> dict[str, Any]:
        """The refunds as the API shows them."""
        return {"id": str(self.id), "decision_id": str(self.decision_id), "as_of": self.as_of,
                "remaining": fmt(self.remaining),
                "refunds": [{"party_id": str(r["party_id"]), "amount": fmt(r["amount"])} for r in self.refunds]}


def check_refunds(agreement: Agreement, decision: DecisionRef | None, as_of: date, remaining: Decimal,
                  refunds: dict[UUID, Decimal]) -> list[dict[str, Any]]:
    """Refuse refunds without a passed refund decision, to parties that left, or that do not add up."""
    if decision is None or decision.kind != "refund" or not decision.passed or decision.decided_on > as_of:
        raise Conflict("a refund is paid only on a passed steering decision of kind refund taken by "
                       "the refund date (R-FUND-3)", code="refund_not_allowed")
    if remaining <= 0 or not refunds or sum(refunds.values(), ZERO) != remaining:
        raise Conflict("nothing is left to refund above the threshold (R-FUND-2)", code="refund_not_allowed")
    unknown = set(refunds) - {party["party_id"] for party in agreement.parties_in_order()}
    if unknown:
        raise InvalidInput(f"no such parties: {', '.join(sorted(map(str, unknown)))}", code="invalid_party")
    rows = []
    for party in agreement.parties_in_order():
        amount = refunds.get(party["party_id"])
        if amount is None:
            continue
        if amount < 0:
            raise InvalidInput("a refund cannot be negative", code="invalid_amount")
        if not agreement.is_live_party(party["business_id"], as_of):
            raise Conflict(f"{party['name']} left the cooperation and gets no refund (R-FUND-2)",
                           code="refund_not_allowed")
        if amount > 0:
            rows.append({"party_id": party["party_id"], "amount": amount})
    assert len(rows) <= len(refunds) and sum((r["amount"] for r in rows), ZERO) == remaining
    return rows
