"""Grants from funders that are not parties, through the HTTP API on SQLite and PostgreSQL (R-FUND-7).

Seed 002: Business Finland granted DigiOne2 at most 1,287,000 € and at most 50 % of the eligible costs
of 2,570,000 €; the Association of Finnish Municipalities granted 0.25 M€; the own-financing part of
1,287,000 € is split among the cities by pupils (Vantaa 231,660 €, 18 %). Every figure is worked by hand.
"""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.demo import DIGIONE, load_demo
from domain.kernel.errors import DomainError
from domain.funding.grants import Grant
from domain.kernel.identifiers import agreement_id as agreement_id_of
from domain.membership.rules import DecisionRef
from projections.audit.replay import replay
from projections.journal.runner import JournalRunner
from tests.api.helpers import auth
from tests.api.membership_helpers import decide, decision_body, events, party_ids, post
from tests.domain.test_funding import ESPOO, JYVASKYLA, LAHTI, OULU, TAMPERE, TURKU, VANTAA

BUSINESS_FINLAND = {"funder": "Business Finland Oy", "business_id": "2725690-3", "maximum": "1287000.00",
                    "rate": "1/2", "eligible_costs": "2570000.00", "own_financing": "1287000.00"}
KUNTALIITTO = {"funder": "Suomen Kuntaliitto ry", "business_id": "0926151-4", "maximum": "250000.00"}


