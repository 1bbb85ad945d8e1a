"""The membership lifecycle on the Agreement aggregate, without a store (R-TERM-1 .. R-TERM-5, R-GOV-3)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.agreements.agreement import Agreement
from domain.steering.decisions import check_decision, check_subject
from domain.kernel.errors import DomainError
from domain.membership.rules import DecisionRef, status_on
from domain.kernel.calendar import add_months

STATE = {"name": "Valtori", "business_id": "2574261-7", "is_party": True, "category": "state"}
PARTIES = {  # business id: (name, signed on, category)
    "0246246-0": ("Kela", date(2025, 9, 1), "kela"),
    "0926151-4": ("Kuntaliitto", date(2025, 9, 1), "municipalities"),
    "0313471-7": ("Helsingin yliopisto", date(2025, 9, 1), "university"),
    "2029188-8": ("Haaga-Helia", date(2025, 10, 1), "university"),
}


def lyhty(**terms: Any) -> tuple[Agreement, dict[str, UUID]]:
    agreement = Agreement.open(
        code="LYHTY", title="Lyhty", coordinator=STATE, starts_on=date(2025, 9, 1), ends_on=date(2026, 12, 31),
        cost_sharing={"model": "fixed_by_category", "categories": {
            "state": "400000.00", "municipalities": "300000.00", "kela": "25000.00", "university": "10000.00"}},
        instalments=[{"issue_on": date(2025, 9, 1), "share": "1"}], terms=terms)
    ids = {bid: agreement.accede(name=name, business_id=bid, signed_on=signed_on, category=category)
           for bid, (name, signed_on, category) in PARTIES.items()}
    return agreement, ids


def refused(code: str, action: Any, *args: Any, **kwargs: Any) -> None:
    with pytest.raises(DomainError) as error:
        action(*args, **kwargs)
    assert error.value.code == code, error.value.detail


def expulsion_decision(agreement: Agreement, party: UUID, *, passed: bool = True, kind: str = "expulsion",
                       decided_on: date = date(2026, 2, 20)) -> DecisionRef:
    return DecisionRef(uuid4(), agreement.id, kind, passed, decided_on, {"party_id": str(party)})


@pytest.mark.parametrize("day, months, expected", [
    (date(2026, 1, 15), 3, date(2026, 4, 15)),
    (date(2025, 11, 30), 3, date(2026, 2, 28)),
    (date(2023, 11, 30), 3, date(2024, 2, 29)),
    (date(2025, 10, 1), 12, date(2026, 10, 1)),
    (date(2025, 12, 31), 1, date(2026, 1, 31)),
])
def test_months_are_added_clamped_to_the_month_end(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_notice_on_organisation_changed_takes_effect_three_months_later() -> None:
    """R-TERM-2: a party past its first year leaves three months after its notice."""
    agreement, ids = lyhty()
    kela = ids["0246246-0"]
    assert agreement.give_notice(kela, given_on=date(2026, 9, 15), ground="organisation_changed") == date(2026, 12, 15)
    party = agreement.party(kela)
    assert party["status"] == "notice_given"
    assert status_on(party, date(2026, 9, 14)) == "active"
    assert status_on(party, date(2026, 12, 14)) == "notice_given"
    assert status_on(party, date(2026, 12, 15)) == "withdrawn"


def test_a_party_leaves_no_sooner_than_a_year_after_joining() -> None:
    """R-TERM-1: joined 2025-10-01, notice 2026-01-15: effective 2026-10-01, not 2026-04-15."""
    agreement, ids = lyhty()
    effective = agreement.give_notice(ids["2029188-8"], given_on=date(2026, 1, 15), ground="organisation_changed")
    assert effective == date(2026, 10, 1)


def test_the_notice_and_commitment_periods_are_the_agreements_own() -> None:
    agreement, ids = lyhty(notice_months=6, minimum_commitment_months=0)
    effective = agreement.give_notice(ids["2029188-8"], given_on=date(2026, 1, 15), ground="organisation_changed")
    assert effective == date(2026, 7, 15)


def test_majority_left_is_refused_until_more_than_half_of_the_others_have_left() -> None:
    """R-TERM-2: Haaga-Helia's four others are Valtori, Kela, Kuntaliitto and the university: 3 must go."""
    agreement, ids = lyhty()
    uas = ids["2029188-8"]
    day = date(2026, 3, 2)
    refused("notice_ground_not_met", agreement.give_notice, uas, given_on=day, ground="majority_left")
    agreement.give_notice(ids["0246246-0"], given_on=date(2026, 1, 10), ground="organisation_changed")
    refused("notice_ground_not_met", agreement.give_notice, uas, given_on=day, ground="majority_left")
    university = ids["0313471-7"]
    agreement.give_breach_notice(university, given_on=date(2026, 1, 20), description="Unpaid share")
    agreement.expel(university, decided_on=date(2026, 2, 20), decision=expulsion_decision(agreement, university))
    refused("notice_ground_not_met", agreement.give_notice, uas, given_on=day, ground="majority_left")
    agreement.give_notice(ids["0926151-4"], given_on=date(2026, 3, 1), ground="organisation_changed")
    # A notice given after the date asked about does not count for it.
    refused("notice_ground_not_met", agreement.give_notice, uas, given_on=date(2026, 2, 28), ground="majority_left")
    assert agreement.give_notice(uas, given_on=day, ground="majority_left") == date(2026, 10, 1)


