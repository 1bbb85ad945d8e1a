"""Grants from funders that are not parties (R-FUND-7): Business Finland, the Association of Finnish
Municipalities.

A grant is funding with a cap: a fixed maximum and, where the funder says so, a share of the eligible
costs (DigiOne2: at most 1,287,000 € and at most 50 % of eligible costs of 2,570,000 €, so the cap in
force is min(1,287,000.00, 1,285,000.00) = 1,285,000.00). It takes effect when the steering group
accepts it (a passed ``grant`` decision); eligible costs are reported to it and may only grow; a
payment the funder makes is refused if the payments would pass the cap in force on its date. The
grant's own-financing part is split among the parties by the agreement's key (Vantaa 231,660 € of
1,287,000 € where its key is 18 %).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.kernel.errors import Conflict, InvalidInput
from domain.kernel.identifiers import business_id as check_business_id
from domain.kernel.money import ZERO, fmt, parse_fraction, round_cents
from domain.membership.rules import DecisionRef

MAX_REPORTS = 200  # eligible-cost reports per grant
MAX_PAYMENTS = 500  # payments per grant
MAX_FUNDER_CHARS = 200
GRANT_KIND = "grant"


class Grant(Aggregate):
    """One grant to one agreement, accepted by one steering decision; its id follows from the decision."""

    @staticmethod
    def create_id(agreement_id: UUID, decision_id: UUID) -> UUID:
        return uuid5(agreement_id, f"grant:{decision_id}")

    @event("Accepted")
    def __init__(self, *, agreement_id: UUID, decision_id: UUID, accepted_on: date, funder: str,
                 business_id: str | None, maximum: Decimal, rate: str | None, eligible_costs: Decimal,
                 own_financing: Decimal | None) -> None:
        self.agreement_id = agreement_id
        self.decision_id = decision_id
        self.accepted_on = accepted_on
        self.funder = funder
        self.business_id = business_id
        self.maximum = maximum
        self.rate = rate  # a fraction as text ("1/2"), or None: the maximum alone caps the grant
        self.own_financing = own_financing
        self.reports: list[tuple[date, Decimal]] = [(accepted_on, eligible_costs)]
        self.payments: list[tuple[date, Decimal]] = []

    @classmethod
    def accept(cls, *, agreement_id: UUID, decision: DecisionRef | None, funder: str, business_id: str | None,
               maximum: Decimal, rate: str | None, eligible_costs: Decimal, own_financing: Decimal | None
               ) -> Grant:
        """A grant in effect from the steering group's acceptance: a passed ``grant`` decision of this
        agreement, which, if it names a ``maximum``, names this one."""
        name = funder.strip() if isinstance(funder, str) else ""
        if not name or len(name) > MAX_FUNDER_CHARS:
            raise InvalidInput(f"funder must be 1 to {MAX_FUNDER_CHARS} characters", code="invalid_text")
        bid = None if business_id is None else check_business_id(business_id)
        if maximum <= 0:
            raise InvalidInput("a grant's maximum is above zero", code="invalid_amount")
        if eligible_costs < 0 or (own_financing is not None and own_financing < 0):
            raise InvalidInput("eligible costs and own financing are not negative", code="invalid_amount")
        checked_rate = None if rate is None else str(check_rate(rate))
        check_acceptance(agreement_id, decision, maximum)
        assert decision is not None
        return cls(agreement_id=agreement_id, decision_id=decision.decision_id, accepted_on=decision.decided_on,
                   funder=name, business_id=bid, maximum=maximum,
                   rate=checked_rate, eligible_costs=eligible_costs,
                   own_financing=own_financing)

    # Commands -----------------------------------------------------------------------------------

    def report_eligible_costs(self, *, amount: Decimal, reported_on: date) -> None:
        """Report the eligible costs so far; they may grow, never shrink, and are dated in order."""
        last_on, last = self.reports[-1]
        if reported_on < last_on:
            raise InvalidInput(f"eligible costs were last reported on {last_on}; a report is dated on or "
                               "after it", code="invalid_date")
        if amount < last:
            raise Conflict(f"eligible costs of {fmt(last)} were reported; they may grow, not shrink",
                           code="eligible_costs_decreased", extra={"eligible_costs": fmt(last)})
        if len(self.reports) >= MAX_REPORTS:
            raise Conflict(f"at most {MAX_REPORTS} reports per grant", code="too_many_reports")
        self.eligible_costs_reported(agreement_id=self.agreement_id, amount=amount, reported_on=reported_on)

    @event("EligibleCostsReported")
    def eligible_costs_reported(self, *, agreement_id: UUID, amount: Decimal, reported_on: date) -> None:
        self.reports.append((reported_on, amount))

    def receive_payment(self, *, amount: Decimal, received_on: date) -> None:
        """Money the funder paid; refused if the payments would pass the cap in force on its date."""
        if amount <= 0:
            raise InvalidInput("a payment amount must be above zero", code="invalid_amount")
        if received_on < self.accepted_on:
            raise InvalidInput(f"the grant took effect on {self.accepted_on}", code="invalid_date")
        if self.payments and received_on < self.payments[-1][0]:
            raise InvalidInput(f"a payment was received on {self.payments[-1][0]}; payments are dated in order",
                               code="invalid_date")
        if len(self.payments) >= MAX_PAYMENTS:
            raise Conflict(f"at most {MAX_PAYMENTS} payments per grant", code="too_many_payments")
        cap, received = self.cap(received_on), self.received(received_on)
        if received + amount > cap:
            raise Conflict(f"{fmt(received)} received and {fmt(amount)} more would pass the cap in force, "
                           f"{fmt(cap)}", code="grant_cap_exceeded",
                           extra={"cap": fmt(cap), "received": fmt(received)})
        self.payment_received(agreement_id=self.agreement_id, funder=self.funder, amount=amount,
                              received_on=received_on)

    # A money event names its agreement, so the journal posts it from the event alone.
    @event("PaymentReceived")
    def payment_received(self, *, agreement_id: UUID, funder: str, amount: Decimal, received_on: date) -> None:
        self.payments.append((received_on, amount))

    # Queries ------------------------------------------------------------------------------------

    def eligible_costs(self, as_of: date) -> Decimal:
        """The eligible costs last reported on or before a date."""
        return max((amount for day, amount in self.reports if day <= as_of), default=ZERO)

    def cap(self, as_of: date) -> Decimal:
        """The cap in force: min(maximum, rate × eligible costs), or the maximum where no rate applies."""
        if self.rate is None:
            return self.maximum
        return min(self.maximum, round_cents(Fraction(self.rate) * Fraction(self.eligible_costs(as_of))))

    def received(self, as_of: date) -> Decimal:
        return sum((amount for day, amount in self.payments if day <= as_of), ZERO)

    def view(self, as_of: date) -> dict[str, Any]:
        """The grant's terms and the cap in force on a date (received and remaining come from the journal)."""
        return {"grant_id": str(self.id), "funder": self.funder, "business_id": self.business_id,
                "decision_id": str(self.decision_id), "accepted_on": self.accepted_on.isoformat(),
                "maximum": fmt(self.maximum), "rate": self.rate, "eligible_costs": fmt(self.eligible_costs(as_of)),
                "cap": fmt(self.cap(as_of)),
                "own_financing": None if self.own_financing is None else fmt(self.own_financing)}


def check_rate(text: str) -> Fraction:
    """A share of the eligible costs, above 0 and at most 1 ("1/2", "0.5")."""
    rate = parse_fraction(text)
    if not 0 < rate <= 1:
        raise InvalidInput(f"rate {text} must be above 0 and at most 1", code="invalid_share")
    return rate


def check_acceptance(agreement_id: UUID, decision: DecisionRef | None, maximum: Decimal) -> None:
    """The grant needs the steering group's acceptance: a passed ``grant`` decision of this agreement."""
    if decision is None or decision.agreement_id != agreement_id or decision.kind != GRANT_KIND \
            or not decision.passed:
        raise Conflict("a grant takes effect on a passed grant decision of this agreement",
                       code="decision_required")
    named = decision.subject.get("maximum")
    if named is not None and (not isinstance(named, str) or named != fmt(maximum)):
        raise Conflict(f"the decision accepts a grant of at most {named}, not {fmt(maximum)}",
                       code="decision_required")
