"""Steering-group votes (R-GOV-1, R-GOV-2): weights by cost share, deputies, quorum and qualified majority.

A voter is a seat of the steering group (its code) or, where the agreement has composed no seats, a
party (its id). Pure functions: the comparisons are made on exact fractions, so a motion at exactly
two thirds or exactly half the weight present is decided the same way on every machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any
from uuid import UUID

from domain.kernel.errors import InvalidInput
from domain.kernel.money import ZERO

VOTES = ("for", "against", "abstain")
CAST_BY = ("member", "deputy")
EXPERT = "expert"  # minuted as present with the right to speak, never voting (R-GOV-2)
MAX_VOTES = 1000  # a member and a deputy for each of at most 500 parties

Voter = UUID | str  # a party's id, or a seat's code


@dataclass(frozen=True)
class Ballot:
    """One vote as the minutes record it: the seat (or party), the vote, and whether its member or deputy
    cast it."""

    voter: Voter
    vote: str
    cast_by: str


@dataclass(frozen=True)
class Tally:
    """The outcome of a vote with the weights it was decided on."""

    weights: dict[Voter, Decimal]
    ballots: list[Ballot]
    counted: dict[Voter, Ballot]
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


def parse_ballots(raw: list[dict[str, Any]]) -> tuple[list[Ballot], list[str]]:
    """Validate the votes; returns the ballots and the experts who spoke to the motion. An expert's entry
    (``cast_by: expert`` with its ``expert`` code) is minuted, never counted: experts do not vote (R-GOV-2).
    A member's or deputy's vote names its ``seat`` or, one seat per party, its ``party_id``."""
    if len(raw) > MAX_VOTES:
        raise InvalidInput(f"at most {MAX_VOTES} votes", code="invalid_vote")
    ballots: list[Ballot] = []
    experts: list[str] = []
    for item in raw:
        cast_by = item.get("cast_by") or "member"
        if cast_by == EXPERT:
            code = item.get("expert")
            if not isinstance(code, str) or not code:
                raise InvalidInput("an expert's entry names the expert's code", code="invalid_vote")
            experts.append(code)
            continue
        if cast_by not in CAST_BY:
            raise InvalidInput(f"cast_by must be one of {', '.join((*CAST_BY, EXPERT))}", code="invalid_vote")
        if item.get("vote") not in VOTES:
            raise InvalidInput(f"vote must be one of {', '.join(VOTES)}", code="invalid_vote")
        seat, party = item.get("seat"), item.get("party_id")
        if (seat is None) == (party is None) or not (isinstance(seat, str) or isinstance(party, UUID)):
            raise InvalidInput("every vote names its seat or its party id, not both", code="invalid_vote")
        ballots.append(Ballot(seat if seat is not None else party, item["vote"], cast_by))
    return ballots, experts


def voting_weights(shares: dict[UUID, Decimal], key: dict[UUID, Fraction]) -> dict[UUID, Decimal]:
    """The members' weights: their cost shares (R-GOV-1), or the cost-sharing key when the model
    commits no money (a key-only proportional model), so that such a group can still decide."""
    if any(amount > 0 for amount in shares.values()):
        return dict(shares)
    weights = {pid: Decimal(w.numerator) / Decimal(w.denominator) for pid, w in key.items()}
    if not all(Fraction(weights[pid]) == key[pid] for pid in key):
        # A fixed key like 1/3 has no exact decimal: weigh by the key times its common denominator,
        # the same proportions in whole numbers.
        common = math.lcm(*(w.denominator for w in key.values()))
        weights = {pid: Decimal(int(w * common)) for pid, w in key.items()}
    assert all(Fraction(weights[pid]) * sum(key.values(), Fraction(0)) == key[pid] * sum(
        (Fraction(v) for v in weights.values()), Fraction(0)) for pid in key), "a key weight must be exact"
    return weights


def counted_ballots(ballots: list[Ballot], present: set[Voter], members: set[Voter]) -> dict[Voter, Ballot]:
    """The ballot that counts for each seat: its member's, else its deputy's (R-GOV-2)."""
    by_voter: dict[Voter, dict[str, Ballot]] = {}
    for ballot in ballots:
        if ballot.voter not in members:
            raise InvalidInput(f"{ballot.voter} is not a member of the steering group on that date",
                               code="not_a_voting_member")
        if ballot.voter not in present:
            raise InvalidInput(f"{ballot.voter} voted but is not listed as present",
                               code="voter_not_present")
        cast = by_voter.setdefault(ballot.voter, {})
        if ballot.cast_by in cast:
            raise InvalidInput(f"two {ballot.cast_by} votes for {ballot.voter}", code="duplicate_vote")
        cast[ballot.cast_by] = ballot
    return {voter: cast.get("member") or cast["deputy"] for voter, cast in by_voter.items()}


def tally(weights: dict[Voter, Decimal], present: list[Voter], ballots: list[Ballot], *,
          quorum: Fraction, qualified_majority: Fraction) -> Tally:
    """Decide a motion: quorum of present weight over all weight, qualified majority of the weight of
    votes cast (for + against; abstentions are present but not cast). Both thresholds are inclusive."""
    present_set = set(present)
    if len(present_set) != len(present):
        raise InvalidInput("a seat or party is listed twice as present", code="duplicate_vote")
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