def test_notice_is_refused_on_other_grounds_twice_by_the_coordinator_and_before_joining() -> None:
    agreement, ids = lyhty()
    kela, uas = ids["0246246-0"], ids["2029188-8"]
    valtori = agreement.party_by_business_id("2574261-7")["party_id"]
    refused("invalid_ground", agreement.give_notice, kela, given_on=date(2026, 1, 1), ground="budget_cuts")
    refused("coordinator_cannot_leave", agreement.give_notice, valtori, given_on=date(2026, 1, 1),
            ground="organisation_changed")
    refused("date_before_accession", agreement.give_notice, uas, given_on=date(2025, 9, 15),
            ground="organisation_changed")
    refused("agreement_not_in_force", agreement.give_notice, kela, given_on=date(2027, 1, 1),
            ground="organisation_changed")
    refused("not_found", agreement.give_notice, uuid4(), given_on=date(2026, 1, 1), ground="organisation_changed")
    agreement.give_notice(kela, given_on=date(2026, 1, 1), ground="organisation_changed")
    refused("party_not_active", agreement.give_notice, kela, given_on=date(2026, 2, 1),
            ground="organisation_changed")


def test_withdrawals_are_recorded_once_on_the_effective_date() -> None:
    """R-TERM-2: the sweep records a withdrawal when its day has come, and only once."""
    agreement, ids = lyhty()
    kela = ids["0246246-0"]
    agreement.give_notice(kela, given_on=date(2026, 1, 15), ground="organisation_changed")
    assert agreement.withdraw_due(date(2026, 8, 31)) == 0
    assert agreement.withdraw_due(date(2026, 9, 1)) == 1
    assert agreement.withdraw_due(date(2026, 9, 2)) == 0
    party = agreement.party(kela)
    assert (party["status"], party["left_on"]) == ("withdrawn", date(2026, 9, 1))
    assert not agreement.is_live_party("0246246-0")


def test_access_ends_on_the_effective_date_even_before_the_sweep() -> None:
    """R-TERM-5: by the record, the party is still live; as of the effective date it is not."""
    agreement, ids = lyhty()
    agreement.give_notice(ids["0246246-0"], given_on=date(2026, 1, 15), ground="organisation_changed")
    assert agreement.is_live_party("0246246-0")
    assert agreement.is_live_party("0246246-0", date(2026, 8, 31))
    assert not agreement.is_live_party("0246246-0", date(2026, 9, 1))


def test_expulsion_waits_for_the_cure_period_and_a_passed_decision() -> None:
    """R-TERM-4: refused within 30 days of the breach notice and without a passed decision; allowed after."""
    agreement, ids = lyhty()
    kela = ids["0246246-0"]
    decision = expulsion_decision(agreement, kela)
    refused("breach_notice_required", agreement.expel, kela, decided_on=date(2026, 3, 4), decision=decision)
    assert agreement.give_breach_notice(kela, given_on=date(2026, 2, 1), description="No payment") == date(2026, 3, 4)
    refused("cure_period_running", agreement.expel, kela, decided_on=date(2026, 3, 3), decision=decision)
    refused("decision_required", agreement.expel, kela, decided_on=date(2026, 3, 4), decision=None)
    for wrong in (expulsion_decision(agreement, kela, passed=False),
                  expulsion_decision(agreement, kela, kind="other"),
                  expulsion_decision(agreement, ids["0926151-4"]),
                  expulsion_decision(agreement, kela, decided_on=date(2026, 3, 5)),
                  DecisionRef(decision.decision_id, uuid4(), "expulsion", True, date(2026, 2, 20),
                              {"party_id": str(kela)})):
        refused("decision_required", agreement.expel, kela, decided_on=date(2026, 3, 4), decision=wrong)
    agreement.expel(kela, decided_on=date(2026, 3, 4), decision=decision)
    party = agreement.party(kela)
    assert (party["status"], party["left_on"], party["expelled_by"]) == ("expelled", date(2026, 3, 4),
                                                                        decision.decision_id)
    assert not agreement.is_live_party("0246246-0")
    refused("party_not_active", agreement.expel, kela, decided_on=date(2026, 4, 1), decision=decision)


