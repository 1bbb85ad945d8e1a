"""Late-payment interest through the API (R-INV-6): the reference-rate table, each party's claim as of a
date, an interest invoice and a waiver with its reason, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.helpers import KELA, auth, create_lyhty
from tests.api.test_figures_api import get, pay
from tests.api.test_invoicing_api import COHORT, COUNTY_ON_TIME, MUNICIPALITIES, UNIVERSITY, invoices, run


def rate(client: TestClient, token: str, valid_from: str, value: str) -> Any:
    return client.post("/v1/reference-rates", headers=auth(token),
                       json={"valid_from": valid_from, "rate": value, "recorded_on": valid_from})


def lyhty_overdue(client: TestClient, tokens: dict[str, str]) -> tuple[str, dict[str, dict[str, Any]]]:
    """Lyhty's first instalments, issued 2025-09-01 and due 2025-09-22: Kela pays its 12,500.00 on 2025-10-22;
    the University of Helsinki pays 2,000.00 of 5,000.00 on 2025-10-07 and is credited 1,000.00 on
    2025-10-22; the county pays on time; Kuntaliitto's 150,000.00 stays unpaid. Returns the invoices by
    business id."""
    aid = create_lyhty(client, tokens["coordinator"], *COHORT)
    run(client, tokens["scheduler"], aid, "2025-09-01")
    names = {p["party_id"]: p["business_id"] for p in client.get(
        f"/v1/agreements/{aid}/parties", headers=auth(tokens["finance"])).json()}
    bills = {names[i["party_id"]]: i for i in invoices(client, tokens["finance"], aid)}
    assert {b["due_on"] for b in bills.values()} == {"2025-09-22"}
    pay(client, tokens["finance"], bills[KELA["business_id"]]["id"], "12500.00", "2025-10-22")
    pay(client, tokens["finance"], bills[UNIVERSITY["business_id"]]["id"], "2000.00", "2025-10-07")
    credit = client.post(f"/v1/invoices/{bills[UNIVERSITY['business_id']]['id']}/credit-notes",
                         headers=auth(tokens["finance"]),
                         json={"amount": "1000.00", "issued_on": "2025-10-22", "reason": "Lower band"})
    assert credit.status_code == 201, credit.text
    county = bills[COUNTY_ON_TIME["business_id"]]
    pay(client, tokens["finance"], county["id"], county["amount"], "2025-09-22")
    return aid, bills


def claims(client: TestClient, token: str, aid: str, as_of: str) -> dict[str, dict[str, Any]]:
    body = get(client, token, f"/v1/agreements/{aid}/interest", as_of=as_of)
    names = {p["party_id"]: p["business_id"] for p in client.get(
        f"/v1/agreements/{aid}/parties", headers=auth(token)).json()}
    return {names[row["party_id"]]: row for row in body["parties"]}


def test_kela_paid_30_days_late_owes_92_47_and_the_other_claims_run_day_by_day(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-INV-6: at a 2.0 % reference rate (9.0 % interest) Kela's 12,500.00 paid 30 days late accrues 92.47;
    the university's 5,000.00, 2,000.00 paid on 2025-10-07 and 1,000.00 credited on 2025-10-22, accrues
    (5,000 × 15 + 3,000 × 15 + 2,000 × 70) × 9 % / 365 + 2,000 × 10 × 8.5 % / 365 = 68.77 by 2026-01-10,
    the rate falling to 1.5 % from 2026-01-01; Kuntaliitto's 150,000.00 unpaid 4,047.95; the county
    paid on time and owes nothing."""
    assert rate(client, tokens["coordinator"], "2025-07-01", "2.0").status_code == 201
    assert rate(client, tokens["finance"], "2026-01-01", "1.5").status_code == 201
    aid, bills = lyhty_overdue(client, tokens)
    owed = claims(client, tokens["finance"], aid, "2026-01-10")
    assert owed[KELA["business_id"]]["claim"] == "92.47"
    assert owed[KELA["business_id"]]["invoices"] == [{
        "invoice_id": bills[KELA["business_id"]]["id"], "number": bills[KELA["business_id"]]["number"],
        "due_on": "2025-09-22", "from": "2025-09-23", "through": "2026-01-10", "interest": "92.47"}]
    assert owed[UNIVERSITY["business_id"]]["claim"] == "68.77"
    assert owed[MUNICIPALITIES["business_id"]]["claim"] == "4047.95"
    assert (owed[COUNTY_ON_TIME["business_id"]]["claim"], owed[COUNTY_ON_TIME["business_id"]]["invoices"]) == (
        "0.00", [])
    assert get(client, tokens["auditor"], "/v1/reference-rates") == [
        {"valid_from": "2025-07-01", "reference_rate": "2.0", "interest_rate": "9.0", "recorded_on": "2025-07-01"},
        {"valid_from": "2026-01-01", "reference_rate": "1.5", "interest_rate": "8.5", "recorded_on": "2026-01-01"}]


