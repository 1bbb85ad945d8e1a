"""Steering-group decisions (R-GOV-1 .. R-GOV-3): the Decision aggregate, what each kind's subject
holds, the checks against the agreement, and the plain-data views of a decision."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.agreements.agreement import Agreement
from domain.kernel.errors import Conflict, InvalidInput
from domain.funding.instalments import check_amendment_subject
from domain.membership.rules import DecisionRef, check_may_leave, is_member_on
from domain.kernel.money import fmt
from domain.steering.voting import Tally

KINDS = ("accession", "expulsion", "extension", "refund", "dissolution", "tranche_release",
         "unused_funds", "budget", "steering_group", "grant", "other")
# Refunds and the use of unused money are decided when the work has ended (R-FUND-2 .. R-FUND-4).
KINDS_AFTER_END = ("refund", "unused_funds", "other")
MAX_DECISIONS = 5000
MAX_SUBJECT_KEYS = 20
MAX_SUBJECT_CHARS = 500
MAX_SUBJECT_INT = 10**15
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Decision(Aggregate):
    """One steering-group decision, passed or failed, with the votes and weights it was decided on.

    Its id is uuid5(agreement id, "decision:<n>"), n being its number in the agreement's minutes.
    Two writers recording at once compute the same id, so the event store lets one through and the
    other is retried on fresh state with the next number: the minutes are numbered without gaps or
    repeats, and the tally is stored as decided, never recomputed from later shares.
    """

    # Defaults for decisions recorded before seats, experts and disqualification were minuted.
    seated: bool = False
    disqualified: tuple[UUID, ...] = ()
    experts_present: tuple[str, ...] = ()

    @staticmethod
    def create_id(agreement_id: UUID, number: int) -> UUID:
        return uuid5(agreement_id, f"decision:{number}")

    @event("Recorded")
    def __init__(self, *, agreement_id: UUID, number: int, decided_on: date, kind: str,
                 subject: dict[str, Any], present: list[Any], votes: list[dict[str, Any]],
                 weights: dict[str, Decimal], outcome: dict[str, Any], seated: bool = False,
                 disqualified: list[UUID] | None = None, experts_present: list[str] | None = None) -> None:
        self.agreement_id = agreement_id
        self.number = number
        self.decided_on = decided_on
        self.kind = kind
        self.subject = subject
        self.present = present
        self.votes = votes
        self.weights = weights
        self.outcome = outcome
        self.seated = seated  # whether seats voted (present and votes name seats), or one seat per party
        self.disqualified = tuple(disqualified or ())
        self.experts_present = tuple(experts_present or ())

    @property
    def passed(self) -> bool:
        return bool(self.outcome["passed"])

    @classmethod
    def record(cls, *, agreement: Agreement, decided_on: date, kind: str, subject: dict[str, Any],
               present: list[Any], tally: Tally, quorum: str, qualified_majority: str, seated: bool = False,
               disqualified: list[UUID] | None = None, experts_present: list[str] | None = None) -> Decision:
        """The decision numbered next in the agreement's minutes, with its tally. A vote counts when it is
        its seat's counted ballot and its seat has weight in this decision (a disqualified party's has none)."""
        key = "seat" if seated else "party_id"
        votes = [{key: b.voter, "vote": b.vote, "cast_by": b.cast_by,
                  "counted": tally.counted[b.voter].cast_by == b.cast_by and tally.weights[b.voter] > 0}
                 for b in tally.ballots]
        outcome = {"for_weight": tally.for_weight, "against_weight": tally.against_weight,
                   "abstain_weight": tally.abstain_weight, "present_weight": tally.present_weight,
                   "total_weight": tally.total_weight, "quorum": quorum,
                   "qualified_majority": qualified_majority, "quorum_met": tally.quorum_met,
                   "majority_met": tally.majority_met, "passed": tally.passed}
        return cls(agreement_id=agreement.id, number=len(agreement.minutes) + 1, decided_on=decided_on,
                   kind=kind, subject=subject, present=list(present), votes=votes,
                   weights={str(voter): w for voter, w in tally.weights.items()}, outcome=outcome,
                   seated=seated, disqualified=list(disqualified or []), experts_present=list(experts_present or []))


def check_subject(kind: str, subject: Any) -> dict[str, Any]:
    """A kind from the contract and a small flat subject of scalars; what a kind needs is checked."""
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", code="invalid_kind")
    if not isinstance(subject, dict) or len(subject) > MAX_SUBJECT_KEYS:
        raise InvalidInput(f"subject is an object of at most {MAX_SUBJECT_KEYS} fields",
                           code="invalid_subject")
    for key, value in subject.items():
        if not isinstance(key, str) or not _KEY.match(key):
            raise InvalidInput(f"subject field {key!r} must be lower-case letters, digits and _",
                               code="invalid_subject")
        if not _scalar(value):
            raise InvalidInput(f"subject field {key} must be a string of at most {MAX_SUBJECT_CHARS} "
                               "characters, a whole number, true, false or null", code="invalid_subject")
    if kind == "extension":
        subject_date(subject, "new_ends_on")
    if kind == "expulsion":
        subject_party(subject)
    check_amendment_subject(kind, subject)
    return dict(subject)


def _scalar(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return abs(value) < MAX_SUBJECT_INT
    return isinstance(value, str) and len(value) <= MAX_SUBJECT_CHARS


def subject_date(subject: dict[str, Any], name: str) -> date:
    """A date the subject must give, as YYYY-MM-DD."""
    value = subject.get(name)
    try:
        if not isinstance(value, str) or not _DATE.match(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"subject.{name} must be a date YYYY-MM-DD", code="invalid_subject") from None


def disqualified_from(agreement: Agreement, subject: dict[str, Any]) -> set[UUID]:
    """The parties disqualified (jäävi) from a decision: one it is about, named as ``subject.party_id``
    (its expulsion, its exit settlement). Its weight counts neither for, against nor in the total (R-GOV-4)."""
    value = subject.get("party_id")
    try:
        pid = UUID(str(value)) if value is not None else None
    except ValueError:
        return set()
    return {pid} if pid is not None and str(pid) in agreement.parties else set()


def subject_party(subject: dict[str, Any]) -> UUID:
    """The party an expulsion decision names."""
    try:
        return UUID(str(subject.get("party_id")))
    except ValueError:
        raise InvalidInput("subject.party_id must name a party of the agreement",
                           code="invalid_subject") from None


def check_decision(agreement: Agreement, kind: str, decided_on: date, subject: dict[str, Any]) -> date | None:
    """Refuse a decision the agreement cannot take on that date; returns an extension's new end date."""
    if decided_on < agreement.starts_on:
        raise InvalidInput(f"{decided_on} is before the term starts on {agreement.starts_on}",
                           code="date_outside_term")
    if len(agreement.minutes) >= MAX_DECISIONS:
        raise Conflict(f"an agreement has at most {MAX_DECISIONS} decisions", code="too_many_decisions")
    if kind not in KINDS_AFTER_END:
        agreement.check_live_on(decided_on)
    if kind == "expulsion":
        party = agreement.parties.get(str(subject_party(subject)))
        if party is None:
            raise InvalidInput("subject.party_id is not a party of the agreement", code="invalid_subject")
        check_may_leave(party, decided_on)
        if not is_member_on(party, decided_on):
            raise Conflict(f"{party['name']} is not a member on {decided_on}", code="party_not_active")
    if kind == "extension":
        new_ends_on = subject_date(subject, "new_ends_on")
        if new_ends_on <= agreement.ends_on:
            raise InvalidInput(f"subject.new_ends_on must be after the current end {agreement.ends_on}",
                               code="invalid_subject")
        return new_ends_on
    return None


