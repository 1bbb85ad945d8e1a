"""The Ledger's commands for funding: amendments, exit settlement and refunds (R-FUND-2 .. R-FUND-6).

A mixin of the Ledger application, like ``MembershipCommands``. Tranche releases are recorded with
their steering decision (``record_decision``); invoicing runs pick up what they release.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.funding.instalments import amendment_view, plan_amendment
from domain.funding.refunds import RefundRun, check_refunds
from domain.funding.settlement import exit_settlement
from domain.kernel.errors import Conflict
from domain.kernel.money import fmt, money
from domain.membership.rules import DecisionRef

if TYPE_CHECKING:
    from domain.agreements.agreement import Agreement
    from domain.kernel.idempotency import Idempotency

    Command = Callable[[], tuple[list[Aggregate], dict[str, Any]]]


class FundingCommands:
    """Amendments that add funding by the key, and the exit settlement of a leaving party."""

    if TYPE_CHECKING:
        def _execute(self, command: Command, idempotency: Idempotency | None) -> dict[str, Any]: ...
        def _agreement(self, agreement_id: UUID) -> Agreement: ...
        def _decision_ref(self, agreement_id: UUID, decision_id: UUID) -> DecisionRef | None: ...
        def _check_exit_day(self, agreement_id: UUID, day: date) -> None: ...

    def amend_funding(self, agreement_id: UUID, *, decision_id: UUID, signed_on: date, total: str | Decimal,
                      instalments: list[dict[str, Any]],
                      idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Sign an amendment adding funding split over the live parties by the key, on a passed decision."""
        value = money(total)

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            facts = plan_amendment(agreement, decision=self._decision_ref(agreement_id, decision_id),
                                   signed_on=signed_on, total=value, instalments=instalments)
            agreement.funding_amended(**facts)
            return [agreement], amendment_view(agreement, agreement.amendments[-1])

        return self._execute(command, idempotency)

    def list_amendments(self, agreement_id: UUID) -> list[dict[str, Any]]:
        """An agreement's amendments in the order signed, with each party's additional share."""
        agreement = self._agreement(agreement_id)
        return [amendment_view(agreement, amendment) for amendment in agreement.amendments]

    def get_exit_settlement(self, agreement_id: UUID, party_id: UUID, *, checkpoint: date,
                            accrued_costs: str | Decimal, wind_down_costs: str | Decimal) -> dict[str, Any]:
        """What a party leaving at a checkpoint owes: cost shares and the fees it is bound to (R-FUND-6).
        Where an amendment names the exit checkpoint, no other day (``not_the_checkpoint``)."""
        self._check_exit_day(agreement_id, checkpoint)
        return exit_settlement(self._agreement(agreement_id), party_id, checkpoint=checkpoint,
                               accrued_costs=money(accrued_costs), wind_down_costs=money(wind_down_costs))

    def book_own_contribution(self, agreement_id: UUID, *, amount: str | Decimal, booked_on: date,
                              description: str, idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Book the coordinator's own contribution to its share, which it never invoices (R-ACC-4)."""
        value = money(amount)

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            pid = agreement.book_own_contribution(amount=value, booked_on=booked_on, description=description)
            booked = sum((c[1] for c in agreement.contributions), Decimal("0.00"))
            return [agreement], {"party_id": str(pid), "amount": fmt(value), "booked_on": booked_on.isoformat(),
                                 "contributed": fmt(booked)}

        return self._execute(command, idempotency)


class RefundCommands:
    """Mixed into the Ledger: refunds on a decision, once per decision."""

    _execute: Callable[..., dict[str, Any]]
    _agreement: Callable[[UUID], Agreement]
    _decision_ref: Callable[[UUID, UUID], DecisionRef | None]
    _get: Callable[[UUID, type, str], Any]
    exists: Callable[[UUID], bool]

    def issue_refunds(self, agreement_id: UUID, *, decision_id: UUID, as_of: date, remaining: Decimal,
                      refunds: dict[UUID, Decimal], idempotency: Any = None) -> dict[str, Any]:
        """Pay out the remaining funding as split by the journal, on a passed refund decision (R-FUND-3)."""

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            if self.exists(RefundRun.create_id(agreement.id, decision_id)):
                raise Conflict(f"the refunds of decision {decision_id} are already issued",
                               code="refunds_already_issued")
            rows = check_refunds(agreement, self._decision_ref(agreement.id, decision_id), as_of, remaining,
                                 refunds)
            run = RefundRun(agreement_id=agreement.id, decision_id=decision_id, as_of=as_of,
                            remaining=remaining, refunds=rows)
            return [run], run.view()

        return self._execute(command, idempotency)