def test_the_cure_period_is_the_agreements_own() -> None:
    agreement, ids = lyhty(breach_cure_days=10)
    kela = ids["0246246-0"]
    assert agreement.give_breach_notice(kela, given_on=date(2026, 2, 1), description="x") == date(2026, 2, 12)


@pytest.mark.parametrize("given_on, possible_on", [
    (date(2025, 11, 24), date(2025, 12, 30)),  # the 30th day, Christmas Eve 2025-12-24, moves to Monday 29th
    (date(2026, 5, 20), date(2026, 6, 23)),  # Midsummer Eve 2026-06-19 moves to Monday 22nd
    (date(2026, 3, 4), date(2026, 4, 8)),  # Good Friday 2026-04-03 moves past Easter to Tuesday 7th
    (date(2025, 10, 2), date(2025, 11, 4)),  # All Saints' Day on Saturday 2025-11-01 moves to Monday 3rd
    (date(2026, 2, 1), date(2026, 3, 4)),  # the 30th day, 2026-03-03, is a Tuesday: nothing moves
])
def test_the_cure_period_ends_under_the_act_on_calculating_time_limits(given_on: date, possible_on: date) -> None:
    """R-TERM-4 (150/1930): the notice day does not count, and a 30th day on a weekend, holiday,
    Christmas Eve or Midsummer Eve moves to the next weekday; expulsion is possible the day after."""
    agreement, ids = lyhty()
    kela = ids["0246246-0"]
    assert agreement.give_breach_notice(kela, given_on=given_on, description="No payment") == possible_on
    decision = expulsion_decision(agreement, kela, decided_on=given_on)
    refused("cure_period_running", agreement.expel, kela, decided_on=possible_on - timedelta(days=1),
            decision=decision)
    agreement.expel(kela, decided_on=possible_on, decision=decision)
    assert agreement.party(kela)["left_on"] == possible_on


def test_a_breach_notice_already_recorded_keeps_its_date() -> None:
    """R-TERM-4: history is never edited; a notice recorded under the earlier rule (notice + 31 days)
    keeps the expulsion date it was given with, and a new notice follows 150/1930."""
    agreement, ids = lyhty()
    kela, university = ids["0246246-0"], ids["0313471-7"]
    agreement.breach_notice_given(party_id=kela, given_on=date(2025, 11, 24), description="No payment",
                                  expulsion_possible_on=date(2025, 12, 25))
    agreement.expel(kela, decided_on=date(2025, 12, 25), decision=expulsion_decision(
        agreement, kela, decided_on=date(2025, 12, 25)))
    assert agreement.give_breach_notice(university, given_on=date(2025, 11, 24), description="x") == date(2025, 12, 30)


def test_a_notice_takes_effect_on_its_day_even_on_christmas_eve() -> None:
    """R-TERM-2, seed 000 §17: a notice's effective date is when it takes effect, not a deadline to act,
    so 150/1930 does not move it: notice 2026-09-24 takes effect on Christmas Eve 2026-12-24."""
    agreement, ids = lyhty()
    kela = ids["0246246-0"]
    assert agreement.give_notice(kela, given_on=date(2026, 9, 24), ground="organisation_changed") == date(2026, 12, 24)


def test_a_withdrawn_party_gets_no_breach_notice() -> None:
    agreement, ids = lyhty()
    kela = ids["0246246-0"]
    agreement.give_notice(kela, given_on=date(2026, 1, 15), ground="organisation_changed")
    refused("party_not_active", agreement.give_breach_notice, kela, given_on=date(2026, 9, 1), description="x")
    refused("invalid_text", agreement.give_breach_notice, kela, given_on=date(2026, 3, 1), description=" ")


