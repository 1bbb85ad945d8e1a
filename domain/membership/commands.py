"""The Ledger's commands for the membership lifecycle: notice, withdrawal, breach notice, expulsion.

A mixin of the Ledger application: it uses the Ledger's ``_execute`` (one save per command, with
its idempotency record and one retry on a concurrent write), ``_agreement`` and ``_get``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.kernel.calendar import check_business_year
from domain.membership.rules import DecisionRef

if TYPE_CHECKING:
    from domain.agreements.agreement import Agreement
    from domain.kernel.idempotency import Idempotency

    Command = Callable[[], tuple[list[Aggregate], dict[str, Any]]]


class MembershipCommands:
    """Notice, withdrawal, breach notice and expulsion (R-TERM-*)."""

    if TYPE_CHECKING:
        def _execute(self, command: Command, idempotency: Idempotency | None) -> dict[str, Any]: ...
        def _agreement(self, agreement_id: UUID) -> Agreement: ...
        def _decision_ref(self, agreement_id: UUID, decision_id: UUID) -> DecisionRef | None: ...

    # Commands ----------------------------------------------------------------------------------

    def give_notice(self, agreement_id: UUID, party_id: UUID, *, given_on: date, ground: str,
                    idempotency: Idempotency | None = None) -> dict[str, Any]:
        """A party gives notice (R-TERM-1, R-TERM-2); returns the date it takes effect."""

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            effective_on = agreement.give_notice(party_id, given_on=given_on, ground=ground)
            return [agreement], {"party_id": str(party_id), "status": "notice_given",
                                 "given_on": given_on.isoformat(), "ground": ground,
                                 "effective_on": effective_on.isoformat()}

        return self._execute(command, idempotency)

    def apply_notices(self, agreement_id: UUID, *, as_of: date,
                      idempotency: Idempotency | None = None) -> int:
        """Record the withdrawal of every party whose notice took effect by ``as_of``; returns how many."""
        check_business_year(as_of)

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            withdrawn = agreement.withdraw_due(as_of)
            return ([agreement] if withdrawn else []), {"withdrawn": withdrawn}

        return int(self._execute(command, idempotency)["withdrawn"])

    def give_breach_notice(self, agreement_id: UUID, party_id: UUID, *, given_on: date, description: str,
                           idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Record a written notice of breach (R-TERM-4); returns the first day expulsion is possible."""

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            possible_on = agreement.give_breach_notice(party_id, given_on=given_on, description=description)
            return [agreement], {"party_id": str(party_id), "given_on": given_on.isoformat(),
                                 "expulsion_possible_on": possible_on.isoformat()}

        return self._execute(command, idempotency)

    def expel(self, agreement_id: UUID, party_id: UUID, *, decided_on: date, decision_id: UUID,
              idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Expel a party after its cure period, citing a passed expulsion decision (R-TERM-4, R-TERM-5)."""

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            agreement.expel(party_id, decided_on=decided_on,
                            decision=self._decision_ref(agreement_id, decision_id))
            return [agreement], {"party_id": str(party_id), "status": "expelled",
                                 "left_on": decided_on.isoformat(), "decision_id": str(decision_id)}

        return self._execute(command, idempotency)
