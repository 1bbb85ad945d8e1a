"""Refunds of remaining funding (R-FUND-2, R-FUND-3): paid only once the cooperation is dissolved, on a
passed steering decision taken after the dissolution.

While the agreement is in force, money left extends the work (R-FUND-1) and nothing is refunded. The
split itself is a figure over the journal (what each party paid, what remains); the ledger checks the
dissolution, the decision, the parties and the arithmetic, and records the refunds as one event.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.agreements.agreement import Agreement
from domain.kernel.errors import Conflict, InvalidInput
from domain.membership.rules import DecisionRef, status_on
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


def refund_exclusion(status: str, refund_to_withdrawn_parties: bool) -> str | None:
    """Why a party of this status on the refund date gets nothing back (R-FUND-2), or None if it shares.

    An expelled party never shares ("… ei tässä tapauksessa palauteta", seed 000 §17). A party that left
    by notice kept paying its share for the term (R-TERM-3) and shares by what it paid, unless the
    agreement's terms say otherwise.
    """
    if status == "expelled":
        return "expelled"
    if status == "withdrawn" and not refund_to_withdrawn_parties:
        return "withdrawn"
    return None


def check_dissolved(agreement: Agreement, as_of: date) -> date:
    """Refuse a refund before the cooperation is dissolved (R-FUND-2, R-FUND-3); returns the dissolution."""
    if agreement.dissolved_on is None or agreement.dissolved_on > as_of:
        raise Conflict(f"{agreement.code} is not dissolved by {as_of}: funding is refunded only when the "
                       "cooperation lapses; while it is in force, money left extends the work "
                       "(R-FUND-1, R-FUND-2, R-FUND-3)", code="agreement_not_dissolved")
    return agreement.dissolved_on


def check_refunds(agreement: Agreement, decision: DecisionRef | None, as_of: date, remaining: Decimal,
                  refunds: dict[UUID, Decimal]) -> list[dict[str, Any]]:
    """Refuse refunds before the dissolution, without a passed refund decision taken after it, to parties
    that get none (R-FUND-2), or that do not add up."""
    dissolved_on = check_dissolved(agreement, as_of)
    if decision is None or decision.kind != "refund" or not decision.passed or decision.decided_on > as_of:
        raise Conflict("a refund is paid only on a passed steering decision of kind refund taken by "
                       "the refund date (R-FUND-3)", code="refund_not_allowed")
    if decision.decided_on < dissolved_on:
        raise Conflict(f"the refund decision of {decision.decided_on} precedes the dissolution on "
                       f"{dissolved_on}; a refund needs a decision taken once the cooperation is dissolved "
                       "(R-FUND-3)", code="refund_not_allowed")
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
        excluded = refund_exclusion(status_on(party, as_of), agreement.rules.refund_to_withdrawn_parties)
        if excluded is not None and amount > 0:
            raise Conflict(f"{party['name']} is {excluded} and gets no refund (R-FUND-2)",
                           code="refund_not_allowed")
        if amount > 0:
            rows.append({"party_id": party["party_id"], "amount": amount})
    assert len(rows) <= len(refunds) and sum((r["amount"] for r in rows), ZERO) == remaining
    return rows
