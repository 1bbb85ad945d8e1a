"""Keys that change over time and fixed keys (R-ACC-5): Koha re-splits its maintenance by population every
half-year (seed 001); Mäntyharju and Hirvensalmi share costs ¾ : ¼ (seed 003)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.helpers import auth, create_lyhty
from tests.api.membership_helpers import decide, decision_body

KOHA = {
    "code": "KOHA-LIKE", "title": "Koha-yhteistyö: ylläpito asukasluvun mukaan",
    "coordinator": {"name": "Kuntaliitto", "business_id": "0926151-4"},
    "starts_on": "2026-01-01", "ends_on": "2027-12-31",
    "cost_sharing": {"model": "proportional", "metric": "population"},
    "terms": {"recharge_period": "half_year"},
}
CITIES = [("Turun kaupunki", "0204819-8", 60000), ("Tampereen kaupunki", "0211675-2", 30000),
          ("Oulun kaupunki", "0187690-1", 10000)]


def koha(client: TestClient, tokens: dict[str, str]) -> tuple[str, list[str]]:
    created = client.post("/v1/agreements", json=KOHA, headers=auth(tokens["coordinator"]))
    assert created.status_code == 201, created.text
    aid = created.json()["id"]
    ids = []
    for name, bid, population in CITIES:
        acceded = client.post(f"/v1/agreements/{aid}/parties", headers=auth(tokens["coordinator"]), json={
            "name": name, "business_id": bid, "signed_on": "2026-01-01", "metric": population})
        assert acceded.status_code == 201, acceded.text
        ids.append(acceded.json()["party_id"])
    return aid, ids


def update(client: TestClient, token: str, aid: str, pid: str, expect: int = 201, **body: Any) -> dict[str, Any]:
    response = client.post(f"/v1/agreements/{aid}/parties/{pid}/metrics", json=body, headers=auth(token))
    assert response.status_code == expect, response.text
    return response.json()


def spend(client: TestClient, token: str, aid: str, amount: str, booked_on: str) -> None:
    response = client.post(f"/v1/agreements/{aid}/spending", headers=auth(token), json={
        "amount": amount, "booked_on": booked_on, "category": "maintenance", "description": "Koha maintenance"})
    assert response.status_code == 201, response.text


def recharge(client: TestClient, token: str, aid: str, as_of: str, expect: int = 200) -> dict[str, Any]:
    response = client.post(f"/v1/agreements/{aid}/recharge-runs", json={"as_of": as_of}, headers=auth(token))
    assert response.status_code == expect, response.text
    return response.json()


def billed(client: TestClient, token: str, aid: str, ids: list[str]) -> dict[str, list[str]]:
    """Each period's invoice amounts (and late ones after them), in the parties' accession order."""
    listed = client.get(f"/v1/agreements/{aid}/invoices", params={"as_of": "2027-01-31"}, headers=auth(token)).json()
    periods: dict[str, list[str]] = {}
    for invoice in sorted(listed, key=lambda i: (i["period"], ids.index(i["party_id"]))):
        periods.setdefault(invoice["period"], []).append(invoice["amount"])
    return periods


def test_a_population_update_applies_from_its_half_year_and_h1_keeps_its_key_even_recharged_late(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-ACC-5, R-INV-5 (seed 001, Koha): 60,000.00 of maintenance each half-year; H1 by 60,000/30,000/10,000
    inhabitants is 36,000.00/18,000.00/6,000.00. Oulu's population becomes 30,000 from H2, recorded before H1
    is recharged: H1 is still split by H1's key, and so is a late H1 cost booked after; H2 splits
    30,000.00/15,000.00/15,000.00; H1's invoices never change."""
    coordinator, scheduler = tokens["coordinator"], tokens["scheduler"]
    aid, ids = koha(client, tokens)
    spend(client, coordinator, aid, "60000.00", "2026-03-31")
    history = update(client, coordinator, aid, ids[2], metric=30000, effective_on="2026-07-01")
    assert history == {"party_id": ids[2], "metric_in_force": "30000", "key_in_force": None, "key_history": [
        {"effective_on": "2026-07-01", "metric": "30000", "key": None, "decision_id": None}]}
    assert recharge(client, scheduler, aid, "2026-07-01")["periods"] == ["2026-H1"]
    h1 = billed(client, tokens["finance"], aid, ids)
    assert h1 == {"2026-H1": ["36000.00", "18000.00", "6000.00"]}
    spend(client, coordinator, aid, "600.00", "2026-06-30")  # after H1 was recharged: a late item of H1
    spend(client, coordinator, aid, "60000.00", "2026-09-30")
    result = recharge(client, scheduler, aid, "2027-01-01")
    assert (result["late_periods"], result["periods"]) == (["2026-H1"], ["2026-H2"])
    assert billed(client, tokens["finance"], aid, ids) == {
        "2026-H1": ["36000.00", "360.00", "18000.00", "180.00", "6000.00", "60.00"],
        "2026-H2": ["30000.00", "15000.00", "15000.00"]}
    party = client.get(f"/v1/agreements/{aid}/parties/{ids[2]}", params={"as_of": "2026-03-01"},
                       headers=auth(tokens["auditor"])).json()
    assert (party["metric"], party["metric_in_force"], len(party["key_history"])) == ("10000", "10000", 1)
    later = client.get(f"/v1/agreements/{aid}/parties/{ids[2]}", params={"as_of": "2026-07-01"},
                       headers=auth(tokens["auditor"])).json()
    assert (later["metric"], later["metric_in_force"]) == ("10000", "30000")


