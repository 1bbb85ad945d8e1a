"""The Ledger's commands and queries for the steering group: decisions, weighted by cost share (R-GOV-*).

A mixin of the Ledger application: it uses the Ledger's ``_execute`` (one save per command, with
its idempotency record and one retry on a concurrent write), ``_agreement`` and ``_get``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.steering.decisions import (Decision, check_decision, check_subject, decision_ref, decision_view,
                                       disqualified_from, outcome_view, summary_view)
from domain.kernel.errors import InvalidInput, NotFound
from domain.funding.amendments import is_portion_subject, plan_portion
from domain.funding.instalments import check_release
from domain.membership.rules import DecisionRef, is_member_on
from domain.kernel.money import ZERO, fmt
from domain.kernel.paging import items_after
from domain.steering.seats import (MAX_EXPERTS, composition_view, seat_of, seat_weights)
from domain.steering.voting import Ballot, Tally, parse_ballots, tally, voting_weights

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
                        present: list[Any], votes: list[dict[str, Any]], experts_present: list[str] | None = None,
                        idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Record a steering decision, passed or failed, weighted by cost share (R-GOV-1 .. R-GOV-4).

        The seats of the composition in effect vote (``present`` and votes name seats, or the parties
        they represent); without one, each party is its own seat. A party the decision is about is
        disqualified. A passed extension moves the end date, a passed dissolution dissolves the
        agreement and a passed tranche release releases the instalment it names, in the same save; an
        expulsion takes effect only when the coordinator expels citing it (R-TERM-4), an amendment when
        it is signed (R-FUND-5), a new composition when the coordinator seats it citing the decision.
        """
        subject = check_subject(kind, subject)
        ballots, experts = _ballots_and_experts(present, votes, experts_present)

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            new_ends_on = check_decision(agreement, kind, decided_on, subject)
            release = portion = None
            if kind == "tranche_release" and is_portion_subject(subject):  # a ceiling's portion (R-FUND-5)
                portion = plan_portion(agreement, subject, decided_on)
                portion = None if subject.get("per_party") is True else portion  # amounts come with its release
            elif kind == "tranche_release":
                release = check_release(agreement, subject, decided_on)
            count = _count(agreement, decided_on, subject, present, ballots, experts)
            outcome, seats_present, disqualified, composition = count
            rules = agreement.rules
            decision = Decision.record(agreement=agreement, decided_on=decided_on, kind=kind, subject=subject,
                                       present=seats_present, tally=outcome, quorum=str(rules.quorum),
                                       qualified_majority=str(rules.qualified_majority),
                                       seated=composition is not None, disqualified=sorted(disqualified, key=str),
                                       experts_present=experts)
            agreement.minute_decision(decision_id=decision.id, kind=kind, passed=outcome.passed,
                                      decided_on=decided_on, new_ends_on=new_ends_on, release=release,
                                      portion=portion)
            return [agreement, decision], outcome_view(decision)

        return self._execute(command, idempotency)

    def preview_decision(self, agreement_id: UUID, *, decided_on: date, kind: str, subject: dict[str, Any],
                         present: list[Any], votes: list[dict[str, Any]],
                         experts_present: list[str] | None = None) -> dict[str, Any]:
        """The tally a decision would be recorded with, counted exactly as ``record_decision`` counts it;
        nothing is saved (the minutes' form shows it before the coordinator records the decision)."""
        subject = check_subject(kind, subject)
        ballots, experts = _ballots_and_experts(present, votes, experts_present)
        agreement = self._agreement(agreement_id)
        check_decision(agreement, kind, decided_on, subject)
        outcome, seats_present, _, _ = _count(agreement, decided_on, subject, present, ballots, experts)
        return {"passed": outcome.passed, "present": [str(voter) for voter in seats_present],
                **{k: fmt(getattr(outcome, k)) for k in ("for_weight", "against_weight", "abstain_weight",
                                                         "present_weight", "total_weight")},
                "quorum_met": outcome.quorum_met, "majority_met": outcome.majority_met}

    def compose_steering_group(self, agreement_id: UUID, *, effective_on: date, seats: list[dict[str, Any]],
                               experts: list[dict[str, Any]] | None = None, decision_id: UUID | None = None,
                               idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Seat the steering group by sector (R-GOV-1, R-GOV-2): first as the agreement composes it, then
        on a passed ``steering_group`` decision; earlier compositions stay in the history."""

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            decision = None if decision_id is None else self._decision_ref(agreement_id, decision_id)
            if decision_id is not None and decision is None:
                raise NotFound(f"no decision {decision_id}")
            agreement.compose_steering_group(effective_on=effective_on, seats=seats, experts=experts,
                                             decision=decision)
            return [agreement], self._composition_view(agreement, effective_on)

        return self._execute(command, idempotency)

    # Queries -----------------------------------------------------------------------------------

    def get_steering_group(self, agreement_id: UUID, *, as_of: date) -> dict[str, Any]:
        """The steering group in effect on a date, each seat with its weight then, and every composition."""
        agreement: Agreement = self._agreement(agreement_id)
        return {"as_of": as_of.isoformat(), **self._composition_view(agreement, as_of),
                "history": [composition_view(c) for c in agreement.compositions]}

    def _composition_view(self, agreement: Agreement, day: date) -> dict[str, Any]:
        composition = agreement.composition_on(day)
        if composition is None:
            return {"composed": False, "effective_on": None, "decision_id": None, "seats": [], "experts": []}
        members = [p["party_id"] for p in agreement.parties_in_order() if is_member_on(p, day)]
        shares, key = agreement.shares(), agreement.key(on=day)
        weights = voting_weights({pid: shares[pid] for pid in members}, {pid: key[pid] for pid in members})
        return {"composed": True, **composition_view(composition, seat_weights(composition, weights, set()))}

    def get_decision(self, agreement_id: UUID, decision_id: UUID) -> dict[str, Any]:
        """One decision of an agreement: kind, subject, date, outcome, presence, votes and weights."""
        return decision_view(self._decision(agreement_id, decision_id))

    def list_decisions(self, agreement_id: UUID, *, limit: int, after: UUID | None = None,
                       kind: str | None = None, passed: bool | None = None) -> list[dict[str, Any]]:
        """Decisions in the order they were minuted, a page at a time, optionally of one kind or outcome."""
        if not 0 < limit <= MAX_PAGE:
            raise InvalidInput(f"limit must be from 1 to {MAX_PAGE}", code="invalid_limit")
        minutes = list(self._agreement(agreement_id).minutes)
        minutes = items_after(minutes, after, key=lambda entry: entry[0])
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


def _party_ids(present: list[Any]) -> list[Any]:
    """Without seats, ``present`` names parties by id."""
    for item in present:
        if not isinstance(item, UUID):
            raise InvalidInput(f"{item} is not a party id, and the agreement has composed no seats",
                               code="not_a_voting_member")
    return list(present)


def _seats_present(composition: dict[str, Any], present: list[Any]) -> list[str]:
    """The seats present: named by code, or by a party they represent (once each, however named)."""
    codes = {seat["code"] for seat in composition["seats"]}
    found: dict[str, None] = {}
    for item in present:
        code = seat_of(composition, item) if isinstance(item, UUID) else item
        if code is None or code not in codes:
            raise InvalidInput(f"{item} holds no seat of the steering group on that date",
                               code="not_a_voting_member")
        found[code] = None
    return list(found)


def _seat_ballots(composition: dict[str, Any], ballots: list[Ballot]) -> list[Ballot]:
    """The votes by seat; a deputy votes only for a seat that has one (R-GOV-2)."""
    deputies = {seat["code"]: seat["deputy"] for seat in composition["seats"]}
    found = []
    for ballot in ballots:
        code = seat_of(composition, ballot.voter) if isinstance(ballot.voter, UUID) else ballot.voter
        if code is None or code not in deputies:
            raise InvalidInput(f"{ballot.voter} holds no seat of the steering group on that date",
                               code="not_a_voting_member")
        if ballot.cast_by == "deputy" and not deputies[code]:
            raise InvalidInput(f"seat {code} has no personal deputy", code="no_deputy")
        found.append(Ballot(code, ballot.vote, ballot.cast_by))
    return found


def _check_experts(experts: list[str], composition: dict[str, Any] | None) -> None:
    """Experts minuted must be the composition's (any code, where none is composed)."""
    if composition is None:
        return
    known = {expert["code"] for expert in composition["experts"]}
    for code in experts:
        if code not in known:
            raise InvalidInput(f"{code} is not an expert of the steering group", code="not_an_expert")


def _ballots_and_experts(present: list[Any], votes: list[dict[str, Any]], experts_present: list[str] | None
                         ) -> tuple[list[Ballot], list[str]]:
    """The ballots, and the experts minuted as present (those named and those who spoke), within bounds."""
    ballots, speaking = parse_ballots(votes)
    if len(present) > MAX_PRESENT:
        raise InvalidInput(f"at most {MAX_PRESENT} seats or parties present", code="invalid_vote")
    experts = list(dict.fromkeys([*(experts_present or []), *speaking]))
    if len(experts) > MAX_EXPERTS:
        raise InvalidInput(f"at most {MAX_EXPERTS} experts", code="invalid_vote")
    return ballots, experts


def _count(agreement: Agreement, decided_on: date, subject: dict[str, Any], present: list[Any],
           ballots: list[Ballot], experts: list[str]) -> tuple[Tally, list[Any], set[UUID], dict[str, Any] | None]:
    """The tally by the seats of the composition in effect (each party its own seat without one), the
    weights being the key in force on the day (R-ACC-5, R-GOV-1 .. R-GOV-3)."""
    members = [p["party_id"] for p in agreement.parties_in_order() if is_member_on(p, decided_on)]
    shares, key = agreement.shares(), agreement.key(on=decided_on)
    weights = voting_weights({pid: shares[pid] for pid in members}, {pid: key[pid] for pid in members})
    disqualified = disqualified_from(agreement, subject)
    composition = agreement.composition_on(decided_on)
    if composition is None:
        voters: dict[Any, Decimal] = {pid: ZERO if pid in disqualified else w for pid, w in weights.items()}
        seats_present, seat_ballots = _party_ids(present), ballots
        _check_experts(experts, None)
    else:
        voters = seat_weights(composition, weights, disqualified)
        seats_present = _seats_present(composition, present)
        seat_ballots = _seat_ballots(composition, ballots)
        _check_experts(experts, composition)
    rules = agreement.rules
    outcome = tally(voters, seats_present, seat_ballots, quorum=rules.quorum,
                    qualified_majority=rules.qualified_majority)
    return outcome, seats_present, disqualified, composition
