"""The steering group as the agreement composes it, through the API on SQLite and PostgreSQL: seats by
sector that vote with the sum of their parties' weights, personal deputies, experts without a vote,
changes by decision with history (R-GOV-1, R-GOV-2) and disqualification (R-GOV-4)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.demo import load_demo
from tests.api.helpers import COUNTY, KELA, UAS, auth, create_lyhty
from tests.api.membership_helpers import VALTORI, decide, decision_body, events, party_ids, post

KUNTALIITTO, HELSINKI, NORTH_OSTROBOTHNIA, CENTRAL_FINLAND = "0926151-4", "0201256-6", "3221326-2", "3221318-2"


@pytest.fixture
def demo(client: TestClient, tokens: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The demo Lyhty, seated as seed 000 §8.1 composes its steering group."""
    agreement_id = str(load_demo(client.app.state.ledger)["LYHTY"])
    return agreement_id, party_ids(client, tokens["finance"], agreement_id)


def group(client: TestClient, token: str, agreement_id: str, as_of: str) -> dict[str, Any]:
    response = client.get(f"/v1/agreements/{agreement_id}/steering-group", params={"as_of": as_of},
                          headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def minutes(client: TestClient, token: str, agreement_id: str, decision_id: str) -> dict[str, Any]:
    return client.get(f"/v1/agreements/{agreement_id}/decisions/{decision_id}", headers=auth(token)).json()


def test_lyhty_seats_by_sector_with_two_ministry_experts(client: TestClient, tokens: dict[str, str],
                                                         demo: tuple[str, dict[str, str]]) -> None:
    """R-GOV-1: a seat per sector; the counties' representative carries three counties' shares and the
    universities of applied sciences' seat gains Turku UAS's 5,000 when it joins on 2025-10-15."""
    agreement_id, ids = demo
    seated = group(client, tokens["auditor"], agreement_id, "2025-11-03")
    weights = {seat["code"]: seat["weight"] for seat in seated["seats"]}
    assert weights == {"state": "400000.00", "largest_cities": "25000.00", "municipalities": "300000.00",
                       "wellbeing_services_counties": "55000.00", "kela": "25000.00",
                       "universities": "10000.00", "universities_of_applied_sciences": "10000.00"}
    assert sum(map(float, weights.values())) == 825000
    assert [e["organisation"] for e in seated["experts"]] == ["Valtiovarainministeriö"] * 2
    assert all(seat["deputy"] for seat in seated["seats"]) and seated["effective_on"] == "2025-09-01"
    counties = next(s for s in seated["seats"] if s["code"] == "wellbeing_services_counties")
    assert set(counties["parties"]) == {ids[NORTH_OSTROBOTHNIA], ids[CENTRAL_FINLAND], ids["3221317-4"]}
    before = group(client, tokens["auditor"], agreement_id, "2025-10-01")
    assert {s["code"]: s["weight"] for s in before["seats"]}["universities_of_applied_sciences"] == "5000.00"
    assert group(client, tokens["auditor"], agreement_id, "2025-08-31")["composed"] is False
    party = client.get(f"/v1/agreements/{agreement_id}/steering-group", headers=auth(tokens["party"]))
    assert party.status_code == 403


def test_a_seat_votes_by_code_and_its_deputy_only_while_the_member_is_absent(
        client: TestClient, tokens: dict[str, str], demo: tuple[str, dict[str, str]]) -> None:
    """R-GOV-1, R-GOV-2: the counties' seat votes once with 55,000; its deputy's vote counts only with the
    member absent; the minutes name seats, not people."""
    agreement_id, _ = demo
    body = {"decided_on": "2025-11-03", "kind": "budget", "subject": {},
            "present": ["state", "wellbeing_services_counties", "kela"],
            "votes": [{"seat": "state", "vote": "for"},
                      {"seat": "wellbeing_services_counties", "vote": "against", "cast_by": "deputy"},
                      {"seat": "kela", "vote": "for", "cast_by": "member"},
                      {"seat": "kela", "vote": "against", "cast_by": "deputy"}],
            "experts_present": ["vm-1", "vm-2"]}
    outcome = decide(client, tokens["coordinator"], agreement_id, body)
    assert outcome.status_code == 201, outcome.text
    assert (outcome.json()["for_weight"], outcome.json()["against_weight"], outcome.json()["present_weight"]) == (
        "425000.00", "55000.00", "480000.00")
    recorded = minutes(client, tokens["auditor"], agreement_id, outcome.json()["decision_id"])
    assert [(v["seat"], v["cast_by"], v["counted"]) for v in recorded["votes"]] == [
        ("state", "member", True), ("wellbeing_services_counties", "deputy", True), ("kela", "member", True),
        ("kela", "deputy", False)]
    assert recorded["experts_present"] == ["vm-1", "vm-2"] and recorded["disqualified"] == []


def test_a_change_of_seats_needs_a_passed_decision_and_earlier_decisions_keep_their_seats(
        client: TestClient, tokens: dict[str, str], demo: tuple[str, dict[str, str]]) -> None:
    """R-GOV-1: the counties get a seat each from 2026-01-01 by a steering_group decision; before that
    day the counties' one seat still votes, and the history keeps both compositions."""
    agreement_id, ids = demo
    url = f"/v1/agreements/{agreement_id}/steering-group"
    current = group(client, tokens["auditor"], agreement_id, "2025-12-01")
    seats = [{k: s[k] for k in ("code", "sector", "parties", "deputy")} for s in current["seats"]
             if s["code"] != "wellbeing_services_counties"]
    seats += [{"code": f"county-{n}", "sector": "Hyvinvointialue", "parties": [ids[bid]], "deputy": n == 1}
              for n, bid in enumerate((NORTH_OSTROBOTHNIA, CENTRAL_FINLAND, "3221317-4"), 1)]
    change = {"effective_on": "2026-01-01", "seats": seats, "experts": current["experts"]}
    before = events(client)
    unauthorised = post(client, tokens["coordinator"], url, change)
    assert (unauthorised.status_code, unauthorised.json()["code"]) == (409, "decision_required")
    assert events(client) == before
    decision = decide(client, tokens["coordinator"], agreement_id, decision_body(
        "2025-12-10", "steering_group", {ids[VALTORI]: "for", ids[KUNTALIITTO]: "for"}))
    assert decision.status_code == 201 and decision.json()["passed"], decision.text
    made = post(client, tokens["coordinator"], url, {**change, "decision_id": decision.json()["decision_id"]})
    assert made.status_code == 201, made.text
    assert made.json()["decision_id"] == decision.json()["decision_id"]
    assert [s["code"] for s in group(client, tokens["auditor"], agreement_id, "2026-01-02")["seats"]][-3:] == [
        "county-1", "county-2", "county-3"]
    history = group(client, tokens["auditor"], agreement_id, "2026-01-02")["history"]
    assert [h["effective_on"] for h in history] == ["2025-09-01", "2026-01-01"]
    old = decide(client, tokens["coordinator"], agreement_id, decision_body(
        "2025-12-20", "budget", {ids[NORTH_OSTROBOTHNIA]: "for"}))
    new = decide(client, tokens["coordinator"], agreement_id, decision_body(
        "2026-01-10", "budget", {ids[NORTH_OSTROBOTHNIA]: "for"}))
    assert (old.json()["for_weight"], new.json()["for_weight"]) == ("55000.00", "25000.00")
    no_deputy = {"decided_on": "2026-01-10", "kind": "budget", "subject": {}, "present": ["county-2"],
                 "votes": [{"seat": "county-2", "vote": "for", "cast_by": "deputy"}]}
    refused = decide(client, tokens["coordinator"], agreement_id, no_deputy)
    assert (refused.status_code, refused.json()["code"]) == (422, "no_deputy")
    again = post(client, tokens["coordinator"], url, {**change, "decision_id": decision.json()["decision_id"]})
    assert (again.status_code, again.json()["code"]) == (409, "composition_out_of_order")


@pytest.mark.parametrize("seats, code", [
    ([], "validation_error"),
    ([{"code": "a", "sector": "A", "parties": ["00000000-0000-4000-8000-000000000000"]}], "invalid_steering_group"),
    ([{"code": "a", "sector": "A", "parties": ["{valtori}"]}, {"code": "b", "sector": "B", "parties": ["{valtori}"]}],
     "invalid_steering_group"),
    ([{"code": "a", "sector": "A", "parties": ["{valtori}"]}, {"code": "a", "sector": "B", "parties": ["{kela}"]}],
     "invalid_steering_group"),
    ([{"code": "Bad Code", "sector": "A", "parties": ["{valtori}"]}], "validation_error"),
])
def test_a_bad_composition_is_refused_and_changes_nothing(client: TestClient, tokens: dict[str, str],
                                                          seats: list[dict[str, Any]], code: str) -> None:
    agreement_id = create_lyhty(client, tokens["coordinator"], KELA)
    ids = party_ids(client, tokens["finance"], agreement_id)
    filled = [{**seat, "parties": [ids[VALTORI] if p == "{valtori}" else ids[KELA["business_id"]] if p == "{kela}"
                                   else p for p in seat["parties"]]} for seat in seats]
    before = events(client)
    response = post(client, tokens["coordinator"], f"/v1/agreements/{agreement_id}/steering-group",
                    {"effective_on": "2025-09-01", "seats": filled})
    assert (response.status_code, response.json()["code"]) == (422, code), response.text
    assert events(client) == before
    finance = post(client, tokens["finance"], f"/v1/agreements/{agreement_id}/steering-group",
                   {"effective_on": "2025-09-01", "seats": [{"code": "a", "sector": "A", "parties": [ids[VALTORI]]}]})
    assert finance.status_code == 403


def test_a_party_is_disqualified_from_its_own_expulsion_one_seat_per_party(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-GOV-4: Kela's against neither counts nor weighs in the total; the minutes say it was disqualified."""
    agreement_id = create_lyhty(client, tokens["coordinator"], KELA, COUNTY, UAS)
    ids = party_ids(client, tokens["finance"], agreement_id)
    kela = ids[KELA["business_id"]]
    body = decision_body("2026-02-20", "expulsion", {ids[VALTORI]: "for", kela: "against"},
                         subject={"party_id": kela})
    outcome = decide(client, tokens["coordinator"], agreement_id, body)
    assert outcome.status_code == 201, outcome.text
    assert (outcome.json()["for_weight"], outcome.json()["against_weight"], outcome.json()["total_weight"]) == (
        "400000.00", "0.00", "425000.00")
    recorded = minutes(client, tokens["auditor"], agreement_id, outcome.json()["decision_id"])
    assert recorded["disqualified"] == [kela] and recorded["weights"][kela] == "0.00"
    assert [(v["party_id"], v["counted"]) for v in recorded["votes"]] == [(ids[VALTORI], True), (kela, False)]
    other = decide(client, tokens["coordinator"], agreement_id, decision_body(
        "2026-02-20", "budget", {ids[VALTORI]: "for", kela: "against"}))
    assert (other.json()["against_weight"], other.json()["total_weight"]) == ("25000.00", "450000.00")


def test_a_county_is_disqualified_within_its_shared_seat(client: TestClient, tokens: dict[str, str],
                                                          demo: tuple[str, dict[str, str]]) -> None:
    """R-GOV-1, R-GOV-4: on North Ostrobothnia's expulsion the counties' seat votes with the other two
    counties' 30,000 only, and the total leaves its 25,000 out."""
    agreement_id, ids = demo
    subject = {"party_id": ids[NORTH_OSTROBOTHNIA]}
    body = decision_body("2026-02-20", "expulsion", {ids[VALTORI]: "for", ids[NORTH_OSTROBOTHNIA]: "against"},
                         subject=subject)
    outcome = decide(client, tokens["coordinator"], agreement_id, body).json()
    assert (outcome["against_weight"], outcome["total_weight"]) == ("30000.00", "800000.00")
    recorded = minutes(client, tokens["auditor"], agreement_id, outcome["decision_id"])
    assert recorded["disqualified"] == [ids[NORTH_OSTROBOTHNIA]]
    assert recorded["weights"]["wellbeing_services_counties"] == "30000.00"
