"""The Ledger's commands and queries for supplementary funding and exit settlement (R-FUND-5, R-FUND-6).

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

from domain.funding import amendment_view, plan_amendment
from domain.membership import DecisionRef
from domain.money import money
from domain.settlement import exit_settlement

if TYPE_CHECKING:
    from domain.agreement import Agreement
    from domain.application import Idempotency

    Command = Callable[[], tuple[list[Aggregate], dict[str, Any]]]


class FundingCommands:
    """Amendments that add funding by the key, and the exit settlement of a leaving party."""

    if TYPE_CHECKING:
        def _execute(self, command: Command, idempotency: Idempotency | None) -> dict[str, Any]: ...
        def _agreement(self, agreement_id: UUID) -> Agreement: ...
        def _decision_ref(self, agreement_id: UUID, decision_id: UUID) -> DecisionRef | None: ...

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
        """What a party leaving at a checkpoint owes: cost shares and the fees it is bound to (R-FUND-6)."""
        return exit_settlement(self._agreement(agreement_id), party_id, checkpoint=checkpoint,
                               accrued_costs=money(accrued_costs), wind_down_costs=money(wind_down_costs))
