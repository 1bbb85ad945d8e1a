"""Steering-group votes as pure functions (R-GOV-1, R-GOV-2): weights, quorum, qualified majority."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.kernel.errors import InvalidInput
from domain.steering.voting import Ballot, parse_ballots, tally, voting_weights

TWO_THIRDS, HALF = Fraction(2, 3), Fraction(1, 2)
STATE, MUNICIPALITIES, KELA, HELSINKI, COUNTY = (uuid4() for _ in range(5))
SMALL = [uuid4() for _ in range(5)]
# Lyhty's shares (R-SHARE-1): the state, the other municipalities, three 25,000 parties and five smaller ones.
LYHTY = {STATE: Decimal("400000.00"), MUNICIPALITIES: Decimal("300000.00"), KELA: Decimal("25000.00"),
         HELSINKI: Decimal("25000.00"), COUNTY: Decimal("25000.00"),
         **dict(zip(SMALL, map(Decimal, ("20000.00", "10000.00", "10000.00", "5000.00", "5000.00")),
                    strict=True))}


def ballot(party: UUID, vote: str, cast_by: str = "member") -> Ballot:
    return Ballot(party, vote, cast_by)


def decide(weights: dict[UUID, Decimal], present: list[UUID], ballots: list[Ballot]):
    return tally(weights, present, ballots, quorum=HALF, qualified_majority=TWO_THIRDS)


def test_state_and_municipalities_outvote_three_25000_parties_by_two_thirds() -> None:
    """R-GOV-1: 700,000 for and 75,000 against is over two thirds of the weight cast."""
    voters = [STATE, MUNICIPALITIES, KELA, HELSINKI, COUNTY]
    result = decide(LYHTY, voters, [ballot(STATE, "for"), ballot(MUNICIPALITIES, "for"),
                                    ballot(KELA, "against"), ballot(HELSINKI, "against"),
                                    ballot(COUNTY, "against")])
    assert (result.for_weight, result.against_weight) == (Decimal("700000.00"), Decimal("75000.00"))
    assert (result.present_weight, result.total_weight) == (Decimal("775000.00"), Decimal("825000.00"))
    assert result.quorum_met and result.majority_met and result.passed


def test_exactly_two_thirds_passes_and_a_cent_less_fails() -> None:
    """R-GOV-1: the qualified majority is inclusive and compared exactly."""
    a, b = uuid4(), uuid4()
    assert decide({a: Decimal("200.00"), b: Decimal("100.00")}, [a, b],
                  [ballot(a, "for"), ballot(b, "against")]).passed
    assert not decide({a: Decimal("199.99"), b: Decimal("100.00")}, [a, b],
                      [ballot(a, "for"), ballot(b, "against")]).passed


def test_abstentions_are_present_but_not_cast() -> None:
    """R-GOV-1: the majority is of the weight of votes cast; an abstention still counts for the quorum."""
    against = decide(LYHTY, [STATE, MUNICIPALITIES], [ballot(STATE, "for"), ballot(MUNICIPALITIES, "against")])
    assert not against.passed  # 400,000 of 700,000 is under two thirds
    abstains = decide(LYHTY, [STATE, MUNICIPALITIES], [ballot(STATE, "for"), ballot(MUNICIPALITIES, "abstain")])
    assert abstains.passed and abstains.abstain_weight == Decimal("300000.00")
    assert abstains.present_weight == Decimal("700000.00")


def test_a_unanimous_motion_without_quorum_fails() -> None:
    """R-GOV-1: under half of all weight present is no quorum, however the present vote."""
    present = [MUNICIPALITIES, KELA, HELSINKI]  # 350,000 of 825,000
    result = decide(LYHTY, present, [ballot(p, "for") for p in present])
    assert result.majority_met and not result.quorum_met and not result.passed


def test_exactly_half_present_is_a_quorum() -> None:
    a, b = uuid4(), uuid4()
    result = decide({a: Decimal("50.00"), b: Decimal("50.00")}, [a], [ballot(a, "for")])
    assert result.quorum_met and result.passed


def test_no_votes_cast_fails() -> None:
    result = decide(LYHTY, [STATE, MUNICIPALITIES], [ballot(STATE, "abstain")])
    assert result.quorum_met and not result.majority_met and not result.passed


def test_a_deputys_vote_is_ignored_while_its_member_votes() -> None:
    """R-GOV-2: the member votes for, its deputy against: only the member's vote counts."""
    result = decide(LYHTY, [STATE, MUNICIPALITIES], [ballot(STATE, "against", "deputy"), ballot(STATE, "for"),
                                                     ballot(MUNICIPALITIES, "for")])
    assert result.against_weight == 0 and result.for_weight == Decimal("700000.00")
    assert result.counted[STATE].cast_by == "member"


