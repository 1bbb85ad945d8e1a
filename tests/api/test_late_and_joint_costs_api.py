"""Costs that arrive after their period was recharged, and costs borne jointly by some parties (R-INV-5),
through the API on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.helpers import auth, valid_business_ids
from tests.api.membership_helpers import events
from tests.api.test_spending_api import recharge, setup, spend

Q4 = "2025-Q4"


def invoices(client: TestClient, token: str, aid: str) -> list[dict[str, Any]]:
    response = client.get(f"/v1/agreements/{aid}/invoices", params={"as_of": "2027-12-31"}, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def listed(client: TestClient, token: str, aid: str, quarter: str) -> list[dict[str, Any]]:
    response = client.get(f"/v1/agreements/{aid}/spending", params={"quarter": quarter}, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def test_a_year_end_accrual_after_the_recharge_is_kept_and_recharged_once_in_the_next_run_as_a_late_item(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-INV-5: a cost dated in 2025-Q4, booked after 2025-Q4 was recharged, is accepted (never refused
    with period_closed) and billed in the next run on an invoice of its own whose lines name 2025-Q4;
    a run after that bills nothing again, and a later late cost gets the period's next late invoice."""
    aid, mh, hs = setup(client, tokens)
    coordinator, scheduler = tokens["coordinator"], tokens["scheduler"]
    spend(client, coordinator, aid, amount="10000.00", booked_on="2025-11-30", category="staff",
          description="Pilot staff")
    assert recharge(client, scheduler, aid, "2026-01-01")["periods"] == [Q4]

    accrual = spend(client, coordinator, aid, amount="800.00", booked_on="2025-12-31", category="staff",
                    description="Year-end accrual, December overtime")
    spend(client, coordinator, aid, amount="40.00", booked_on="2025-12-20", category="travel",
          description="Hirvensalmi's own travel", borne_by=hs)
    assert (accrual["quarter"], accrual["recharged_in"], accrual["recharged_late"]) == (Q4, None, False)
    spend(client, coordinator, aid, amount="400.00", booked_on="2026-01-10", category="staff",
          description="January staff")  # 2026-Q1 is still open: not billed before it ends

    result = recharge(client, scheduler, aid, "2026-01-15")
    assert (len(result["issued"]), result["periods"], result["late_periods"]) == (1, [], [Q4])
    late = next(i for i in invoices(client, tokens["finance"], aid) if i["id"] == result["issued"][0])
    assert (late["party_id"], late["period"], late["amount"]) == (hs, Q4, "240.00")  # ¼ of 800.00, and 40.00
    assert [(line["description"], line["amount"]) for line in late["lines"]] == [
        ("Share of shared costs 2025-Q4, booked after 2025-Q4 was recharged (late item)", "200.00"),
        ("Own costs 2025-Q4, booked after 2025-Q4 was recharged (late item)", "40.00")]
    assert recharge(client, scheduler, aid, "2026-01-16") == {"issued": [], "already_issued": 0, "periods": [],
                                                              "late_periods": []}

    entries = listed(client, tokens["auditor"], aid, Q4)
    assert [(e["amount"], e["recharged_in"], e["recharged_late"]) for e in entries] == [
        ("10000.00", Q4, False), ("800.00", Q4, True), ("40.00", Q4, True)]

    spend(client, coordinator, aid, amount="4.00", booked_on="2025-10-01", category="staff",
          description="A second late invoice")
    second = recharge(client, scheduler, aid, "2026-04-01")
    assert (second["periods"], second["late_periods"]) == (["2026-Q1"], [Q4])
    bills = [(i["period"], i["amount"], i["issued_on"]) for i in invoices(client, tokens["finance"], aid)]
    assert bills == [("2025-Q4", "2500.00", "2026-01-01"), ("2025-Q4", "240.00", "2026-01-15"),
                     ("2025-Q4", "1.00", "2026-04-01"), ("2026-Q1", "100.00", "2026-04-01")]
    assert all(i["party_id"] == hs for i in invoices(client, tokens["finance"], aid))  # never the host (R-ACC-4)
    funding = client.get(f"/v1/agreements/{aid}/funding", params={"as_of": "2025-12-31"},
                         headers=auth(tokens["finance"])).json()
    assert funding["spent"] == "10844.00"  # the late costs count in the quarter they belong to


