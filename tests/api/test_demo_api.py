"""The demo loads the seed agreements as the documents give them (issue 12 item 10, issue 13 item 8), read
through the API on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.demo import load_demo
from tests.api.helpers import auth

VANTAA = "0124610-9"
DAY = "2026-11-29"


@pytest.fixture
def demo(client: TestClient) -> dict[str, str]:
    ledger = client.app.state.ledger
    ids = load_demo(ledger, as_of=date(2026, 11, 29))
    position = ledger.recorder.max_notification_id()
    assert load_demo(ledger, as_of=date(2026, 11, 29)) == ids
    assert ledger.recorder.max_notification_id() == position  # loading twice adds nothing
    return {code: str(aid) for code, aid in ids.items()}


def get(client: TestClient, token: str, url: str, **params: Any) -> Any:
    response = client.get(url, params=params, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def test_digione_vantaa_has_committed_1_58_m_paid_1_457_242_and_owes_122_758(
        client: TestClient, tokens: dict[str, str], demo: dict[str, str]) -> None:
    """Seed 002 (R-FUND-5, R-ACC-4): Vantaa's fee 1,272,000.00 and its 308,000.00 of the 2022 amendment,
    which every city signed; the 2023 ceiling binds but commits nothing until a portion is released."""
    aid = demo["DIGIONE"]
    balances = get(client, tokens["finance"], f"/v1/agreements/{aid}/balances", as_of=DAY)
    parties = {p["business_id"]: p["party_id"] for p in get(client, tokens["finance"], f"/v1/agreements/{aid}/parties")}
    vantaa = next(row for row in balances["parties"] if row["party_id"] == parties[VANTAA])
    assert (vantaa["cost_share"], vantaa["committed"], vantaa["paid"], vantaa["unpaid"], vantaa["invoiced"]) == (
        "1272000.00", "1580000.00", "1457242.00", "122758.00", "0.00")
    amendments = get(client, tokens["finance"], f"/v1/agreements/{aid}/amendments", as_of=DAY)
    assert [(a["status"], a["total"]) for a in amendments] == [("binding", "2200000.00"), ("binding", "11823621.00")]
    assert all(len(a["signatures"]) == 7 for a in amendments)
    funding = get(client, tokens["finance"], f"/v1/agreements/{aid}/funding", as_of=DAY)
    assert (funding["original_funding"], funding["ceiling"], funding["released"], funding["unreleased"]) == (
        "6700000.00", "11823621.00", "0.00", "11823621.00")
    assert funding["committed"] == "8900000.00"  # the fees and the 2022 amendment
    grant = funding["grants"][0]
    assert (grant["cap"], grant["received"]) == ("1285000.00", "600000.00")


def test_lyhty_is_seated_and_mantyharju_hirvensalmi_bills_hirvensalmi_alone(
        client: TestClient, tokens: dict[str, str], demo: dict[str, str]) -> None:
    """Issue 12 item 10: Valtori is never invoiced; seats as seed 000 §8.1 with the two experts; the fixed
    3/4 : 1/4 key bills Hirvensalmi 2,500.00 of 10,000.00 staff cost plus its own travel, Mäntyharju nothing."""
    lyhty = demo["LYHTY"]
    bills = get(client, tokens["finance"], f"/v1/agreements/{lyhty}/invoices", as_of=DAY, limit=500)
    valtori = next(p for p in get(client, tokens["finance"], f"/v1/agreements/{lyhty}/parties")
                   if p["business_id"] == "2574261-7")
    assert bills and valtori["party_id"] not in {b["party_id"] for b in bills}
    seats = get(client, tokens["auditor"], f"/v1/agreements/{lyhty}/steering-group", as_of=DAY)
    assert len(seats["seats"]) == 7 and [e["code"] for e in seats["experts"]] == ["vm-1", "vm-2"]
    mh_hs = demo["MH-HS-ICT"]
    invoices = get(client, tokens["finance"], f"/v1/agreements/{mh_hs}/invoices", as_of=DAY)
    parties = {p["party_id"]: p["business_id"] for p in get(client, tokens["finance"], f"/v1/agreements/{mh_hs}/parties")}
    assert [(parties[i["party_id"]], i["amount"]) for i in invoices] == [("0164384-1", "2980.00")]
