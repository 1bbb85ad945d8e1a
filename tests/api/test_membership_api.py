"""Notice, withdrawal, breach notice and expulsion through the HTTP API, on SQLite and PostgreSQL
(R-TERM-1 .. R-TERM-5)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import COUNTY, KELA, UAS, auth, create_lyhty, lyhty_body
from tests.api.membership_helpers import (VALTORI, decide, decision_body, events, party_ids, passed_expulsion,
                                          post)

ROLES = ("coordinator", "finance", "scheduler", "auditor", "party")


@pytest.fixture
def lyhty(client: TestClient, tokens: dict[str, str]) -> tuple[str, dict[str, str]]:
    """Lyhty with Valtori (400,000), Kela (25,000, joined 2025-09-01), a county (20,000, 2025-09-15) and
    Haaga-Helia (5,000, 2025-10-01)."""
    agreement_id = create_lyhty(client, tokens["coordinator"], KELA, COUNTY, UAS)
    return agreement_id, party_ids(client, tokens["finance"], agreement_id)


def notice(client: TestClient, token: str, agreement_id: str, party_id: str, given_on: str,
           ground: str = "organisation_changed", key: str | None = None) -> Any:
    return post(client, token, f"/v1/agreements/{agreement_id}/parties/{party_id}/notice",
                {"given_on": given_on, "ground": ground}, key)


def party(client: TestClient, token: str, agreement_id: str, party_id: str, as_of: str) -> dict[str, Any]:
    response = client.get(f"/v1/agreements/{agreement_id}/parties/{party_id}?as_of={as_of}", headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def test_notice_on_organisation_changed_takes_effect_three_months_later(
        client: TestClient, tokens: dict[str, str], lyhty: tuple[str, dict[str, str]]) -> None:
    """R-TERM-2: Kela, a party for over a year, gives notice on 2026-09-15 and leaves on 2026-12-15."""
    agreement_id, ids = lyhty
    response = notice(client, tokens["coordinator"], agreement_id, ids[KELA["business_id"]], "2026-09-15")
    assert response.status_code == 200, response.text
    assert response.json() == {"party_id": ids[KELA["business_id"]], "status": "notice_given",
                               "given_on": "2026-09-15", "ground": "organisation_changed",
                               "effective_on": "2026-12-15"}
    before = party(client, tokens["finance"], agreement_id, ids[KELA["business_id"]], "2026-12-14")
    assert (before["status"], before["left_on"]) == ("notice_given", None)
    assert before["notice"] == {"given_on": "2026-09-15", "ground": "organisation_changed",
                                "effective_on": "2026-12-15"}
    after = party(client, tokens["auditor"], agreement_id, ids[KELA["business_id"]], "2026-12-15")
    assert (after["status"], after["left_on"]) == ("withdrawn", "2026-12-15")
    assert party(client, tokens["auditor"], agreement_id, ids[KELA["business_id"]], "2026-09-14")["status"] == "active"


def test_a_party_that_joined_in_october_leaves_no_sooner_than_a_year_later(
        client: TestClient, tokens: dict[str, str], lyhty: tuple[str, dict[str, str]]) -> None:
    """R-TERM-1: joined 2025-10-01, notice 2026-01-15: effective 2026-10-01, not 2026-04-15."""
    agreement_id, ids = lyhty
    response = notice(client, tokens["coordinator"], agreement_id, ids[UAS["business_id"]], "2026-01-15")
    assert response.status_code == 200 and response.json()["effective_on"] == "2026-10-01"


def test_majority_left_is_refused_until_more_than_half_of_the_others_have_left(
        client: TestClient, tokens: dict[str, str], lyhty: tuple[str, dict[str, str]]) -> None:
    """R-TERM-2: Haaga-Helia's others are Valtori, Kela and the county; two of the three must have gone."""
    agreement_id, ids = lyhty
    coordinator, uas = tokens["coordinator"], ids[UAS["business_id"]]
    for leaver in (None, KELA):
        if leaver is not None:
            gone = notice(client, coordinator, agreement_id, ids[leaver["business_id"]], "2026-02-01")
            assert gone.status_code == 200
        before = events(client)
        refused = notice(client, coordinator, agreement_id, uas, "2026-03-01", "majority_left")
        assert refused.status_code == 409 and refused.json()["code"] == "notice_ground_not_met"
        assert refused.headers["content-type"] == "application/problem+json"
        assert events(client) == before
    assert notice(client, coordinator, agreement_id, ids[COUNTY["business_id"]], "2026-02-15").status_code == 200
    allowed = notice(client, coordinator, agreement_id, uas, "2026-03-01", "majority_left")
    assert allowed.status_code == 200 and allowed.json()["effective_on"] == "2026-10-01"