def get(client: TestClient, token: str, url: str, **params: Any) -> Any:
    response = client.get(url, params=params, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def digione(client: TestClient, tokens: dict[str, str]) -> tuple[str, dict[str, str]]:
    agreement_id = str(load_demo(client.app.state.ledger)["DIGIONE"])
    return agreement_id, party_ids(client, tokens["finance"], agreement_id)


def accepted(client: TestClient, tokens: dict[str, str], agreement_id: str, ids: dict[str, str], day: str,
             subject: dict[str, Any], kind: str = "grant", vote: str = "for") -> str:
    body = decision_body(day, kind, {pid: vote for pid in ids.values()}, subject=subject)
    response = decide(client, tokens["coordinator"], agreement_id, body)
    assert response.status_code == 201, response.text
    return str(response.json()["decision_id"])


def grant(client: TestClient, token: str, agreement_id: str, body: dict[str, Any], key: str | None = None) -> Any:
    return post(client, token, f"/v1/agreements/{agreement_id}/grants", body, key)


def business_finland(client: TestClient, tokens: dict[str, str], digione: tuple[str, dict[str, str]]) -> str:
    agreement_id, ids = digione
    decision_id = accepted(client, tokens, agreement_id, ids, "2023-12-15",
                           {"funder": "Business Finland Oy", "maximum": "1287000.00"})
    response = grant(client, tokens["coordinator"], agreement_id, {**BUSINESS_FINLAND, "decision_id": decision_id})
    assert response.status_code == 201, response.text
    return str(response.json()["grant_id"])


def test_digione2_grant_is_capped_at_half_the_eligible_costs_and_its_payments_show_in_the_funding(
        client: TestClient, tokens: dict[str, str], digione: tuple[str, dict[str, str]]) -> None:
    """R-FUND-7: cap in force = min(1,287,000.00, 1/2 × eligible). 2,570,000 → 1,285,000.00; a payment past
    it is refused and changes nothing; eligible costs may grow (2,700,000 → 1,287,000.00, the maximum),
    never shrink. Payments are money in: the funding's received grows by them, no party's balance does."""
    agreement_id, ids = digione
    url = f"/v1/agreements/{agreement_id}"
    grant_id = business_finland(client, tokens, digione)
    before = get(client, tokens["auditor"], f"{url}/funding", as_of="2024-06-30")
    pay = f"{url}/grants/{grant_id}/payments"
    first = post(client, tokens["finance"], pay, {"amount": "1000000.00", "received_on": "2024-03-01"})
    assert first.status_code == 201, first.text
    assert (first.json()["cap"], first.json()["received"], first.json()["remaining"]) == (
        "1285000.00", "1000000.00", "285000.00")
    mark = events(client)
    over = post(client, tokens["finance"], pay, {"amount": "285000.01", "received_on": "2024-03-02"})
    assert (over.status_code, over.json()["code"], over.json()["cap"]) == (409, "grant_cap_exceeded", "1285000.00")
    costs = f"{url}/grants/{grant_id}/eligible-costs"
    shrink = post(client, tokens["coordinator"], costs, {"amount": "2400000.00", "reported_on": "2024-05-01"})
    assert (shrink.status_code, shrink.json()["code"]) == (409, "eligible_costs_decreased")
    assert events(client) == mark
    grown = post(client, tokens["coordinator"], costs, {"amount": "2700000.00", "reported_on": "2024-06-01"})
    assert (grown.status_code, grown.json()["cap"]) == (201, "1287000.00")  # 1,350,000.00 > the maximum
    rest = post(client, tokens["finance"], pay, {"amount": "287000.00", "received_on": "2024-06-02"})
    assert rest.status_code == 201, rest.text
    one_cent = post(client, tokens["finance"], pay, {"amount": "0.01", "received_on": "2024-06-03"})
    assert (one_cent.status_code, one_cent.json()["code"]) == (409, "grant_cap_exceeded")

    march = get(client, tokens["finance"], f"{url}/grants", as_of="2024-03-31")
    assert [(g["funder"], g["granted"], g["eligible_costs"], g["cap"], g["received"], g["remaining"])
            for g in march["grants"]] == [
        ("Business Finland Oy", "1287000.00", "2570000.00", "1285000.00", "1000000.00", "285000.00")]
    june = get(client, tokens["auditor"], f"{url}/funding", as_of="2024-06-30")
    assert [(g["cap"], g["received"], g["remaining"]) for g in june["grants"]] == [
        ("1287000.00", "1287000.00", "0.00")]
    assert june["grants_total"] == {"granted": "1287000.00", "cap": "1287000.00", "received": "1287000.00",
                                    "remaining": "0.00"}
    assert Decimal(june["received"]) - Decimal(before["received"]) == Decimal("1287000.00")
    assert Decimal(june["remaining"]) - Decimal(before["remaining"]) == Decimal("1287000.00")
    assert get(client, tokens["auditor"], f"{url}/funding", as_of="2023-12-14")["grants"] == []  # not yet accepted
    balances = get(client, tokens["finance"], f"{url}/balances", as_of="2024-06-30")
    assert Decimal(balances["totals"]["paid"]) == Decimal(before["received"])  # no party paid the grant


def test_two_grants_show_each_and_in_total(client: TestClient, tokens: dict[str, str],
                                           digione: tuple[str, dict[str, str]]) -> None:
    """Business Finland's 1,285,000.00 in force and Kuntaliitto's 250,000.00 (no rate: the maximum caps it)."""
    agreement_id, ids = digione
    business_finland(client, tokens, digione)
    decision_id = accepted(client, tokens, agreement_id, ids, "2023-01-20", {"funder": "Kuntaliitto"})
    made = grant(client, tokens["coordinator"], agreement_id, {**KUNTALIITTO, "decision_id": decision_id})
    assert (made.status_code, made.json()["cap"], made.json()["rate"]) == (201, "250000.00", None)
    listed = get(client, tokens["coordinator"], f"/v1/agreements/{agreement_id}/grants", as_of="2024-01-01")
    assert [(g["funder"], g["cap"]) for g in listed["grants"]] == [
        ("Business Finland Oy", "1285000.00"), ("Suomen Kuntaliitto ry", "250000.00")]  # in the minutes' order
    assert listed["totals"] == {"granted": "1537000.00", "cap": "1535000.00", "received": "0.00",
                                "remaining": "1535000.00"}


@pytest.mark.parametrize("change, status, code", [
    ({"rate": "3/2"}, 422, "invalid_share"),
    ({"rate": "0"}, 422, "invalid_share"),
    ({"maximum": "0.00"}, 422, "invalid_amount"),
    ({"maximum": "1286000.00"}, 409, "decision_required"),  # the decision accepted 1287000.00
    ({"maximum": 1287000}, 422, "validation_error"),
    ({"business_id": "2725690-4"}, 422, "invalid_business_id"),
    ({"eligible_costs": "-1.00"}, 422, "invalid_amount"),
    ({"unknown": 1}, 422, "validation_error"),
])
def test_a_bad_grant_is_a_problem_and_changes_nothing(client: TestClient, tokens: dict[str, str],
                                                      digione: tuple[str, dict[str, str]],
                                                      change: dict[str, Any], status: int, code: str) -> None:
    agreement_id, ids = digione
    decision_id = accepted(client, tokens, agreement_id, ids, "2023-12-15", {"maximum": "1287000.00"})
    before = events(client)
    response = grant(client, tokens["coordinator"], agreement_id,
                     {**BUSINESS_FINLAND, "decision_id": decision_id, **change})
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert events(client) == before


def test_a_grant_takes_effect_only_on_a_passed_grant_decision_once(client: TestClient, tokens: dict[str, str],
                                                                   digione: tuple[str, dict[str, str]]) -> None:
    """R-FUND-7: the steering group's acceptance; a budget decision or a failed motion accepts nothing."""
    agreement_id, ids = digione
    budget = accepted(client, tokens, agreement_id, ids, "2023-12-15", {"item": "DigiOne2"}, kind="budget")
    failed = accepted(client, tokens, agreement_id, ids, "2023-12-15", {}, vote="against")
    before = events(client)
    for decision_id in (budget, failed, "00000000-0000-4000-8000-000000000000"):
        response = grant(client, tokens["coordinator"], agreement_id, {**BUSINESS_FINLAND, "decision_id": decision_id})
        assert (response.status_code, response.json()["code"]) == (409, "decision_required")
    assert events(client) == before
    passed = accepted(client, tokens, agreement_id, ids, "2023-12-15", {})
    body = {**BUSINESS_FINLAND, "decision_id": passed}
    first = grant(client, tokens["coordinator"], agreement_id, body, key="bf-2023")
    assert first.status_code == 201 and first.json()["accepted_on"] == "2023-12-15"
    assert grant(client, tokens["coordinator"], agreement_id, body, key="bf-2023").json() == first.json()
    again = grant(client, tokens["coordinator"], agreement_id, body)
    assert (again.status_code, again.json()["code"]) == (409, "grant_already_accepted")


def test_own_financing_is_split_by_pupils_largest_remainder(client: TestClient, tokens: dict[str, str],
                                                            digione: tuple[str, dict[str, str]]) -> None:
    """The demo's 134,000 pupils: 128,700,000 cents × pupils / 134,000. Floors sum to 128,699,997 cents; the
    3 cents left go to Espoo (.836), Oulu (.701) and Tampere (.463). Vantaa 25,440: 244,337.91."""
    agreement_id, ids = digione
    grant_id = business_finland(client, tokens, digione)
    split = get(client, tokens["finance"], f"/v1/agreements/{agreement_id}/grants/{grant_id}/own-financing")
    shares = {row["party_id"]: row["share"] for row in split["parties"]}
    assert shares == {ids[VANTAA]: "244337.91", ids[ESPOO]: "288134.33", ids[TAMPERE]: "182485.08",
                      ids[OULU]: "172880.60", ids[TURKU]: "149445.67", ids[LAHTI]: "105649.25",
                      ids[JYVASKYLA]: "144067.16"}
    assert sum(Decimal(s) for s in shares.values()) == Decimal("1287000.00")
    vantaa = next(row for row in split["parties"] if row["party_id"] == ids[VANTAA])
    assert (vantaa["key_share"], vantaa["exact"]) == ("318/1675", "244337.910448")


def test_own_financing_reproduces_vantaas_231660_where_its_key_is_18_percent(
        client: TestClient, tokens: dict[str, str]) -> None:
    """Seed 002: Vantaa's 231,660 € of 1,287,000 € is 18 %. With pupils giving Vantaa 27,000 of 150,000
    (18 %), every part is exact: 8.58 € a pupil."""
    spec = copy.deepcopy(DIGIONE["agreement"])
    spec["code"] = "DIGIONE2"
    spec["coordinator"]["metric"] = 27000
    ledger = client.app.state.ledger
    ledger.create_agreement(**spec)
    aid = agreement_id_of("DIGIONE2")
    pupils = {ESPOO: 33000, TAMPERE: 21000, OULU: 20000, TURKU: 18000, LAHTI: 13000, JYVASKYLA: 18000}
    for name, bid, signed_on, category, _metric in DIGIONE["parties"]:
        ledger.accede(aid, name=name, business_id=bid, signed_on=signed_on, category=category, metric=pupils[bid])
    ids = party_ids(client, tokens["finance"], str(aid))
    grant_id = business_finland(client, tokens, (str(aid), ids))
    split = get(client, tokens["auditor"], f"/v1/agreements/{aid}/grants/{grant_id}/own-financing")
    shares = {row["party_id"]: row["share"] for row in split["parties"]}
    assert shares[ids[VANTAA]] == "231660.00"
    assert shares[ids[ESPOO]] == "283140.00" and sum(Decimal(s) for s in shares.values()) == Decimal("1287000.00")


def test_roles_for_grants(client: TestClient, tokens: dict[str, str], digione: tuple[str, dict[str, str]]) -> None:
    """The coordinator accepts grants and reports costs; finance records payments; parties read nothing."""
    agreement_id, _ids = digione
    grant_id = business_finland(client, tokens, digione)
    url = f"/v1/agreements/{agreement_id}/grants"
    for role in ("finance", "scheduler", "auditor", "party"):
        assert grant(client, tokens[role], agreement_id, {**BUSINESS_FINLAND, "decision_id": grant_id}).status_code == 403
    for role in ("coordinator", "auditor", "party"):
        assert post(client, tokens[role], f"{url}/{grant_id}/payments",
                    {"amount": "1.00", "received_on": "2024-01-01"}).status_code == 403
    assert client.get(url, headers=auth(tokens["party"])).status_code == 403
    assert client.get(url).status_code == 401


def test_the_audit_replay_reproduces_the_grant_figures(client: TestClient, tokens: dict[str, str],
                                                        digione: tuple[str, dict[str, str]]) -> None:
    """R-REC-1: the funding answer's grants are rebuilt from the events alone, equal to the live ones."""
    agreement_id, _ids = digione
    grant_id = business_finland(client, tokens, digione)
    assert post(client, tokens["finance"], f"/v1/agreements/{agreement_id}/grants/{grant_id}/payments",
                {"amount": "642500.00", "received_on": "2024-02-01"}).status_code == 201
    ledger = client.app.state.ledger
    with JournalRunner(ledger) as live:
        report = replay(ledger, live, [date(2024, 1, 31), date(2024, 2, 1)], [agreement_id_of("DIGIONE")])
    assert report.ok, [d.line() for d in report.differences]
    assert report.figures_compared > 0


@pytest.mark.parametrize("eligible, cap", [("2570000.00", "1285000.00"), ("2400000.00", "1200000.00"),
                                           ("2700000.00", "1287000.00"), ("0.00", "0.00")])
def test_the_cap_in_force_is_the_lesser_of_the_maximum_and_the_rate_of_eligible_costs(eligible: str,
                                                                                      cap: str) -> None:
    """R-FUND-7, worked by hand: half of 2,400,000 is 1,200,000.00; half of 2,700,000 passes the maximum."""
    aid = agreement_id_of("DIGIONE")
    decision = DecisionRef(aid, aid, "grant", True, date(2023, 12, 15), {})
    made = Grant.accept(agreement_id=aid, decision=decision, funder="Business Finland Oy", business_id=None,
                        maximum=Decimal("1287000.00"), rate="1/2", eligible_costs=Decimal(eligible),
                        own_financing=None)
    assert str(made.cap(date(2023, 12, 15))) == cap
    with pytest.raises(DomainError) as refused:
        made.receive_payment(amount=Decimal(cap) + Decimal("0.01"), received_on=date(2024, 1, 1))
    assert refused.value.code == "grant_cap_exceeded"