def test_membership_and_term_events_carry_the_authorising_decision() -> None:
    """R-GOV-3: expulsion, extension and dissolution each cite the decision behind them."""
    agreement, ids = lyhty()
    kela = ids["0246246-0"]
    agreement.collect_events()  # only what follows is of interest
    agreement.give_breach_notice(kela, given_on=date(2026, 2, 1), description="No payment")
    decision = expulsion_decision(agreement, kela)
    agreement.expel(kela, decided_on=date(2026, 3, 4), decision=decision)
    extension, dissolution = uuid4(), uuid4()
    agreement.minute_decision(decision_id=extension, kind="extension", passed=True, decided_on=date(2026, 6, 1),
                              new_ends_on=date(2027, 12, 31))
    agreement.minute_decision(decision_id=dissolution, kind="dissolution", passed=True,
                              decided_on=date(2027, 3, 1))
    cited = {type(e).__name__: e.decision_id for e in agreement.collect_events() if hasattr(e, "decision_id")}
    assert cited == {"PartyExpelled": decision.decision_id, "DecisionRecorded": dissolution,
                     "TermExtended": extension, "CooperationDissolved": dissolution}


def test_a_passed_extension_moves_the_end_date_and_a_failed_one_does_not() -> None:
    """R-AGR-1, R-FUND-1: the term is extended by a passed decision; status extended from its date."""
    agreement, _ = lyhty()
    agreement.minute_decision(decision_id=uuid4(), kind="extension", passed=False, decided_on=date(2026, 5, 1),
                              new_ends_on=date(2027, 6, 30))
    assert agreement.ends_on == date(2026, 12, 31) and agreement.status == "in_force"
    agreement.minute_decision(decision_id=uuid4(), kind="extension", passed=True, decided_on=date(2026, 6, 1),
                              new_ends_on=date(2027, 12, 31))
    assert agreement.ends_on == date(2027, 12, 31)
    assert [agreement.status_on(d) for d in (date(2026, 5, 31), date(2026, 6, 1), date(2028, 1, 1))] == [
        "in_force", "extended", "ended"]
    assert [entry[2] for entry in agreement.minutes] == [False, True]


def test_dissolution_ends_the_agreement_from_its_date() -> None:
    """R-AGR-1: dissolved from the decision date; nothing more accedes."""
    agreement, _ = lyhty()
    agreement.minute_decision(decision_id=uuid4(), kind="dissolution", passed=True, decided_on=date(2026, 4, 1))
    assert (agreement.status_on(date(2026, 3, 31)), agreement.status_on(date(2026, 4, 1))) == (
        "in_force", "dissolved")
    refused("agreement_not_in_force", agreement.accede, name="Oulu", business_id="0187690-1",
            signed_on=date(2026, 4, 2), category="university")


@pytest.mark.parametrize("kind, subject, code", [
    ("coffee", {}, "invalid_kind"),
    ("extension", {}, "invalid_subject"),
    ("extension", {"new_ends_on": "31.12.2027"}, "invalid_subject"),
    ("expulsion", {"party_id": "Kela"}, "invalid_subject"),
    ("other", {"Bad Key": "x"}, "invalid_subject"),
    ("other", {"nested": {"a": 1}}, "invalid_subject"),
    ("other", {"amount": 1.5}, "invalid_subject"),
    ("other", {"text": "x" * 501}, "invalid_subject"),
    ("other", {f"k{i}": i for i in range(21)}, "invalid_subject"),
])
def test_malformed_subjects_are_refused(kind: str, subject: Any, code: str) -> None:
    refused(code, check_subject, kind, subject)


def test_decisions_are_checked_against_the_agreement() -> None:
    agreement, ids = lyhty()
    refused("invalid_subject", check_decision, agreement, "extension", date(2026, 6, 1),
            {"new_ends_on": "2026-12-31"})
    refused("agreement_not_in_force", check_decision, agreement, "extension", date(2027, 1, 1),
            {"new_ends_on": "2027-12-31"})
    refused("date_outside_term", check_decision, agreement, "budget", date(2025, 8, 31), {})
    refused("invalid_subject", check_decision, agreement, "expulsion", date(2026, 6, 1), {"party_id": str(uuid4())})
    refused("date_before_accession", check_decision, agreement, "expulsion", date(2025, 9, 15),
            {"party_id": str(ids["2029188-8"])})
    valtori = agreement.party_by_business_id("2574261-7")["party_id"]
    refused("coordinator_cannot_leave", check_decision, agreement, "expulsion", date(2026, 6, 1),
            {"party_id": str(valtori)})
    assert check_decision(agreement, "refund", date(2027, 3, 1), {}) is None  # decided after the end (R-FUND-3)
    assert check_decision(agreement, "extension", date(2026, 6, 1), {"new_ends_on": "2027-12-31"}) == date(
        2027, 12, 31)