def test_the_sweep_records_withdrawals_once_and_the_party_token_then_reads_nothing(
        client: TestClient, tokens: dict[str, str], lyhty: tuple[str, dict[str, str]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """R-TERM-2, R-TERM-5: Kela's notice of 2026-01-15 takes effect 2026-09-01; from then its token is refused."""
    agreement_id, ids = lyhty
    kela = auth(tokens["party"])
    assert notice(client, tokens["coordinator"], agreement_id, ids[KELA["business_id"]],
                  "2026-01-15").json()["effective_on"] == "2026-09-01"
    monkeypatch.setattr("api.routes.common.today", lambda: date(2026, 5, 1))
    assert client.get(f"/v1/agreements/{agreement_id}", headers=kela).status_code == 200
    monkeypatch.setattr("api.routes.common.today", lambda: date(2026, 9, 1))
    assert client.get(f"/v1/agreements/{agreement_id}", headers=kela).status_code == 404  # before the sweep
    sweep = f"/v1/agreements/{agreement_id}/notice-sweeps"
    assert post(client, tokens["scheduler"], sweep, {"as_of": "2026-08-31"}).json() == {
        "as_of": "2026-08-31", "withdrawn": 0}
    assert post(client, tokens["scheduler"], sweep, {"as_of": "2026-09-01"}).json()["withdrawn"] == 1
    before = events(client)
    assert post(client, tokens["scheduler"], sweep, {"as_of": "2026-09-02"}).json()["withdrawn"] == 0
    assert client.app.state.ledger.apply_notices(UUID(agreement_id), as_of=date(2026, 12, 31)) == 0
    assert events(client) == before
    monkeypatch.setattr("api.routes.common.today", lambda: date(2026, 5, 1))  # the record now says withdrawn
    for url in (f"/v1/agreements/{agreement_id}", f"/v1/agreements/{agreement_id}/parties",
                f"/v1/agreements/{agreement_id}/parties/{ids[KELA['business_id']]}"):
        response = client.get(url, headers=kela)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert client.get("/v1/agreements", headers=kela).json() == []
    listed = party(client, tokens["finance"], agreement_id, ids[KELA["business_id"]], "2026-12-31")
    assert (listed["status"], listed["left_on"], listed["cost_share"]) == ("withdrawn", "2026-09-01", "25000.00")


def test_expulsion_waits_for_the_cure_period_and_a_passed_decision_then_the_token_reads_nothing(
        client: TestClient, tokens: dict[str, str], lyhty: tuple[str, dict[str, str]]) -> None:
    """R-TERM-4, R-TERM-5: refused within 30 days of the breach notice and without a passed decision."""
    agreement_id, ids = lyhty
    coordinator, kela_id = tokens["coordinator"], ids[KELA["business_id"]]
    url = f"/v1/agreements/{agreement_id}/parties/{kela_id}"
    assert client.get(f"/v1/agreements/{agreement_id}", headers=auth(tokens["party"])).status_code == 200
    breach = post(client, coordinator, f"{url}/breach-notices",
                  {"given_on": "2026-02-01", "description": "The first instalment is unpaid."})
    assert breach.status_code == 201
    assert breach.json() == {"party_id": kela_id, "given_on": "2026-02-01", "expulsion_possible_on": "2026-03-04"}
    decision_id = passed_expulsion(client, coordinator, agreement_id, kela_id, "2026-02-20")
    failed = decide(client, coordinator, agreement_id, decision_body(
        "2026-02-20", "expulsion", {ids[KELA["business_id"]]: "against"}, subject={"party_id": kela_id}))
    assert failed.status_code == 201 and not failed.json()["passed"]
    before = events(client)
    for decided_on, cited, code in (("2026-03-03", decision_id, "cure_period_running"),
                                    ("2026-03-04", failed.json()["decision_id"], "decision_required"),
                                    ("2026-03-04", "6f1c1c0e-9f4e-5a51-9a55-1f0d3c3c2e10", "decision_required")):
        response = post(client, coordinator, f"{url}/expulsion", {"decided_on": decided_on, "decision_id": cited})
        assert response.status_code == 409 and response.json()["code"] == code, response.text
    assert events(client) == before
    expelled = post(client, coordinator, f"{url}/expulsion", {"decided_on": "2026-03-04", "decision_id": decision_id})
    assert expelled.status_code == 200, expelled.text
    assert expelled.json() == {"party_id": kela_id, "status": "expelled", "left_on": "2026-03-04",
                               "decision_id": decision_id}
    listed = party(client, tokens["auditor"], agreement_id, kela_id, "2026-06-30")
    assert (listed["status"], listed["left_on"], listed["expelled_by"]) == ("expelled", "2026-03-04", decision_id)
    assert listed["cost_share"] == "25000.00"  # paid shares stay paid
    kela = auth(tokens["party"])
    for read in (f"/v1/agreements/{agreement_id}", f"/v1/agreements/{agreement_id}/parties", url):
        assert client.get(read, headers=kela).status_code == 404
    assert client.get("/v1/agreements", headers=kela).json() == []


@pytest.mark.parametrize("given_on, possible_on", [
    ("2025-11-24", "2025-12-30"),  # the 30th day is Christmas Eve 2025-12-24: the cure ends Monday 29th
    ("2026-05-20", "2026-06-23"),  # Midsummer Eve 2026-06-19: the cure ends Monday 22nd
    ("2026-03-04", "2026-04-08"),  # Good Friday 2026-04-03: the cure ends Tuesday 7th, after Easter
    ("2025-10-02", "2025-11-04"),  # All Saints' Day, Saturday 2025-11-01: the cure ends Monday 3rd
])
def test_the_cure_period_ends_on_a_working_day_under_the_act_on_time_limits(
        client: TestClient, tokens: dict[str, str], lyhty: tuple[str, dict[str, str]], given_on: str,
        possible_on: str) -> None:
    """R-TERM-4 (150/1930): the breach-notice route returns the first day expulsion is possible, the day
    after a cure period whose last day moved off a weekend, holiday, Christmas Eve or Midsummer Eve;
    the day before it the expulsion is refused, on it the expulsion is recorded."""
    agreement_id, ids = lyhty
    coordinator, kela_id = tokens["coordinator"], ids[KELA["business_id"]]
    url = f"/v1/agreements/{agreement_id}/parties/{kela_id}"
    breach = post(client, coordinator, f"{url}/breach-notices", {"given_on": given_on, "description": "Unpaid."})
    assert breach.status_code == 201, breach.text
    assert breach.json() == {"party_id": kela_id, "given_on": given_on, "expulsion_possible_on": possible_on}
    decision_id = passed_expulsion(client, coordinator, agreement_id, kela_id, given_on)
    day_before = (date.fromisoformat(possible_on) - timedelta(days=1)).isoformat()
    early = post(client, coordinator, f"{url}/expulsion", {"decided_on": day_before, "decision_id": decision_id})
    assert (early.status_code, early.json()["code"]) == (409, "cure_period_running"), early.text
    assert f"expulsion is possible from {possible_on}" in early.json()["detail"]
    expelled = post(client, coordinator, f"{url}/expulsion", {"decided_on": possible_on, "decision_id": decision_id})
    assert expelled.status_code == 200, expelled.text
    assert expelled.json()["left_on"] == possible_on


def test_a_breach_notice_dated_outside_the_business_years_gets_a_problem_code(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-TERM-4, bounded dates: a cure period that would end past 2199 is refused with 422
    date_out_of_range, and nothing is written."""
    created = post(client, tokens["coordinator"], "/v1/agreements",
                   {**lyhty_body(), "ends_on": "2199-12-31"})
    assert created.status_code == 201, created.text
    agreement_id = created.json()["id"]
    kela = post(client, tokens["coordinator"], f"/v1/agreements/{agreement_id}/parties", KELA).json()["party_id"]
    before = events(client)
    response = post(client, tokens["coordinator"], f"/v1/agreements/{agreement_id}/parties/{kela}/breach-notices",
                    {"given_on": "2199-12-20", "description": "Unpaid."})
    assert (response.status_code, response.json()["code"]) == (422, "date_out_of_range"), response.text
    assert events(client) == before


def test_expulsion_needs_a_breach_notice(client: TestClient, tokens: dict[str, str],
                                         lyhty: tuple[str, dict[str, str]]) -> None:
    agreement_id, ids = lyhty
    county = ids[COUNTY["business_id"]]
    decision_id = passed_expulsion(client, tokens["coordinator"], agreement_id, county, "2026-02-20")
    response = post(client, tokens["coordinator"], f"/v1/agreements/{agreement_id}/parties/{county}/expulsion",
                    {"decided_on": "2026-04-01", "decision_id": decision_id})
    assert response.status_code == 409 and response.json()["code"] == "breach_notice_required"


def test_repeats_with_the_same_key_change_nothing(client: TestClient, tokens: dict[str, str],
                                                  lyhty: tuple[str, dict[str, str]]) -> None:
    """api.md: the same Idempotency-Key and body return the first response; another body gets 409."""
    agreement_id, ids = lyhty
    coordinator, kela = tokens["coordinator"], ids[KELA["business_id"]]
    first = notice(client, coordinator, agreement_id, kela, "2026-01-15", key="notice-kela")
    before = events(client)
    again = notice(client, coordinator, agreement_id, kela, "2026-01-15", key="notice-kela")
    assert (again.status_code, again.json()) == (200, first.json())
    assert events(client) == before
    other = notice(client, coordinator, agreement_id, kela, "2026-01-16", key="notice-kela")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    unkeyed = notice(client, coordinator, agreement_id, kela, "2026-01-15")
    assert unkeyed.status_code == 409 and unkeyed.json()["code"] == "party_not_active"
    breach_url = f"/v1/agreements/{agreement_id}/parties/{ids[UAS['business_id']]}/breach-notices"
    body = {"given_on": "2026-02-01", "description": "Late report"}
    first_breach = post(client, coordinator, breach_url, body, "b-1")
    written = events(client)
    assert post(client, coordinator, breach_url, body, "b-1").json() == first_breach.json()
    assert events(client) == written


@pytest.mark.parametrize("target, route, body, status, code", [
    ("kela", "notice", {"given_on": "2026-01-15", "ground": "bored"}, 422, "validation_error"),
    ("kela", "notice", {"given_on": "2026-13-01", "ground": "organisation_changed"}, 422, "validation_error"),
    ("kela", "notice", {"given_on": 20260115, "ground": "organisation_changed"}, 422, "validation_error"),
    ("kela", "notice", {"given_on": "2026-01-15", "ground": "organisation_changed", "x": 1}, 422,
     "validation_error"),
    ("uas", "notice", {"given_on": "2025-09-15", "ground": "organisation_changed"}, 422, "date_before_accession"),
    ("kela", "notice", {"given_on": "2027-01-04", "ground": "organisation_changed"}, 409, "agreement_not_in_force"),
    ("valtori", "notice", {"given_on": "2026-01-15", "ground": "organisation_changed"}, 409,
     "coordinator_cannot_leave"),
    ("stranger", "notice", {"given_on": "2026-01-15", "ground": "organisation_changed"}, 404, "not_found"),
    ("kela", "breach-notices", {"given_on": "2026-01-15", "description": ""}, 422, "validation_error"),
    ("kela", "breach-notices", {"given_on": "2026-01-15", "description": "x" * 2001}, 422, "validation_error"),
    ("kela", "breach-notices", {"given_on": "2026-01-15"}, 422, "validation_error"),
    ("kela", "expulsion", {"decided_on": "2026-03-03", "decision_id": "x"}, 422, "validation_error"),
])
def test_bad_input_is_a_problem_with_a_stable_code_and_changes_nothing(
        client: TestClient, tokens: dict[str, str], lyhty: tuple[str, dict[str, str]],
        target: str, route: str, body: dict[str, Any], status: int, code: str) -> None:
    agreement_id, ids = lyhty
    party_id = {"kela": ids[KELA["business_id"]], "uas": ids[UAS["business_id"]], "valtori": ids[VALTORI],
                "stranger": "00000000-0000-4000-8000-000000000000"}[target]
    before = events(client)
    response = post(client, tokens["coordinator"], f"/v1/agreements/{agreement_id}/parties/{party_id}/{route}",
                    body)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert response.headers["content-type"] == "application/problem+json"
    assert events(client) == before


def test_only_the_coordinator_records_membership_and_the_scheduler_sweeps(
        client: TestClient, tokens: dict[str, str], lyhty: tuple[str, dict[str, str]]) -> None:
    """api.md roles: notices, breach notices and expulsions are the coordinator's; sweeps the scheduler's."""
    agreement_id, ids = lyhty
    base = f"/v1/agreements/{agreement_id}"
    kela = ids[KELA["business_id"]]
    routes = [(f"{base}/parties/{kela}/notice", {"given_on": "2026-01-15", "ground": "organisation_changed"},
               ("coordinator",)),
              (f"{base}/parties/{kela}/breach-notices", {"given_on": "2026-01-15", "description": "x"},
               ("coordinator",)),
              (f"{base}/parties/{kela}/expulsion", {"decided_on": "2026-03-03",
                                                    "decision_id": "6f1c1c0e-9f4e-5a51-9a55-1f0d3c3c2e10"},
               ("coordinator",)),
              (f"{base}/notice-sweeps", {"as_of": "2026-01-01"}, ("coordinator", "scheduler"))]
    for url, body, allowed in routes:
        for role in ROLES:
            response = post(client, tokens[role], url, body)
            if role in allowed:
                assert response.status_code in (200, 201, 409), (url, role, response.text)
            else:
                assert response.status_code == 403 and response.json()["code"] == "forbidden", (url, role)
        assert client.post(url, json=body).status_code == 401