def test_a_deputy_votes_when_its_member_is_absent() -> None:
    """R-GOV-2: with no member's vote, the deputy's counts with the party's full weight."""
    result = decide(LYHTY, [STATE, MUNICIPALITIES], [ballot(STATE, "for", "deputy"),
                                                     ballot(MUNICIPALITIES, "for")])
    assert result.for_weight == Decimal("700000.00") and result.passed


@pytest.mark.parametrize("votes, code", [
    ([{"party_id": STATE, "vote": "for", "cast_by": "expert"}], "invalid_vote"),  # an expert names its code
    ([{"seat": "state", "party_id": STATE, "vote": "for"}], "invalid_vote"),  # a seat or a party, not both
    ([{"party_id": STATE, "vote": "for", "cast_by": "chair"}], "invalid_vote"),
    ([{"party_id": STATE, "vote": "maybe", "cast_by": "member"}], "invalid_vote"),
    ([{"party_id": "not-an-id", "vote": "for"}], "invalid_vote"),
])
def test_malformed_ballots_are_refused(votes: list, code: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_ballots(votes)
    assert error.value.code == code


def test_an_expert_is_minuted_as_present_and_never_counted() -> None:
    """R-GOV-2: the Ministry of Finance experts speak but do not vote; their entry is no ballot."""
    ballots, experts = parse_ballots([{"expert": "vm-1", "cast_by": "expert", "vote": "for"},
                                      {"seat": "state", "vote": "for"}])
    assert (ballots, experts) == ([ballot("state", "for")], ["vm-1"])


def test_cast_by_defaults_to_member() -> None:
    assert parse_ballots([{"party_id": STATE, "vote": "for"}]) == ([ballot(STATE, "for")], [])


@pytest.mark.parametrize("present, ballots, code", [
    ([STATE], [ballot(uuid4(), "for")], "not_a_voting_member"),
    ([STATE, uuid4()], [ballot(STATE, "for")], "not_a_voting_member"),
    ([STATE], [ballot(KELA, "for")], "voter_not_present"),
    ([STATE], [ballot(STATE, "for"), ballot(STATE, "against")], "duplicate_vote"),
    ([STATE, STATE], [ballot(STATE, "for")], "duplicate_vote"),
])
def test_votes_of_non_members_absent_parties_and_duplicates_are_refused(
        present: list[UUID], ballots: list[Ballot], code: str) -> None:
    with pytest.raises(InvalidInput) as error:
        decide(LYHTY, present, ballots)
    assert error.value.code == code


def test_weights_are_the_cost_shares_or_else_the_key() -> None:
    """R-GOV-1: cost shares; a key-only model (no committed money) weighs by its key instead."""
    a, b = uuid4(), uuid4()
    assert voting_weights({a: Decimal("10.00"), b: Decimal("0.00")}, {a: Fraction(1), b: Fraction(3)}) == {
        a: Decimal("10.00"), b: Decimal("0.00")}
    assert voting_weights({a: Decimal("0.00"), b: Decimal("0.00")},
                          {a: Fraction(6300), b: Fraction(2100)}) == {a: Decimal(6300), b: Decimal(2100)}


cents = st.integers(min_value=0, max_value=10**11)


@given(st.lists(st.tuples(cents, st.sampled_from(["for", "against", "abstain", "absent"])),
                min_size=1, max_size=12))
def test_outcome_matches_integer_arithmetic_in_cents(members: list[tuple[int, str]]) -> None:
    """R-GOV-1: passed iff 3·for ≥ 2·(for + against) > 0 and 2·present ≥ total, all in whole cents."""
    ids = [uuid4() for _ in members]
    weights = {pid: Decimal(c) / 100 for pid, (c, _) in zip(ids, members, strict=True)}
    present = [pid for pid, (_, v) in zip(ids, members, strict=True) if v != "absent"]
    ballots = [ballot(pid, v) for pid, (_, v) in zip(ids, members, strict=True) if v != "absent"]
    result = decide(weights, present, ballots)
    pro = sum(c for c, v in members if v == "for")
    con = sum(c for c, v in members if v == "against")
    here = sum(c for c, v in members if v != "absent")
    total = sum(c for c, _ in members)
    assert result.passed == (pro + con > 0 and 3 * pro >= 2 * (pro + con) and total > 0 and 2 * here >= total)
