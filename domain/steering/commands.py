"""The Ledger's commands and queries for the steering group: decisions, weighted by cost share (R-GOV-*).

A mixin of the Ledger application: it uses the Ledger's ``_execute`` (one save per command, with
its idempotency record and one retry on a concurrent write), ``_agreement`` and ``_get``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.steering.decisions import (Decision, check_decision, check_subject, decision_ref, decision_view,
                                       outcome_view, summary_view)
from domain.kernel.errors import InvalidInput, NotFound
from domain.funding.instalments import check_release
from domain.membership.rules import DecisionRef, is_member_on
from domain.steering.voting import parse_ballots, tally, voting_weights

if TYPE_CHECKING:
    from domain.agreements.agreement import Agreement
    from domain.kernel.idempotency import Idempotency

    Command = Callable[[], tuple[list[Aggregate], dict[str, Any]]]

MAX_PAGE = 500
MAX_PRESENT = 500


class SteeringCommands:
    """Steering decisions, passed or failed, and the decision log (R-GOV-1 .. R-GOV-3)."""

    if TYPE_CHECKING:
        def _execute(self, command: Command, idempotency: Idempotency | None) -> dict[str, Any]: ...
        def _agreement(self, agreement_id: UUID) -> Agreement: ...
        def _get(self, aggregate_id: UUID, kind: type, what: str) -> Any: ...

    # Commands ----------------------------------------------------------------------------------

    def record_decision(self, agreement_id: UUID, *, decided_on: date, kind: str, subject: dict[str, Any],
                        present: list[UUID], votes: list[dict[str, Any]],
                        idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Record a steering decision, passed or failed, weighted by cost share (R-GOV-1 .. R-GOV-3).

        A passed extension moves the end date, a passed dissolution dissolves the agreement and a passed
        tranche release releases the instalment it names, in the same save; an expulsion takes effect
        only when the coordinator expels citing it (R-TERM-4), an amendment when it is signed (R-FUND-5).
        """
        subject = check_subject(kind, subject)
        ballots = parse_ballots(votes)
        if len(present) > MAX_PRESENT:
            raise InvalidInput(f"at most {MAX_PRESENT} parties present", code="invalid_vote")

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            new_ends_on = check_decision(agreement, kind, decided_on, subject)
            release = check_release(agreement, subject, decided_on) if kind == "tranche_release" else None
            members = [p["party_id"] for p in agreement.parties_in_order() if is_member_on(p, decided_on)]
            shares, key = agreement.shares(), agreement.key()
            weights = voting_weights({pid: shares[pid] for pid in members},
                                     {pid: key[pid] for pid in members})
            rules = agreement.rules
            outcome = tally(weights, present, ballots, quorum=rules.quorum,
                            qualified_majority=rules.qualified_majority)
            decision = Decision.record(agreement=agreement, decided_on=decided_on, kind=kind, subject=subject,
                                       present=present, tally=outcome, quorum=str(rules.quorum),
                                       qualified_majority=str(rules.qualified_majority))
            agreement.minute_decision(decision_id=decision.id, kind=kind, passed=outcome.passed,
                                      decided_on=decided_on, new_ends_on=new_ends_on, release=release)
            return [agreement, decision], outcome_view(decision)

        return self._execute(command, idempotency)

    # Queries -----------------------------------------------------------------------------------

    def get_decision(self, agreement_id: UUID, decision_id: UUID) -> dict[str, Any]:
        """One decision of an agreement: kind, subject, date, outcome, presence, votes and weights."""
        return decision_view(self._decision(agreement_id, decision_id))

    def list_decisions(self, agreement_id: UUID, *, limit: int, after: UUID | None = None,
                       kind: str | None = None, passed: bool | None = None) -> list[dict[str, Any]]:
        """Decisions in the order they were minuted, a page at a time, optionally of one kind or outcome."""
        if not 0 < limit <= MAX_PAGE:
            raise InvalidInput(f"limit must be from 1 to {MAX_PAGE}", code="invalid_limit")
        minutes = list(self._agreement(agreement_id).minutes)
        if after is not None:
            ids = [entry[0] for entry in minutes]
            minutes = minutes[ids.index(after) + 1:] if after in ids else []
        chosen = [entry[0] for entry in minutes
                  if (kind is None or entry[1] == kind) and (passed is None or entry[2] == passed)]
        return [summary_view(self._decision(agreement_id, did)) for did in chosen[:limit]]

    # Plumbing ----------------------------------------------------------------------------------

    def _decision(self, agreement_id: UUID, decision_id: UUID) -> Decision:
        decision = self._get(decision_id, Decision, "decision")
        if decision.agreement_id != agreement_id:
            raise NotFound(f"no decision {decision_id}")
        return decision

    def _decision_ref(self, agreement_id: UUID, decision_id: UUID) -> DecisionRef | None:
        """The cited decision, or None when this agreement has no such decision."""
        try:
            return decision_ref(self._decision(agreement_id, decision_id))
        except NotFound:
            return None
