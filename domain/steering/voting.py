"""Steering-group votes (R-GOV-1, R-GOV-2): weights by cost share, deputies, quorum and qualified majority.

Pure functions: the comparisons are made on exact fractions, so a motion at exactly two thirds or
exactly half the weight present is decided the same way on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any
from uuid import UUID

from domain.kernel.errors import InvalidInput
from domain.kernel.money import ZERO

VOTES = ("for", "against", "abstain")
CAST_BY = ("member", "deputy")
MAX_VOTES = 1000  # a member and a deputy for each of at most 500 parties


@dataclass(frozen=True)
class Ballot:
    """One vote as the minutes record it: the party, the vote, and whether its member or deputy cast it."""

    party_id: UUID
    vote: str
    cast_by: str


@dataclass(frozen=True)
class Tally:
    """The outcome of a vote with the weights it was decided on."""

    weights: dict[UUID, Decimal]
    ballots: list[Ballot]
    counted: dict[UUID, Ballot]
    for_weight: Decimal
    against_weight: Decimal
    abstain_weight: Decimal
    present_weight: Decimal
    total_weight: Decimal
    quorum_met: bool
    majority_met: bool

    @property
    def passed(self) -> bool:
        return self.quorum_met and self.majority_met


def parse_ballots(raw: list[dict[str, Any]]) -> list[Ballot]:
    """Validate the votes; an expert's vote is refused, since experts speak but do not vote (R-GOV-2)."""
    if len(raw) > MAX_VOTES:
        raise InvalidInput(f"at most {MAX_VOTES} votes", code="invalid_vote")
    ballots = []
    for item in raw:
        cast_by = item.get("cast_by", "member")
        if cast_by == "expert":
            raise InvalidInput("experts speak but do not vote (R-GOV-2)", code="not_a_voting_member")
        if cast_by not in CAST_BY:
            raise InvalidInput(f"cast_by must be one of {', '.join(CAST_BY)}", code="invalid_vote")
        if item.get("vote") not in VOTES:
            raise InvalidInput(f"vote must be one of {', '.join(VOTES)}", code="invalid_vote")
        if not isinstance(item.get("party_id"), UUID):
            raise InvalidInput("every vote names a party id", code="invalid_vote")
        ballots.append(Ballot(item["party_id"], item["vote"], cast_by))
    return ballots


def voting_weights(shares: dict[UUID, Decimal], key: dict[UUID, Fraction]) -> dict[UUID, Decimal]:
    """The members' weights: their cost shares (R-GOV-1), or the cost-sharing key when the model
    commits no money (a key-only proportional model), so that such a group can still decide."""
    if any(amount > 0 for amount in shares.values()):
        return dict(shares)
    weights = {pid: Decimal(w.numerator) / Decimal(w.denominator) for pid, w in key.items()}
    assert all(Fraction(weights[pid]) == key[pid] for pid in key), "a key weight must be exact"
    return weights


def counted_ballots(ballots: list[Ballot], present: set[UUID], members: set[UUID]) -> dict[UUID, Ballot]:
    """The ballot that counts for each party: its member's, else its deputy's (R-GOV-2)."""
    by_party: dict[UUID, dict[str, Ballot]] = {}
    for ballot in ballots:
        if ballot.party_id not in members:
            raise InvalidInput(f"{ballot.party_id} is not a member of the steering group on that date",
                               code="not_a_voting_member")
        if ballot.party_id not in present:
            raise InvalidInput(f"{ballot.party_id} voted but is not listed as present",
                               code="voter_not_present")
        cast = by_party.setdefault(ballot.party_id, {})
        if ballot.cast_by in cast:
            raise InvalidInput(f"two {ballot.cast_by} votes for {ballot.party_id}", code="duplicate_vote")
        cast[ballot.cast_by] = ballot
    return {pid: cast.get("member") or cast["deputy"] for pid, cast in by_party.items()}


def tally(weights: dict[UUID, Decimal], present: list[UUID], ballots: list[Ballot], *,
          quorum: Fraction, qualified_majority: Fraction) -> Tally:
    """Decide a motion: quorum of present weight over all weight, qualified majority of the weight of
    votes cast (for + against; abstentions are present but not cast). Both thresholds are inclusive."""
    present_set = set(present)
    if len(present_set) != len(present):
        raise InvalidInput("a party is listed twice as present", code="duplicate_vote")
    strangers = present_set - set(weights)
    if strangers:
        raise InvalidInput(f"{sorted(map(str, strangers))[0]} is not a member of the steering group on "
                           "that date", code="not_a_voting_member")
    counted = counted_ballots(ballots, present_set, set(weights))

    def weight_of(vote: str) -> Decimal:
        return sum((weights[pid] for pid, b in counted.items() if b.vote == vote), ZERO)

    for_weight, against_weight = weight_of("for"), weight_of("against")
    present_weight = sum((weights[pid] for pid in present_set), ZERO)
    total_weight = sum(weights.values(), ZERO)
    cast = Fraction(for_weight) + Fraction(against_weight)
    quorum_met = total_weight > 0 and Fraction(present_weight) >= quorum * Fraction(total_weight)
    majority_met = cast > 0 and Fraction(for_weight) >= qualified_majority * cast
    return Tally(weights=weights, ballots=list(ballots), counted=counted, for_weight=for_weight,
                 against_weight=against_weight, abstain_weight=weight_of("abstain"),
                 present_weight=present_weight, total_weight=total_weight,
                 quorum_met=bool(quorum_met), majority_met=bool(majority_met))