def test_finance_invoices_kelas_interest_once_and_waives_the_universitys_with_a_reason(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-INV-6: interest is a claim until finance invoices it: an invoice of kind interest for 92.47 with a
    line naming the late invoice, counted in Kela's invoiced and outstanding; the claim is then 0.00 and
    a second attempt finds nothing (409 no_interest_claim). The university's 64.11 to 2025-12-31 is waived
    with its reason; from 2026-01-01 its 2,000.00 accrues again at 8.5 %: 4.66 by 2026-01-10."""
    rate(client, tokens["finance"], "2025-07-01", "2.0")
    rate(client, tokens["finance"], "2026-01-01", "1.5")
    aid, bills = lyhty_overdue(client, tokens)
    kela = bills[KELA["business_id"]]["party_id"]
    issued = client.post(f"/v1/agreements/{aid}/parties/{kela}/interest/invoices", headers=auth(tokens["finance"]),
                         json={"issued_on": "2025-11-03"})
    assert issued.status_code == 201, issued.text
    invoice = issued.json()
    assert (invoice["kind"], invoice["amount"], invoice["due_on"], invoice["status"]) == (
        "interest", "92.47", "2025-11-24", "issued")
    assert invoice["lines"] == [{"description": f"Viivästyskorko / late-payment interest, "
                                                f"{bills[KELA['business_id']]['number']} 2025-09-23 – 2025-11-03",
                                 "amount": "92.47"}]
    again = client.post(f"/v1/agreements/{aid}/parties/{kela}/interest/invoices", headers=auth(tokens["finance"]),
                        json={"issued_on": "2025-11-30"})
    assert (again.status_code, again.json()["code"]) == (409, "no_interest_claim")
    owed = claims(client, tokens["finance"], aid, "2025-11-30")[KELA["business_id"]]
    assert (owed["claim"], owed["invoiced"], owed["waived"]) == ("0.00", "92.47", "0.00")
    balance = get(client, tokens["finance"], f"/v1/agreements/{aid}/balances", as_of="2025-11-30")
    kela_row = next(row for row in balance["parties"] if row["party_id"] == kela)
    assert (kela_row["invoiced"], kela_row["paid"], kela_row["outstanding"]) == ("12592.47", "12500.00", "92.47")
    assert [i["kind"] for i in invoices(client, tokens["finance"], aid, party_id=kela)] == ["instalments", "interest"]

    university = bills[UNIVERSITY["business_id"]]["party_id"]
    waived = client.post(f"/v1/agreements/{aid}/parties/{university}/interest/waivers",
                         headers=auth(tokens["finance"]),
                         json={"waived_on": "2025-12-31", "reason": "Band corrected late by the coordinator"})
    assert waived.status_code == 201, waived.text
    assert (waived.json()["waived"], waived.json()["reason"]) == ("64.11", "Band corrected late by the coordinator")
    later = claims(client, tokens["finance"], aid, "2026-01-10")[UNIVERSITY["business_id"]]
    assert (later["claim"], later["waived"], later["invoices"][0]["from"]) == ("4.66", "64.11", "2026-01-01")
    # As of a date before the waiver, the claim is as it was then.
    assert claims(client, tokens["finance"], aid, "2025-12-30")[UNIVERSITY["business_id"]]["waived"] == "0.00"


def test_interest_needs_the_rate_and_the_right_roles(client: TestClient, tokens: dict[str, str]) -> None:
    """R-INV-6: without the half-year's reference rate the claim is 409 reference_rate_missing; a rate
    valid from another day than 1 January or 1 July is 422; a party and the scheduler may not record rates
    nor read claims, and only finance invoices or waives them."""
    aid, bills = lyhty_overdue(client, tokens)
    missing = client.get(f"/v1/agreements/{aid}/interest", params={"as_of": "2025-12-31"},
                         headers=auth(tokens["finance"]))
    assert (missing.status_code, missing.json()["code"]) == (409, "reference_rate_missing")
    wrong_day = rate(client, tokens["finance"], "2025-08-01", "2.0")
    assert (wrong_day.status_code, wrong_day.json()["code"]) == (422, "invalid_valid_from")
    for role in ("party", "scheduler", "auditor"):
        assert rate(client, tokens[role], "2025-07-01", "2.0").status_code == 403, role
    for role in ("party", "scheduler"):
        refused = client.get(f"/v1/agreements/{aid}/interest", headers=auth(tokens[role]))
        assert refused.status_code == 403, role
    kela = bills[KELA["business_id"]]["party_id"]
    for role in ("coordinator", "auditor"):
        refused = client.post(f"/v1/agreements/{aid}/parties/{kela}/interest/waivers", headers=auth(tokens[role]),
                              json={"waived_on": "2025-12-31", "reason": "No"})
        assert refused.status_code == 403, role
    assert rate(client, tokens["coordinator"], "2025-07-01", "2.0").status_code == 201
    page = client.get(f"/v1/agreements/{aid}/interest", params={"as_of": "2025-12-31", "limit": 2},
                      headers=auth(tokens["auditor"]))
    assert page.status_code == 200 and len(page.json()["parties"]) == 2 and 'rel="next"' in page.headers["link"]