def test_a_late_cost_in_the_untouched_quarter_of_a_recharged_half_year_is_not_lost(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-INV-5 (Koha, half-yearly): 2026-H2 was recharged with costs of its first quarter only; a cost
    dated in its second quarter, booked later, is billed as a late item of 2026-H2, not dropped as if
    the H2 invoice already covered it."""
    aid, _, hs = setup(client, tokens, recharge_period="half_year")
    spend(client, tokens["coordinator"], aid, amount="100.00", booked_on="2026-08-01", category="licences",
          description="Q3")
    assert recharge(client, tokens["scheduler"], aid, "2027-01-01")["periods"] == ["2026-H2"]
    spend(client, tokens["coordinator"], aid, amount="20.00", booked_on="2026-12-31", category="licences",
          description="Q4, booked in January")
    result = recharge(client, tokens["scheduler"], aid, "2027-01-20")
    assert (result["periods"], result["late_periods"], len(result["issued"])) == ([], ["2026-H2"], 1)
    assert sorted((i["party_id"], i["period"], i["amount"]) for i in invoices(client, tokens["finance"], aid)) == [
        (hs, "2026-H2", "25.00"), (hs, "2026-H2", "5.00")]
    assert listed(client, tokens["auditor"], aid, "2026-Q4")[0]["recharged_in"] == "2026-H2"


KUNINGAS_PARTIES = [("Kunta A", 10_000), ("Kunta B", 20_000), ("Kunta C", 30_000), ("Kunta D", 40_000)]


def kuningas(client: TestClient, tokens: dict[str, str]) -> tuple[str, list[str]]:
    """A shared budget split by population (Kuningas, seed 001); Kuntaliitto coordinates and pays nothing."""
    body = {"code": "KUNINGAS", "title": "Kuningas-yhteistyö", "starts_on": "2025-01-01",
            "ends_on": "2027-12-31", "coordinator": {"name": "Kuntaliitto", "business_id": "0926151-4"},
            "cost_sharing": {"model": "proportional", "metric": "population"},
            "terms": {"recharge_period": "quarter"}}
    created = client.post("/v1/agreements", json=body, headers=auth(tokens["coordinator"]))
    assert created.status_code == 201, created.text
    aid = created.json()["id"]
    ids = []
    for (name, population), bid in zip(KUNINGAS_PARTIES, valid_business_ids(4, start=3_300_000), strict=True):
        joined = client.post(f"/v1/agreements/{aid}/parties", headers=auth(tokens["coordinator"]), json={
            "name": name, "business_id": bid, "signed_on": "2025-01-01", "metric": population})
        assert joined.status_code == 201, joined.text
        ids.append(joined.json()["party_id"])
    return aid, ids


def test_a_cost_borne_jointly_by_three_municipalities_is_split_among_just_them_by_largest_remainder(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-INV-5 (Kuningas, "useampi kunta yhdessä"): 1,000.00 borne by A, B and C jointly splits by their
    populations 1 : 2 : 3 into 166.67, 333.33 and 500.00 (the left-over cent to A's larger remainder);
    D pays none of it. A shared 100.00 is split over all four, 10 : 20 : 30 : 40."""
    aid, (a, b, c, d) = kuningas(client, tokens)
    joint = spend(client, tokens["coordinator"], aid, amount="1000.00", booked_on="2025-02-01",
                  category="development", description="A feature for three", borne_by=[c, a, b])
    assert joint["borne_by"] == [a, b, c]  # kept in accession order
    spend(client, tokens["coordinator"], aid, amount="100.00", booked_on="2025-03-01", category="hosting",
          description="Hosting")
    recharge(client, tokens["scheduler"], aid, "2025-04-01")
    bills = {i["party_id"]: i for i in invoices(client, tokens["finance"], aid)}
    assert {pid: bills[pid]["amount"] for pid in bills} == {a: "176.67", b: "353.33", c: "530.00", d: "40.00"}
    assert [(line["description"], line["amount"]) for line in bills[a]["lines"]] == [
        ("Share of shared costs 2025-Q1", "10.00"), ("Share of costs borne jointly 2025-Q1", "166.67")]
    assert [line["description"] for line in bills[d]["lines"]] == ["Share of shared costs 2025-Q1"]


def test_a_list_of_one_party_is_that_party_alone(client: TestClient, tokens: dict[str, str]) -> None:
    aid, _, hs = setup(client, tokens)
    entry = spend(client, tokens["coordinator"], aid, amount="10.00", booked_on="2025-10-01", category="staff",
                  description="x", borne_by=[hs])
    assert entry["borne_by"] == hs


def test_a_bad_list_of_bearers_is_refused_and_changes_nothing(client: TestClient, tokens: dict[str, str]) -> None:
    """R-INV-5: borne_by names parties of the agreement, each once; a stranger is not found."""
    aid, mh, hs = setup(client, tokens)
    base = {"amount": "10.00", "booked_on": "2025-10-01", "category": "staff", "description": "x"}
    before = events(client)
    for borne_by, status, code in (([], 422, "validation_error"), ([hs, hs], 422, "invalid_borne_by"),
                                   ([hs, "7d1f5c1e-0000-4000-8000-000000000000"], 404, "not_found"),
                                   ([hs, 7], 422, "validation_error"), ([hs, "x" * 37], 422, "validation_error")):
        response = client.post(f"/v1/agreements/{aid}/spending", json={**base, "borne_by": borne_by},
                               headers=auth(tokens["coordinator"]))
        assert (response.status_code, response.json()["code"]) == (status, code), borne_by
    assert events(client) == before
    assert listed(client, tokens["finance"], aid, Q4) == []
