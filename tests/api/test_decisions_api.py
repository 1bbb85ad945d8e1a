"""Steering-group decisions through the HTTP API, on SQLite and PostgreSQL (R-GOV-1 .. R-GOV-3, R-AGR-1)."""

from __future__ import annotations

from datetime import date
from typing import Any, get_args
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.demo import load_demo
from api.routes.decisions import Kind
from api.settings import Settings
from domain.application import Ledger
from domain.steering.decisions import KINDS
from tests.api.helpers import COUNTY, KELA, UAS, auth, create_lyhty, lyhty_body
from tests.api.membership_helpers import VALTORI, decide, decision_body, events, party_ids, post

KUNTALIITTO, HELSINKI, NORTH_OSTROBOTHNIA, TURKU_UAS = "0926151-4", "0201256-6", "3221326-2", "2528160-3"


@pytest.fixture
def demo(client: TestClient, tokens: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The demo Lyhty: Valtori 400,000, Kuntaliitto 300,000, Kela, Helsinki and a county 25,000 each,
    and five smaller parties, 825,000 in all once Turku UAS has joined on 2025-10-15."""
    agreement_id = str(load_demo(client.app.state.ledger)["LYHTY"])
    return agreement_id, party_ids(client, tokens["finance"], agreement_id)


@pytest.fixture
def lyhty(client: TestClient, tokens: dict[str, str]) -> tuple[str, dict[str, str]]:
    """Lyhty with Valtori (400,000), Kela (25,000), a county (20,000) and Haaga-Helia (5,000)."""
    agreement_id = create_lyhty(client, tokens["coordinator"], KELA, COUNTY, UAS)
    return agreement_id, party_ids(client, tokens["finance"], agreement_id)


def get(client: TestClient, token: str, url: str) -> Any:
    response = client.get(url, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def test_state_and_municipalities_outvote_the_seats_of_kela_the_largest_cities_and_the_counties(
        client: TestClient, tokens: dict[str, str], demo: tuple[str, dict[str, str]]) -> None:
    """R-GOV-1: the demo seats Lyhty's group as seed 000 §8.1 does; a vote named by a party counts for its
    seat, the counties' seat with all three counties' shares (55,000): 700,000 for, 105,000 against
    passes two thirds of the weight cast; the response and the minutes give the seats' weights."""
    agreement_id, ids = demo
    votes = {ids[VALTORI]: "for", ids[KUNTALIITTO]: "for", ids[KELA["business_id"]]: "against",
             ids[HELSINKI]: "against", ids[NORTH_OSTROBOTHNIA]: "against"}
    response = decide(client, tokens["coordinator"], agreement_id, decision_body("2025-11-03", "budget", votes))
    assert response.status_code == 201, response.text
    outcome = response.json()
    assert outcome["passed"] is True and outcome["number"] == 1
    assert {k: outcome[k] for k in ("for_weight", "against_weight", "present_weight", "total_weight")} == {
        "for_weight": "700000.00", "against_weight": "105000.00", "present_weight": "805000.00",
        "total_weight": "825000.00"}
    recorded = get(client, tokens["auditor"], f"/v1/agreements/{agreement_id}/decisions/{outcome['decision_id']}")
    assert recorded["voting_by"] == "seat" and len(recorded["weights"]) == 7
    assert (recorded["weights"]["state"], recorded["weights"]["wellbeing_services_counties"]) == (
        "400000.00", "55000.00")
    assert recorded["present"] == ["state", "municipalities", "kela", "largest_cities", "wellbeing_services_counties"]
    assert recorded["kind"] == "budget" and recorded["decided_on"] == "2025-11-03"


def test_a_key_only_agreement_weighs_votes_by_its_key(client: TestClient, tokens: dict[str, str]) -> None:
    """R-GOV-1, R-ACC-5: Mäntyharju–Hirvensalmi commits no money, so its fixed key, ¾ and ¼, gives the weights."""
    agreement_id = str(load_demo(client.app.state.ledger)["MH-HS-ICT"])
    ids = party_ids(client, tokens["finance"], agreement_id)
    body = decision_body("2025-10-01", "budget", {ids["0165761-0"]: "for", ids["0164384-1"]: "against"})
    outcome = decide(client, tokens["coordinator"], agreement_id, body).json()
    assert (outcome["for_weight"], outcome["against_weight"], outcome["total_weight"]) == (
        "0.75", "0.25", "1.00")
    assert outcome["passed"] is True  # three quarters of the weight cast


def test_weights_are_of_the_parties_active_on_the_decision_date(
        client: TestClient, tokens: dict[str, str], demo: tuple[str, dict[str, str]]) -> None:
    """R-GOV-1: on 2025-10-01 Turku UAS (5,000) had not joined: it adds no weight to the seat of the
    universities of applied sciences, which votes with Haaga-Helia's 5,000 until it does."""
    agreement_id, ids = demo
    body = decision_body("2025-10-01", "budget", {ids[VALTORI]: "for"})
    assert decide(client, tokens["coordinator"], agreement_id, body).json()["total_weight"] == "820000.00"
    before_joining = decide(client, tokens["coordinator"], agreement_id,
                            decision_body("2025-10-01", "budget", {ids[VALTORI]: "for", ids[TURKU_UAS]: "for"}))
    after_joining = decide(client, tokens["coordinator"], agreement_id,
                           decision_body("2025-10-20", "budget", {ids[VALTORI]: "for", ids[TURKU_UAS]: "for"}))
    assert [r.json()["for_weight"] for r in (before_joining, after_joining)] == ["405000.00", "410000.00"]


def test_no_quorum_by_default_and_a_configured_one_fails_a_thin_meeting(
        client: TestClient, tokens: dict[str, str], demo: tuple[str, dict[str, str]]) -> None:
    """R-GOV-1: seed 000 sets no quorum, so 325,000 of 825,000 present decides; an agreement that sets a
    quorum of one half records a motion of 45,000 of 450,000 present as failed, and keeps it in the minutes."""
    agreement_id, ids = demo
    votes = {ids[KUNTALIITTO]: "for", ids[KELA["business_id"]]: "for"}
    outcome = decide(client, tokens["coordinator"], agreement_id, decision_body("2025-11-03", "other", votes)).json()
    assert (outcome["passed"], outcome["quorum_met"], outcome["majority_met"]) == (True, True, True)
    assert outcome["present_weight"] == "325000.00"
    created = client.post("/v1/agreements", json=lyhty_body(code="QUORUM", terms={"quorum": "1/2"}),
                          headers=auth(tokens["coordinator"]))
    strict = created.json()["id"]
    for party in (KELA, COUNTY, UAS):
        assert client.post(f"/v1/agreements/{strict}/parties", json=party,
                           headers=auth(tokens["coordinator"])).status_code == 201
    strict_ids = party_ids(client, tokens["finance"], strict)
    thin = decide(client, tokens["coordinator"], strict, decision_body(
        "2025-11-03", "other", {strict_ids[KELA["business_id"]]: "for", strict_ids[COUNTY["business_id"]]: "for"}))
    assert (thin.json()["passed"], thin.json()["quorum_met"], thin.json()["present_weight"]) == (
        False, False, "45000.00")
    listed = get(client, tokens["finance"], f"/v1/agreements/{strict}/decisions")
    assert [(d["decision_id"], d["passed"], d["quorum"]) for d in listed] == [(thin.json()["decision_id"], False, "1/2")]


def test_a_deputys_vote_is_ignored_while_its_member_votes(
        client: TestClient, tokens: dict[str, str], demo: tuple[str, dict[str, str]]) -> None:
    """R-GOV-2: Valtori's member votes for, its deputy against: the deputy's vote is recorded, not counted."""
    agreement_id, ids = demo
    body = decision_body("2025-11-03", "budget", {ids[VALTORI]: "for", ids[KUNTALIITTO]: "for"},
                         deputies={ids[VALTORI]: "against"})
    outcome = decide(client, tokens["coordinator"], agreement_id, body).json()
    assert (outcome["for_weight"], outcome["against_weight"], outcome["passed"]) == ("700000.00", "0.00", True)
    votes = get(client, tokens["auditor"], f"/v1/agreements/{agreement_id}/decisions/{outcome['decision_id']}")["votes"]
    assert [(v["cast_by"], v["vote"], v["counted"]) for v in votes if v["seat"] == "state"] == [
        ("member", "for", True), ("deputy", "against", False)]


def test_a_deputy_votes_for_an_absent_member(client: TestClient, tokens: dict[str, str],
                                             demo: tuple[str, dict[str, str]]) -> None:
    """R-GOV-2: with no member's vote, the deputy's counts with the party's weight."""
    agreement_id, ids = demo
    body = decision_body("2025-11-03", "budget", {ids[KUNTALIITTO]: "for"}, deputies={ids[VALTORI]: "for"})
    assert decide(client, tokens["coordinator"], agreement_id, body).json()["for_weight"] == "700000.00"


def test_an_expert_is_minuted_as_present_and_never_votes(client: TestClient, tokens: dict[str, str],
                                                        demo: tuple[str, dict[str, str]]) -> None:
    """R-GOV-2: the Ministry of Finance experts speak but do not vote: an expert's entry is minuted as
    present and counts nothing; it no longer refuses the decision."""
    agreement_id, ids = demo
    body = decision_body("2025-11-03", "budget", {ids[VALTORI]: "for"})
    body["votes"].append({"expert": "vm-1", "vote": "against", "cast_by": "expert"})
    body["experts_present"] = ["vm-2"]
    response = decide(client, tokens["coordinator"], agreement_id, body)
    assert response.status_code == 201, response.text
    assert (response.json()["for_weight"], response.json()["against_weight"]) == ("400000.00", "0.00")
    minutes = get(client, tokens["auditor"], f"/v1/agreements/{agreement_id}/decisions/{response.json()['decision_id']}")
    assert minutes["experts_present"] == ["vm-2", "vm-1"]
    assert [v["cast_by"] for v in minutes["votes"]] == ["member"]
    unknown = {**body, "experts_present": ["someone"]}
    refused = decide(client, tokens["coordinator"], agreement_id, unknown)
    assert (refused.status_code, refused.json()["code"]) == (422, "not_an_expert")


def test_an_extension_decision_moves_the_end_date(client: TestClient, tokens: dict[str, str],
                                                  lyhty: tuple[str, dict[str, str]]) -> None:
    """R-AGR-1, R-FUND-1: a failed extension changes nothing; a passed one extends the term from its date."""
    agreement_id, ids = lyhty
    url = f"/v1/agreements/{agreement_id}"
    failed = decision_body("2026-05-01", "extension", {ids[VALTORI]: "against"}, subject={"new_ends_on": "2027-06-30"})
    assert decide(client, tokens["coordinator"], agreement_id, failed).json()["passed"] is False
    assert get(client, tokens["auditor"], f"{url}?as_of=2026-06-30")["ends_on"] == "2026-12-31"
    passed = decision_body("2026-06-01", "extension", {ids[VALTORI]: "for"}, subject={"new_ends_on": "2027-12-31"})
    assert decide(client, tokens["coordinator"], agreement_id, passed).json()["passed"] is True
    for as_of, status in (("2026-05-31", "in_force"), ("2026-06-01", "extended"), ("2027-06-30", "extended"),
                          ("2028-01-01", "ended")):
        agreement = get(client, tokens["auditor"], f"{url}?as_of={as_of}")
        assert (agreement["ends_on"], agreement["status"]) == ("2027-12-31", status)
    extended = [e for e in client.app.state.ledger.events.get(UUID(agreement_id))
                if type(e).__name__ == "TermExtended"]
    assert len(extended) == 1 and extended[0].new_ends_on == date(2027, 12, 31)
    assert str(extended[0].decision_id) == get(client, tokens["auditor"], f"{url}/decisions?kind=extension&passed=true"
                                               )[0]["decision_id"]


def test_a_dissolution_decision_dissolves_the_agreement(client: TestClient, tokens: dict[str, str],
                                                        lyhty: tuple[str, dict[str, str]]) -> None:
    """R-AGR-1, R-GOV-3: dissolved from the decision date; no accession after it."""
    agreement_id, ids = lyhty
    body = decision_body("2026-04-01", "dissolution", {ids[VALTORI]: "for"})
    assert decide(client, tokens["coordinator"], agreement_id, body).json()["passed"] is True
    assert get(client, tokens["auditor"], f"/v1/agreements/{agreement_id}?as_of=2026-04-01")["status"] == "dissolved"
    refused = post(client, tokens["coordinator"], f"/v1/agreements/{agreement_id}/parties",
                   {**KELA, "business_id": "0201256-6", "signed_on": "2026-05-01"})
    assert refused.status_code == 409 and refused.json()["code"] == "agreement_not_in_force"


def test_a_tranche_release_is_recorded_and_found_by_the_ledger(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-FUND-5, R-GOV-3: the release names its instalment and is kept as decided, other fields too."""
    plan = [{"issue_on": "2025-09-01", "share": "1/2"},
            {"issue_on": "2026-01-15", "share": "1/2", "requires_release": True}]
    agreement_id = post(client, tokens["coordinator"], "/v1/agreements", lyhty_body(instalments=plan)).json()["id"]
    ids = party_ids(client, tokens["finance"], agreement_id)
    subject = {"instalment": 2, "year": 2026, "note": None}
    body = decision_body("2026-01-10", "tranche_release", {ids[VALTORI]: "for"}, subject=subject)
    decision_id = decide(client, tokens["coordinator"], agreement_id, body).json()["decision_id"]
    decide(client, tokens["coordinator"], agreement_id, decision_body("2026-01-10", "budget", {ids[VALTORI]: "for"}))
    found = client.app.state.ledger.get_decision(UUID(agreement_id), UUID(decision_id))
    assert (found["kind"], found["subject"], found["passed"], found["decided_on"]) == (
        "tranche_release", subject, True, "2026-01-10")
    listed = get(client, tokens["scheduler"],
                 f"/v1/agreements/{agreement_id}/decisions?kind=tranche_release&passed=true")
    assert [d["decision_id"] for d in listed] == [decision_id]


def test_repeats_with_the_same_key_record_one_decision(client: TestClient, tokens: dict[str, str],
                                                       lyhty: tuple[str, dict[str, str]]) -> None:
    agreement_id, ids = lyhty
    body = decision_body("2026-01-10", "budget", {ids[VALTORI]: "for"})
    first = decide(client, tokens["coordinator"], agreement_id, body, key="meeting-3-item-1")
    before = events(client)
    again = decide(client, tokens["coordinator"], agreement_id, body, key="meeting-3-item-1")
    assert (again.status_code, again.json()) == (201, first.json())
    assert events(client) == before
    other = decide(client, tokens["coordinator"], agreement_id, {**body, "kind": "other"}, key="meeting-3-item-1")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert len(get(client, tokens["finance"], f"/v1/agreements/{agreement_id}/decisions")) == 1


def test_decisions_are_listed_a_page_at_a_time(client: TestClient, tokens: dict[str, str],
                                              lyhty: tuple[str, dict[str, str]]) -> None:
    agreement_id, ids = lyhty
    made = [decide(client, tokens["coordinator"], agreement_id,
                   decision_body(f"2026-01-1{n}", "other", {ids[VALTORI]: "for"})).json()["decision_id"]
            for n in range(3)]
    url = f"/v1/agreements/{agreement_id}/decisions"
    first = client.get(f"{url}?limit=2", headers=auth(tokens["finance"]))
    assert [d["decision_id"] for d in first.json()] == made[:2] and 'rel="next"' in first.headers["link"]
    rest = get(client, tokens["finance"], f"{url}?limit=2&after={made[1]}")
    assert [(d["decision_id"], d["number"]) for d in rest] == [(made[2], 3)]
    assert client.get(f"{url}?limit=501", headers=auth(tokens["finance"])).status_code == 422


def fill(value: Any, valtori: str) -> Any:
    """The body with "{valtori}" replaced by Valtori's party id (which the parameters cannot know)."""
    if isinstance(value, dict):
        return {k: fill(v, valtori) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, valtori) for v in value]
    return valtori if value == "{valtori}" else value


@pytest.mark.parametrize("change, code", [
    ({"kind": "coffee"}, "validation_error"),
    ({"decided_on": "2026-02-30"}, "validation_error"),
    ({"subject": {"nested": {"a": 1}}}, "validation_error"),
    ({"subject": {"amount": 1.5}}, "validation_error"),
    ({"present": ["Not A Seat!"]}, "validation_error"),  # neither a party id nor a seat's code
    ({"present": ["not-a-seat"]}, "not_a_voting_member"),  # a seat's code, but Lyhty here has composed none
    ({"votes": [{"party_id": "{valtori}", "vote": "yes"}]}, "validation_error"),
    ({"votes": [{"party_id": "{valtori}", "vote": "for", "cast_by": "member", "weight": "1.00"}]},
     "validation_error"),
    ({"kind": "extension"}, "invalid_subject"),
    ({"kind": "extension", "subject": {"new_ends_on": "2026-06-30"}}, "invalid_subject"),
    ({"kind": "expulsion", "subject": {"party_id": "00000000-0000-4000-8000-000000000000"}}, "invalid_subject"),
    ({"decided_on": "2025-08-31"}, "date_outside_term"),
    ({"present": ["{valtori}", "{valtori}"]}, "duplicate_vote"),
    ({"present": []}, "voter_not_present"),
    ({"present": ["00000000-0000-4000-8000-000000000000"]}, "not_a_voting_member"),
])
def test_bad_input_is_a_problem_with_a_stable_code_and_changes_nothing(
        client: TestClient, tokens: dict[str, str], lyhty: tuple[str, dict[str, str]],
        change: dict[str, Any], code: str) -> None:
    agreement_id, ids = lyhty
    body = fill({**decision_body("2026-01-10", "budget", {ids[VALTORI]: "for"}), **change}, ids[VALTORI])
    before = events(client)
    response = decide(client, tokens["coordinator"], agreement_id, body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert events(client) == before


def test_only_the_coordinator_records_and_party_tokens_see_no_decisions(
        client: TestClient, tokens: dict[str, str], lyhty: tuple[str, dict[str, str]]) -> None:
    """api.md roles: the coordinator records decisions; finance, scheduler and auditor read them; a party
    (here Kela, a live party) gets 403, as the minutes show every other party's weight and vote."""
    agreement_id, ids = lyhty
    body = decision_body("2026-01-10", "budget", {ids[VALTORI]: "for"})
    decision_id = decide(client, tokens["coordinator"], agreement_id, body).json()["decision_id"]
    url = f"/v1/agreements/{agreement_id}/decisions"
    for role in ("finance", "scheduler", "auditor", "party"):
        assert post(client, tokens[role], url, body).status_code == 403
    for read in (url, f"{url}/{decision_id}"):
        for role in ("coordinator", "finance", "scheduler", "auditor"):
            assert client.get(read, headers=auth(tokens[role])).status_code == 200
        forbidden = client.get(read, headers=auth(tokens["party"]))
        assert forbidden.status_code == 403 and forbidden.json()["code"] == "forbidden"
        assert client.get(read).status_code == 401


def test_a_decision_is_found_only_under_its_own_agreement(client: TestClient, tokens: dict[str, str],
                                                          lyhty: tuple[str, dict[str, str]]) -> None:
    agreement_id, ids = lyhty
    decision_id = decide(client, tokens["coordinator"], agreement_id,
                         decision_body("2026-01-10", "budget", {ids[VALTORI]: "for"})).json()["decision_id"]
    other = post(client, tokens["coordinator"], "/v1/agreements", lyhty_body(code="OTHER")).json()["id"]
    for url in (f"/v1/agreements/{other}/decisions/{decision_id}", f"/v1/agreements/{agreement_id}/decisions/x",
                f"/v1/agreements/{agreement_id}/decisions/{other}"):
        response = client.get(url, headers=auth(tokens["auditor"]))
        assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_concurrent_decisions_get_consecutive_numbers(settings: Settings) -> None:
    """Two writers minute a decision at once: the store refuses the second id, which is retried as number 2."""
    ours, theirs = Ledger(env=settings.persistence_env()), Ledger(env=settings.persistence_env())
    try:
        aid = load_demo(ours)["LYHTY"]
        valtori = UUID(ours.list_parties(aid, limit=1, business_id=VALTORI)[0]["party_id"])
        motion: dict[str, Any] = {"decided_on": date(2025, 11, 3), "subject": {}, "present": [valtori],
                                  "votes": [{"party_id": valtori, "vote": "for", "cast_by": "member"}]}
        load = ours._agreement
        interleaved = iter([True])

        def load_then_interleave(agreement: Any) -> Any:
            loaded = load(agreement)
            for _ in interleaved:
                theirs.record_decision(aid, kind="budget", **motion)
            return loaded

        ours._agreement = load_then_interleave  # type: ignore[method-assign]
        mine = ours.record_decision(aid, kind="other", **motion)
        listed = theirs.list_decisions(aid, limit=10)
        assert [(d["number"], d["kind"]) for d in listed] == [(1, "budget"), (2, "other")]
        assert listed[1]["decision_id"] == mine["decision_id"]
    finally:
        ours.close()
        theirs.close()


def test_minutes_and_membership_survive_snapshots(ledger: Ledger) -> None:
    """Past the snapshot interval, a fresh application reads the minutes, notices and breach notices back."""
    aid = load_demo(ledger)["LYHTY"]
    ids = {p["business_id"]: UUID(p["party_id"]) for p in ledger.list_parties(aid, limit=20)}
    valtori, kela, turku_uas = ids[VALTORI], ids[KELA["business_id"]], ids[TURKU_UAS]
    ledger.give_notice(aid, turku_uas, given_on=date(2026, 1, 15), ground="organisation_changed")
    ledger.give_breach_notice(aid, kela, given_on=date(2026, 1, 15), description="Unpaid")
    made = [ledger.record_decision(aid, decided_on=date(2026, 1, 20), kind="other", subject={"item": n},
                                   present=[valtori], votes=[{"party_id": valtori, "vote": "for"}])
            for n in range(45)]
    fresh = Ledger(env=ledger.env)
    try:
        assert fresh.snapshots is not None and list(fresh.snapshots.get(aid))
        listed = fresh.list_decisions(aid, limit=10, after=UUID(made[39]["decision_id"]))
        assert [(d["number"], d["subject"]) for d in listed] == [(n + 1, {"item": n}) for n in range(40, 45)]
        party = fresh.get_party(aid, turku_uas, as_of=date(2026, 10, 15))
        assert (party["status"], party["left_on"]) == ("withdrawn", "2026-10-15")
        assert fresh.apply_notices(aid, as_of=date(2026, 10, 15)) == 1
    finally:
        fresh.close()


def test_the_routes_kinds_are_the_domains() -> None:
    assert get_args(Kind) == KINDS
