"""Spending and recharge runs (R-INV-5): Mäntyharju–Hirvensalmi shares costs by population, 3 : 1, and
Mäntyharju, the host and coordinator, never invoices itself its part (R-ACC-4)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.helpers import auth

MH_HS = {
    "code": "MH-HS-ICT", "title": "Kuntien välinen ICT-yhteistyö",
    "coordinator": {"name": "Mäntyharjun kunta", "business_id": "0165761-0", "is_party": True, "metric": 6300},
    "starts_on": "2025-09-01", "ends_on": "2028-12-31",
    "cost_sharing": {"model": "proportional", "metric": "population"},
    "terms": {"recharge_period": "quarter"},
}
HIRVENSALMI = {"name": "Hirvensalmen kunta", "business_id": "0164384-1", "signed_on": "2025-09-01",
               "metric": 2100}


def setup(client: TestClient, tokens: dict[str, str], **terms: str) -> tuple[str, str, str]:
    body = {**MH_HS, "terms": {**MH_HS["terms"], **terms}}
    created = client.post("/v1/agreements", json=body, headers=auth(tokens["coordinator"]))
    assert created.status_code == 201, created.text
    aid = created.json()["id"]
    hs = client.post(f"/v1/agreements/{aid}/parties", json=HIRVENSALMI, headers=auth(tokens["coordinator"]))
    parties = client.get(f"/v1/agreements/{aid}/parties", headers=auth(tokens["auditor"])).json()
    return aid, parties[0]["party_id"], hs.json()["party_id"]


def spend(client: TestClient, token: str, aid: str, expect: int = 201, **body: Any) -> dict[str, Any]:
    response = client.post(f"/v1/agreements/{aid}/spending", json=body, headers=auth(token))
    assert response.status_code == expect, response.text
    return response.json()


def recharge(client: TestClient, token: str, aid: str, as_of: str) -> dict[str, Any]:
    response = client.post(f"/v1/agreements/{aid}/recharge-runs", json={"as_of": as_of}, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def amounts(client: TestClient, token: str, aid: str) -> dict[tuple[str, str | None], str]:
    listed = client.get(f"/v1/agreements/{aid}/invoices", headers=auth(token)).json()
    return {(i["party_id"], i["period"]): i["amount"] for i in listed}


def test_shared_staff_cost_of_a_quarter_invoices_hirvensalmi_2500_and_the_coordinator_nothing(
        client: TestClient, tokens: dict[str, str]) -> None:
    """Seed 003, R-INV-5, R-ACC-4: 10,000.00 of shared staff cost in 2025-Q4 splits 7,500.00 : 2,500.00;
    Hirvensalmi is invoiced 2,500.00, Mäntyharju (the coordinator) nothing: its part is its own cost."""
    aid, mh, hs = setup(client, tokens)
    spend(client, tokens["coordinator"], aid, amount="6000.00", booked_on="2025-10-31", category="staff",
          description="Pilot staff, October", borne_by=None)
    spend(client, tokens["coordinator"], aid, amount="4000.00", booked_on="2025-12-15", category="staff",
          description="Pilot staff, December")
    assert recharge(client, tokens["scheduler"], aid, "2025-12-31")["issued"] == []  # quarter not over
    result = recharge(client, tokens["scheduler"], aid, "2026-01-01")
    assert (len(result["issued"]), result["periods"]) == (1, ["2025-Q4"])
    assert amounts(client, tokens["finance"], aid) == {(hs, "2025-Q4"): "2500.00"}
    assert recharge(client, tokens["finance"], aid, "2026-01-02") == {"issued": [], "already_issued": 0,
                                                                      "periods": [], "late_periods": []}
    own = client.get(f"/v1/agreements/{aid}/invoices", params={"party_id": mh}, headers=auth(tokens["finance"]))
    assert own.status_code == 200 and own.json() == []


def test_own_purchases_fall_to_the_buyer_and_travel_is_shared(client: TestClient,
                                                              tokens: dict[str, str]) -> None:
    """Seed 003: Hirvensalmi buys 20 devices itself; the shared travel is split by population, and only
    Hirvensalmi is invoiced (R-ACC-4)."""
    aid, mh, hs = setup(client, tokens)
    spend(client, tokens["coordinator"], aid, amount="16000.00", booked_on="2026-02-10", category="devices",
          description="20 laptops for Hirvensalmi", borne_by=hs)
    spend(client, tokens["coordinator"], aid, amount="333.33", booked_on="2026-03-02", category="travel",
          description="Travel to Hirvensalmi")
    recharge(client, tokens["scheduler"], aid, "2026-04-01")
    bills = amounts(client, tokens["finance"], aid)
    assert bills == {(hs, "2026-Q1"): "16083.33"}  # 16,000.00 + 83.33 of 333.33; the host's 250.00 is its own
    listed = client.get(f"/v1/agreements/{aid}/spending", params={"quarter": "2026-Q1"},
                        headers=auth(tokens["auditor"])).json()
    assert [(e["amount"], e["borne_by"], e["recharged_in"]) for e in listed] == [
        ("16000.00", hs, "2026-Q1"), ("333.33", None, "2026-Q1")]


def test_half_yearly_recharge_covers_two_quarters(client: TestClient, tokens: dict[str, str]) -> None:
    """Koha (seed 001): costs are recharged every half-year."""
    aid, mh, hs = setup(client, tokens, recharge_period="half_year")
    spend(client, tokens["coordinator"], aid, amount="100.00", booked_on="2026-01-10", category="licences",
          description="Q1")
    spend(client, tokens["coordinator"], aid, amount="100.01", booked_on="2026-06-30", category="licences",
          description="Q2")
    assert recharge(client, tokens["scheduler"], aid, "2026-06-30")["issued"] == []
    assert recharge(client, tokens["scheduler"], aid, "2026-07-01")["periods"] == ["2026-H1"]
    assert amounts(client, tokens["finance"], aid) == {(hs, "2026-H1"): "50.00"}  # of 200.01; the host's 150.01


def test_bad_spending_is_refused_and_changes_nothing(client: TestClient, tokens: dict[str, str]) -> None:
    aid, _, _ = setup(client, tokens)
    base = {"amount": "10.00", "booked_on": "2025-10-01", "category": "staff", "description": "x"}
    for change, code in (({"amount": "0.00"}, "invalid_amount"), ({"amount": 10}, "validation_error"),
                         ({"booked_on": "2025-08-31"}, "outside_term"),
                         ({"borne_by": "7d1f5c1e-0000-4000-8000-000000000000"}, "not_found"),
                         ({"description": "x" * 501}, "validation_error"), ({"extra": 1}, "validation_error")):
        response = client.post(f"/v1/agreements/{aid}/spending", json={**base, **change},
                               headers=auth(tokens["coordinator"]))
        assert response.json()["code"] == code, change
    assert client.post(f"/v1/agreements/{aid}/spending", json=base, headers=auth(tokens["finance"])).status_code == 403
    assert client.get(f"/v1/agreements/{aid}/spending", params={"quarter": "2025-Q4"},
                      headers=auth(tokens["finance"])).json() == []
    assert client.get(f"/v1/agreements/{aid}/spending", params={"quarter": "2025-Q5"},
                      headers=auth(tokens["finance"])).status_code == 422


def test_recharge_needs_a_recharge_period(client: TestClient, tokens: dict[str, str]) -> None:
    aid, _, _ = setup(client, tokens, recharge_period="none")
    response = client.post(f"/v1/agreements/{aid}/recharge-runs", json={"as_of": "2026-01-01"},
                           headers=auth(tokens["scheduler"]))
    assert response.status_code == 409 and response.json()["code"] == "recharge_not_configured"