def test_a_key_update_mid_period_into_a_recharged_period_out_of_order_or_on_a_money_model_is_refused(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-ACC-5: a key applies from the first day of a recharge period (422 key_update_mid_period), never to a
    period already recharged (409 period_already_recharged), after the party's last update; a cost share
    committed at accession is not a key that changes (409 key_fixed_by_commitment); only the coordinator
    records one. None of these changes anything."""
    coordinator = tokens["coordinator"]
    aid, ids = koha(client, tokens)
    assert update(client, coordinator, aid, ids[2], 422, metric=30000, effective_on="2026-08-01")["code"] == \
        "key_update_mid_period"
    assert update(client, tokens["finance"], aid, ids[2], 403, metric=30000, effective_on="2026-07-01")
    assert update(client, coordinator, aid, ids[2], 422, metric=30000, key="1/2",
                  effective_on="2026-07-01")["code"] == "invalid_key"
    update(client, coordinator, aid, ids[2], metric=20000, effective_on="2027-01-01")
    assert update(client, coordinator, aid, ids[2], 409, metric=30000, effective_on="2026-07-01")["code"] == \
        "key_update_out_of_order"
    spend(client, coordinator, aid, "60000.00", "2026-03-31")
    spend(client, coordinator, aid, "60000.00", "2026-09-30")
    recharge(client, tokens["scheduler"], aid, "2027-01-01")
    assert update(client, coordinator, aid, ids[1], 409, metric=40000, effective_on="2026-07-01")["code"] == \
        "period_already_recharged"
    party = client.get(f"/v1/agreements/{aid}/parties/{ids[1]}", headers=auth(coordinator)).json()
    assert (party["metric_in_force"], party["key_history"]) == ("30000", [])
    lyhty = create_lyhty(client, coordinator)
    valtori = client.get(f"/v1/agreements/{lyhty}/parties", headers=auth(coordinator)).json()[0]["party_id"]
    assert update(client, coordinator, lyhty, valtori, 409, metric=1, effective_on="2026-01-01")["code"] == \
        "key_fixed_by_commitment"


def test_votes_of_a_key_only_agreement_follow_the_key_in_force_on_the_decision_date(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-ACC-5, R-GOV-1: Oulu weighs 10,000 of 100,000 on 2026-06-30 and 30,000 of 120,000 from 2026-07-01,
    the day its new population applies, on a passed budget decision that confirmed it."""
    coordinator = tokens["coordinator"]
    aid, ids = koha(client, tokens)
    confirmed = decide(client, coordinator, aid, decision_body("2026-06-15", "budget", {ids[0]: "for"})).json()
    update(client, coordinator, aid, ids[2], metric=30000, effective_on="2026-07-01",
           decision_id=confirmed["decision_id"])
    before = decide(client, coordinator, aid, decision_body("2026-06-30", "other", {ids[2]: "for"})).json()
    after = decide(client, coordinator, aid, decision_body("2026-07-01", "other", {ids[2]: "for"})).json()
    assert (before["for_weight"], before["total_weight"]) == ("10000.00", "100000.00")
    assert (after["for_weight"], after["total_weight"]) == ("30000.00", "120000.00")


MH_HS = {
    "code": "MH-HS-KEY", "title": "Kuntien välinen ICT-yhteistyö Mäntyharju – Hirvensalmi",
    "coordinator": {"name": "Mäntyharjun kunta", "business_id": "0165761-0", "is_party": True, "key": "3/4"},
    "starts_on": "2025-09-01", "ends_on": "2028-12-31", "cost_sharing": {"model": "fixed_key"},
    "terms": {"recharge_period": "quarter"},
}
HIRVENSALMI = {"name": "Hirvensalmen kunta", "business_id": "0164384-1", "signed_on": "2025-09-01", "key": "1/4"}


def test_a_fixed_key_splits_shared_costs_three_quarters_to_one_and_commits_no_money(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-ACC-5 (seed 003): Mäntyharju ¾, Hirvensalmi ¼: 10,000.01 of shared staff cost is 7,500.01 : 2,500.00
    by largest remainder; only Hirvensalmi is invoiced (R-ACC-4); neither commits a cost share. The keys
    then change to ⅔ : ⅓ from 2026: 2025-Q4 keeps ¾ : ¼, 2026-Q1's 900.00 bills Hirvensalmi 300.00, and
    the votes weigh 2 : 1."""
    coordinator = tokens["coordinator"]
    created = client.post("/v1/agreements", json=MH_HS, headers=auth(coordinator))
    assert created.status_code == 201, created.text
    aid = created.json()["id"]
    hs = client.post(f"/v1/agreements/{aid}/parties", json=HIRVENSALMI, headers=auth(coordinator)).json()
    assert hs["cost_share"] == "0.00"
    parties = client.get(f"/v1/agreements/{aid}/parties", headers=auth(coordinator)).json()
    mh = parties[0]["party_id"]
    assert [(p["key"], p["cost_share"]) for p in parties] == [("3/4", "0.00"), ("1/4", "0.00")]
    spend(client, coordinator, aid, "10000.01", "2025-10-31")
    recharge(client, tokens["scheduler"], aid, "2026-01-01")
    update(client, coordinator, aid, mh, key="2/3", effective_on="2026-01-01")
    assert update(client, coordinator, aid, hs["party_id"], key="1/3", effective_on="2026-01-01")[
        "key_in_force"] == "1/3"
    spend(client, coordinator, aid, "900.00", "2026-02-15")
    recharge(client, tokens["scheduler"], aid, "2026-04-01")
    listed = client.get(f"/v1/agreements/{aid}/invoices", headers=auth(tokens["finance"])).json()
    assert sorted((i["party_id"], i["period"], i["amount"]) for i in listed) == [
        (hs["party_id"], "2025-Q4", "2500.00"), (hs["party_id"], "2026-Q1", "300.00")]
    vote = decide(client, coordinator, aid, decision_body("2026-02-01", "other", {mh: "against",
                                                                                  hs["party_id"]: "for"})).json()
    assert (vote["for_weight"], vote["against_weight"], vote["passed"]) == ("1.00", "2.00", False)


def test_fixed_keys_are_validated_and_a_split_needs_the_whole(client: TestClient, tokens: dict[str, str]) -> None:
    """R-ACC-5: every party of a fixed-key agreement gives a key above 0 and at most 1 (422 key_required,
    invalid_key), the live parties' keys sum to at most 1 (409 key_exceeds_whole), and a period's shared
    costs are split only when the keys of its parties make the whole (409 key_incomplete, nothing issued)."""
    coordinator = tokens["coordinator"]
    body = {**MH_HS, "code": "HALF", "coordinator": {"name": "Kuntaliitto", "business_id": "0926151-4"}}
    aid = client.post("/v1/agreements", json=body, headers=auth(coordinator)).json()["id"]
    url = f"/v1/agreements/{aid}/parties"
    no_key = {k: v for k, v in HIRVENSALMI.items() if k != "key"}
    assert client.post(url, json=no_key, headers=auth(coordinator)).json()["code"] == "key_required"
    for bad in ("0/4", "5/4"):
        refused = client.post(url, json={**HIRVENSALMI, "key": bad}, headers=auth(coordinator))
        assert (refused.status_code, refused.json()["code"]) == (422, "invalid_key"), bad
    assert client.post(url, json={**HIRVENSALMI, "key": "1/2"}, headers=auth(coordinator)).status_code == 201
    too_much = {"name": "Mäntyharjun kunta", "business_id": "0165761-0", "signed_on": "2025-10-01", "key": "0.6"}
    refused = client.post(url, json=too_much, headers=auth(coordinator))
    assert (refused.status_code, refused.json()["code"]) == (409, "key_exceeds_whole")
    spend(client, coordinator, aid, "1000.00", "2025-10-31")
    assert recharge(client, tokens["scheduler"], aid, "2026-01-01", 409)["code"] == "key_incomplete"
    assert client.get(f"/v1/agreements/{aid}/invoices", headers=auth(coordinator)).json() == []
    assert client.post(url, json={**too_much, "key": "0.5"}, headers=auth(coordinator)).status_code == 201
    assert [i["amount"] for i in client.get(f"/v1/agreements/{aid}/invoices", headers=auth(coordinator)).json()
            ] == []
    recharge(client, tokens["scheduler"], aid, "2026-01-01")
    amounts = [i["amount"] for i in client.get(f"/v1/agreements/{aid}/invoices", headers=auth(coordinator)).json()]
    assert amounts == ["500.00", "500.00"]
    proportional = client.post("/v1/agreements", headers=auth(coordinator), json={
        **KOHA, "code": "NOKEY"}).json()["id"]
    refused = client.post(f"/v1/agreements/{proportional}/parties", headers=auth(coordinator), json={
        "name": "Turun kaupunki", "business_id": "0204819-8", "signed_on": "2026-01-01", "metric": 1, "key": "1/2"})
    assert (refused.status_code, refused.json()["code"]) == (422, "invalid_key")