def decision_ref(decision: Decision) -> DecisionRef:
    """What a membership command needs to know of a decision it cites."""
    return DecisionRef(decision.id, decision.agreement_id, decision.kind, decision.passed,
                       decision.decided_on, dict(decision.subject))


def outcome_view(decision: Decision) -> dict[str, Any]:
    """The outcome and its weights (money strings), as the POST returns it."""
    out = decision.outcome
    return {"decision_id": str(decision.id), "number": decision.number, "passed": decision.passed,
            **{k: fmt(out[k]) for k in ("for_weight", "against_weight", "abstain_weight",
                                        "present_weight", "total_weight")},
            "quorum_met": out["quorum_met"], "majority_met": out["majority_met"]}


def summary_view(decision: Decision) -> dict[str, Any]:
    """A decision in a list: what was decided, when and with what outcome."""
    return {**outcome_view(decision), "agreement_id": str(decision.agreement_id),
            "decided_on": decision.decided_on.isoformat(), "kind": decision.kind,
            "subject": dict(decision.subject), "quorum": decision.outcome["quorum"],
            "qualified_majority": decision.outcome["qualified_majority"]}


def decision_view(decision: Decision) -> dict[str, Any]:
    """A decision with who was present, every vote (and whether it counted) and every weight."""
    return {**summary_view(decision),
            "voting_by": "seat" if decision.seated else "party",
            "present": [str(voter) for voter in decision.present],
            "votes": [{**({"seat": v["seat"]} if "seat" in v else {"party_id": str(v["party_id"])}),
                       "vote": v["vote"], "cast_by": v["cast_by"], "counted": v["counted"]} for v in decision.votes],
            "weights": {voter: fmt(w) for voter, w in decision.weights.items()},
            "disqualified": [str(pid) for pid in decision.disqualified],
            "experts_present": list(decision.experts_present)}
