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

from domain.funding.amendments import (amendment_of, check_per_party_release, check_signature, plan_proposal,
                                      signing_view)
from domain.funding.instalments import amendment_view
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

    def amend_funding(self, agreement_id: UUID, *, dated_on: date, total: str | Decimal | None = None,
                      parties: list[tuple[UUID, str | Decimal]] | None = None,
                      instalments: list[dict[str, Any]] | None = None, ceiling: bool = False,
                      decision_id: UUID | None = None, idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Propose an amendment (R-FUND-5): each party's amount as stated, or ``total`` split by the key;
        it is pending, and commits and invoices nothing, until every party live on ``dated_on`` signs it.
        With ``ceiling`` the amounts are maxima, invoiced as portions are released."""
        value = None if total is None else money(total)
        stated = None if parties is None else [(pid, money(amount)) for pid, amount in parties]

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            decision = None if decision_id is None else self._decision_ref(agreement_id, decision_id)
            facts = plan_proposal(agreement, decision=decision, cites_decision=decision_id is not None,
                                  dated_on=dated_on, total=value, parties=stated, instalments=instalments or [],
                                  ceiling=ceiling)
            agreement.amendment_proposed(**facts)
            return [agreement], _amendment(agreement, agreement.amendments[-1])

        return self._execute(command, idempotency)

    def sign_amendment(self, agreement_id: UUID, number: int, *, party_id: UUID, signed_on: date,
                       decision_reference: str, idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Record one party's signature, citing its own decision; the last one makes the amendment binding
        from its date (R-FUND-5)."""

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            agreement.amendment_signed(**check_signature(agreement, number, party_id, signed_on,
                                                         decision_reference))
            return [agreement], _amendment(agreement, agreement.amendments[number - 1])

        return self._execute(command, idempotency)

    def release_portion(self, agreement_id: UUID, number: int, *, decision_id: UUID,
                        parties: list[tuple[UUID, str | Decimal]], idempotency: Idempotency | None = None
                        ) -> dict[str, Any]:
        """Release a ceiling's portion per party, on a passed ``tranche_release`` decision stating its total
        with ``"per_party": true`` (R-FUND-5); never past the ceiling, in total or for any party."""
        stated = [(pid, money(amount)) for pid, amount in parties]

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            facts = check_per_party_release(agreement, number, self._decision_ref(agreement_id, decision_id), stated)
            agreement.portion_released(**facts)
            return [agreement], _amendment(agreement, agreement.amendments[number - 1])

        return self._execute(command, idempotency)

    def list_amendments(self, agreement_id: UUID, *, as_of: date | None = None) -> list[dict[str, Any]]:
        """An agreement's amendments in order, each with its status, each party's amount and signatures."""
        agreement = self._agreement(agreement_id)
        return [_amendment(agreement, amendment, as_of) for amendment in agreement.amendments]

    def get_amendment(self, agreement_id: UUID, number: int, *, as_of: date | None = None) -> dict[str, Any]:
        """One amendment with its status, each party's amount, its signatures and released portions."""
        agreement = self._agreement(agreement_id)
        return _amendment(agreement, amendment_of(agreement, number), as_of)

    def get_exit_settlement(self, agreement_id: UUID, party_id: UUID, *, checkpoint: date,
                            accrued_costs: str | Decimal, wind_down_costs: str | Decimal) -> dict[str, Any]:
        """What a party leaving at a checkpoint owes: cost shares and the fees it is bound to (R-FUND-6).
        Where an amendment names the exit checkpoint, no other day (``not_the_checkpoint``)."""
        self._check_exit_day(agreement_id, checkpoint)
        return exit_settlement(self._agreement(agreement_id), party_id, checkpoint=checkpoint,
                               accrued_costs=money(accrued_costs), wind_down_costs=money(wind_down_costs))

    def transfer_to_host(self, agreement_id: UUID, *, amount: str | Decimal, transferred_on: date,
                         description: str, idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Record what the invoicing operator paid the host of the money it collected (seed 002)."""
        value = money(amount)

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            agreement.transfer_to_host(amount=value, transferred_on=transferred_on, description=description)
            return [agreement], {"from": agreement.invoiced_by, "to": {
                "name": agreement.coordinator["name"], "business_id": agreement.coordinator["business_id"]},
                "amount": fmt(value), "transferred_on": transferred_on.isoformat(),
                "transferred": fmt(sum((t[1] for t in agreement.transfers), Decimal("0.00")))}

        return self._execute(command, idempotency)

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


def _amendment(agreement: Agreement, amendment: dict[str, Any], as_of: date | None = None) -> dict[str, Any]:
    return {**amendment_view(agreement, amendment, as_of=as_of), **signing_view(amendment, as_of)}


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
