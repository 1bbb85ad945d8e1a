"""Money through an operator (seed 002, issue 13 item 7), through the API on SQLite and PostgreSQL: the
cities, Vantaa included, pay their accession fees to Tiera, which invoices them in its own name, and Tiera
pays Vantaa, the host, the forerunner rebate (edelläkävijäpalautus); the journal shows what each holds."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.helpers import auth
from tests.api.membership_helpers import events, party_ids

TIERA = {"name": "Kuntien Tiera Oy", "business_id": "2296962-1"}
VANTAA, ESPOO, TAMPERE = "0124610-9", "0101263-6", "0211675-2"
DIGI = {"code": "DIGI", "title": "DigiOne", "starts_on": "2020-11-01", "ends_on": "2027-12-31",
        "coordinator": {"name": "Vantaan kaupunki", "business_id": VANTAA, "is_party": True, "metric": 25000},
        "invoicer": TIERA,
        "cost_sharing": {"model": "proportional", "metric": "pupils", "rate": "50.00"},
        "instalments": [{"issue_on": "2021-01-15", "share": "1"}]}


def post(client: TestClient, token: str, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json=body, headers=auth(token))


def digione(client: TestClient, tokens: dict[str, str]) -> tuple[str, dict[str, str]]:
    """Vantaa (25,000 pupils) with Espoo (30,000) and Tampere (19,000), invoiced by Tiera on 2021-01-15."""
    created = post(client, tokens["coordinator"], "/v1/agreements", DIGI)
    assert created.status_code == 201, created.text
    aid = created.json()["id"]
    for name, bid, pupils in (("Espoon kaupunki", ESPOO, 30000), ("Tampereen kaupunki", TAMPERE, 19000)):
        assert post(client, tokens["coordinator"], f"/v1/agreements/{aid}/parties",
                    {"name": name, "business_id": bid, "signed_on": "2020-11-01", "metric": pupils}).status_code == 201
    assert post(client, tokens["scheduler"], f"/v1/agreements/{aid}/invoicing-runs", {"as_of": "2021-01-15"}).status_code == 200
    return aid, party_ids(client, tokens["finance"], aid)


def test_tiera_invoices_every_city_vantaa_included_in_its_own_name(client: TestClient, tokens: dict[str, str]) -> None:
    """Seed 002: the forerunners, Vantaa included, pay their accession fees to Tiera; the coordinator is
    invoiced like the others because it is not the one invoicing (R-ACC-4 concerns who invoices)."""
    aid, ids = digione(client, tokens)
    bills = client.get(f"/v1/agreements/{aid}/invoices", headers=auth(tokens["finance"])).json()
    assert sorted((b["party_id"], b["amount"]) for b in bills) == sorted(
        [(ids[VANTAA], "1250000.00"), (ids[ESPOO], "1500000.00"), (ids[TAMPERE], "950000.00")])
    assert {(b["seller"]["name"], b["seller"]["business_id"]) for b in bills} == {(TIERA["name"], TIERA["business_id"])}
    one = client.get(f"/v1/invoices/{bills[0]['id']}", headers=auth(tokens["finance"])).json()
    assert one["seller"] == TIERA
    view = client.get(f"/v1/agreements/{aid}", headers=auth(tokens["auditor"])).json()
    assert view["invoicer"] == TIERA and view["coordinator"]["business_id"] == VANTAA
    own = post(client, tokens["finance"], f"/v1/agreements/{aid}/own-contributions",
               {"amount": "1.00", "booked_on": "2021-02-01", "description": "Not here"})
    assert (own.status_code, own.json()["code"]) == (409, "coordinator_not_a_party")


def test_the_rebate_moves_money_from_tiera_to_vantaa_and_the_journal_shows_what_each_holds(
        client: TestClient, tokens: dict[str, str]) -> None:
    """Tiera receives 3,700,000.00, pays Vantaa 3,000,000.00 of it; Vantaa spends 1,200,000.00: Tiera holds
    700,000.00 and Vantaa 1,800,000.00; the audit replay computes the same from the events alone."""
    aid, ids = digione(client, tokens)
    for bill in client.get(f"/v1/agreements/{aid}/invoices", headers=auth(tokens["finance"])).json():
        assert post(client, tokens["finance"], f"/v1/invoices/{bill['id']}/payments",
                    {"amount": bill["amount"], "paid_on": "2021-02-05"}).status_code == 201
    transfer = post(client, tokens["finance"], f"/v1/agreements/{aid}/transfers",
                    {"amount": "3000000.00", "transferred_on": "2021-03-01", "description": "Edelläkävijäpalautus"})
    assert transfer.status_code == 201, transfer.text
    assert (transfer.json()["from"], transfer.json()["to"]["business_id"], transfer.json()["transferred"]) == (
        TIERA, VANTAA, "3000000.00")
    assert post(client, tokens["coordinator"], f"/v1/agreements/{aid}/spending", {
        "amount": "1200000.00", "booked_on": "2021-06-30", "category": "development",
        "description": "Platform development"}).status_code == 201
    funds = client.get(f"/v1/agreements/{aid}/funding", params={"as_of": "2021-12-31"},
                       headers=auth(tokens["finance"])).json()["funds"]
    assert funds == {"invoiced_by": TIERA, "held_by": {"name": "Vantaan kaupunki", "business_id": VANTAA},
                     "operator": True, "received_by_invoicer": "3700000.00", "transferred_to_host": "3000000.00",
                     "held_by_invoicer": "700000.00", "held_by_host": "1800000.00"}
    before = client.get(f"/v1/agreements/{aid}/funding", params={"as_of": "2021-02-28"},
                        headers=auth(tokens["finance"])).json()["funds"]
    assert (before["held_by_invoicer"], before["held_by_host"]) == ("3700000.00", "0.00")
    replay = client.get("/v1/audit/replay", params={"as_of": "2021-12-31"}, headers=auth(tokens["auditor"]))
    assert replay.status_code == 200 and replay.json()["ok"] is True, replay.text


def test_a_transfer_without_an_operator_or_past_the_funding_is_refused_and_changes_nothing(
        client: TestClient, tokens: dict[str, str]) -> None:
    aid, _ = digione(client, tokens)
    before = events(client)
    too_much = post(client, tokens["finance"], f"/v1/agreements/{aid}/transfers",
                    {"amount": "3700000.01", "transferred_on": "2021-03-01", "description": "Too much"})
    assert (too_much.status_code, too_much.json()["code"]) == (409, "transfer_exceeds_funding")
    zero = post(client, tokens["finance"], f"/v1/agreements/{aid}/transfers",
                {"amount": "0.00", "transferred_on": "2021-03-01", "description": "Nothing"})
    assert (zero.status_code, zero.json()["code"]) == (422, "invalid_amount")
    assert post(client, tokens["coordinator"], f"/v1/agreements/{aid}/transfers",
                {"amount": "1.00", "transferred_on": "2021-03-01", "description": "x"}).status_code == 403
    assert events(client) == before
    plain = post(client, tokens["coordinator"], "/v1/agreements", {**DIGI, "code": "PLAIN", "invoicer": None})
    refused = post(client, tokens["finance"], f"/v1/agreements/{plain.json()['id']}/transfers",
                   {"amount": "1.00", "transferred_on": "2021-03-01", "description": "x"})
    assert (refused.status_code, refused.json()["code"]) == (409, "no_invoicing_operator")
