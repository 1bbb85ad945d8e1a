"""Membership rules: notice (R-TERM-1, R-TERM-2), breach and expulsion (R-TERM-4), status as of a date.

Pure functions over the Agreement's party records (plain dicts), so the aggregate stays small and
the rules can be tested without a store.
"""

from __future__ import annotations

from domain.kernel.calendar import add_months, days_after, time_limit_end
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from domain.kernel.errors import Conflict, InvalidInput
from domain.agreements.terms import Terms

LIVE_PARTY_STATUSES = ("active", "notice_given")
LEFT_STATUSES = ("withdrawn", "expelled")
GROUNDS = ("organisation_changed", "majority_left")
MAX_BREACH_NOTICES = 50
MAX_DESCRIPTION_CHARS = 2000


@dataclass(frozen=True)
class DecisionRef:
    """What an expulsion needs to know of the steering decision it cites."""

    decision_id: UUID
    agreement_id: UUID
    kind: str
    passed: bool
    decided_on: date
    subject: dict[str, Any]


def notice_effective_on(joined_on: date, given_on: date, terms: Terms) -> date:
    """The later of notice + notice months (R-TERM-2) and accession + minimum commitment (R-TERM-1).

    The date a notice takes effect is not a deadline by which anyone must act, so 150/1930 does not
    move it off a weekend or holiday (seed 000 §17: "kolmen kuukauden irtisanomisajalla").
    """
    return max(add_months(given_on, terms.notice_months),
               add_months(joined_on, terms.minimum_commitment_months))


def expulsion_possible_on(given_on: date, terms: Terms) -> date:
    """The first day an expulsion may follow a breach notice (R-TERM-4).

    The party may cure "within 30 days" of the notice, a time limit under the Act on calculating time
    limits (150/1930): the day of the notice is not counted, so the cure period's last day is the
    notice date + 30 days; if that is a Saturday, Sunday, public holiday, Christmas Eve or Midsummer
    Eve, the period ends on the next weekday that is none of those. An expulsion is possible from the
    day after the period's end (notice 2025-11-24: the 30th day, Christmas Eve 2025-12-24, moves to
    Monday 2025-12-29, so expulsion is possible from 2025-12-30). Notices already recorded keep the
    date they were given with.
    """
    cure_ends_on = time_limit_end(days_after(given_on, terms.breach_cure_days))
    return cure_ends_on + timedelta(days=1)


def status_on(party: dict[str, Any], day: date) -> str:
    """A party's status as of a date, derived from the record even before the notice sweep has run."""
    left_on = party.get("left_on")
    if party["status"] in LEFT_STATUSES and left_on is not None and day >= left_on:
        return str(party["status"])
    notice = party.get("notice")
    if notice is not None and notice["given_on"] <= day:
        return "withdrawn" if day >= notice["effective_on"] else "notice_given"
    return "active"


def left_on_as_of(party: dict[str, Any], day: date) -> date | None:
    """The date a party's participation ended, if it had ended by ``day``."""
    if status_on(party, day) not in LEFT_STATUSES:
        return None
    return party.get("left_on") or party["notice"]["effective_on"]


def is_member_on(party: dict[str, Any], day: date) -> bool:
    """Whether a party had acceded and not left on a date (it votes and may be named in decisions)."""
    return party["joined_on"] <= day and status_on(party, day) in LIVE_PARTY_STATUSES


def check_notice(parties: list[dict[str, Any]], party: dict[str, Any], given_on: date, ground: str) -> None:
    """Refuse a notice on any but the two grounds of R-TERM-2, or by a party that cannot give one."""
    if ground not in GROUNDS:
        raise InvalidInput(f"ground must be one of {', '.join(GROUNDS)}", code="invalid_ground")
    check_may_leave(party, given_on)
    if status_on(party, given_on) != "active":
        raise Conflict(f"{party['name']} is {status_on(party, given_on)} on {given_on}",
                       code="party_not_active")
    if ground == "majority_left":
        gone, others = others_gone(parties, party, given_on)
        if not 2 * gone > others:
            raise Conflict(f"{gone} of the {others} other parties have given notice or left by "
                           f"{given_on}; more than half is needed", code="notice_ground_not_met")


def others_gone(parties: list[dict[str, Any]], party: dict[str, Any], day: date) -> tuple[int, int]:
    """How many of the other parties (acceded by ``day``) had given notice or left, and how many there are."""
    others = [p for p in parties if p["party_id"] != party["party_id"] and p["joined_on"] <= day]
    gone = [p for p in others if status_on(p, day) != "active"]
    return len(gone), len(others)


def check_may_leave(party: dict[str, Any], day: date) -> None:
    """The coordinator is bound by the main agreement, and nobody leaves before it has joined."""
    if party.get("is_coordinator"):
        raise Conflict("the coordinator is bound by the main agreement; dissolve or amend it instead",
                       code="coordinator_cannot_leave")
    if day < party["joined_on"]:
        raise InvalidInput(f"{day} is before {party['name']} joined on {party['joined_on']}",
                           code="date_before_accession")


def check_breach_notice(party: dict[str, Any], given_on: date, description: str) -> None:
    """A breach notice goes to a party still taking part, with a bounded description."""
    check_may_leave(party, given_on)
    if not is_member_on(party, given_on):
        raise Conflict(f"{party['name']} is {status_on(party, given_on)} on {given_on}",
                       code="party_not_active")
    if not isinstance(description, str) or not description.strip() \
            or len(description) > MAX_DESCRIPTION_CHARS:
        raise InvalidInput(f"description must be 1 to {MAX_DESCRIPTION_CHARS} characters",
                           code="invalid_text")
    if len(party.get("breach_notices", [])) >= MAX_BREACH_NOTICES:
        raise Conflict(f"a party has at most {MAX_BREACH_NOTICES} breach notices",
                       code="too_many_breach_notices")


def check_expulsion(party: dict[str, Any], decided_on: date, decision: DecisionRef | None) -> None:
    """R-TERM-4: a breach notice whose cure period has run out, and a passed decision naming the party."""
    check_may_leave(party, decided_on)
    if not is_member_on(party, decided_on):
        raise Conflict(f"{party['name']} is {status_on(party, decided_on)} on {decided_on}",
                       code="party_not_active")
    notices = [n for n in party.get("breach_notices", []) if n["given_on"] <= decided_on]
    if not notices:
        raise Conflict(f"{party['name']} has had no breach notice by {decided_on}",
                       code="breach_notice_required")
    # Any notice whose cure period has run out will do: the earliest one runs out first.
    possible_on = min(n["expulsion_possible_on"] for n in notices)
    if decided_on < possible_on:
        raise Conflict(f"the cure period is running; expulsion is possible from {possible_on}",
                       code="cure_period_running")
    check_expulsion_decision(party, decided_on, decision)


def check_expulsion_decision(party: dict[str, Any], decided_on: date, decision: DecisionRef | None) -> None:
    """The cited decision must be a passed expulsion of this party, taken on or before the expulsion."""
    if decision is None:
        raise Conflict("no such steering decision in this agreement", code="decision_required")
    problem = None
    if decision.kind != "expulsion":
        problem = f"is a decision of kind {decision.kind}"
    elif not decision.passed:
        problem = "did not pass"
    elif decision.subject.get("party_id") != str(party["party_id"]):
        problem = "names another party"
    elif decision.decided_on > decided_on:
        problem = f"was taken after {decided_on}"
    if problem is not None:
        raise Conflict(f"decision {decision.decision_id} {problem}; expulsion needs a passed "
                       f"expulsion decision naming {party['name']}", code="decision_required")
