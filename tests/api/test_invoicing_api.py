"""Instalment invoicing through the HTTP API (R-INV-1 … R-INV-3), on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from stdnum import iso11649

from domain.kernel.references import is_valid_national
from tests.api.helpers import KELA, auth, create_lyhty

MUNICIPALITIES = {"name": "Suomen Kuntaliitto ry", "business_id": "0926151-4", "signed_on": "2025-09-01",
                  "category": "municipalities"}
COUNTY_ON_TIME = {"name": "Keski-Suomen hyvinvointialue", "business_id": "3221318-2",
                  "signed_on": "2025-09-01", "category": "wellbeing_services_county",
                  "metric": "1500000000"}
UNIVERSITY = {"name": "Helsingin yliopisto", "business_id": "0313471-7", "signed_on": "2025-09-01",
              "category": "university"}
LATE_UAS = {"name": "Turun Ammattikorkeakoulu Oy", "business_id": "2528160-3", "signed_on": "2025-10-15",
            "category": "university_of_applied_sciences"}
LATE_UNIVERSITY = {"name": "Turun yliopisto", "business_id": "0245896-3", "signed_on": "2026-02-01",
                   "category": "university"}
COHORT = (MUNICIPALITIES, KELA, COUNTY_ON_TIME, UNIVERSITY)


def run(client: TestClient, token: str, agreement_id: str, as_of: str, **headers: str) -> dict[str, Any]:
    response = client.post(f"/v1/agreements/{agreement_id}/invoicing-runs", json={"as_of": as_of},
                           headers={**auth(token), **headers})
    assert response.status_code == 200, response.text
    return response.json()


def invoices(client: TestClient, token: str, agreement_id: str, **params: str) -> list[dict[str, Any]]:
    response = client.get(f"/v1/agreements/{agreement_id}/invoices", params={"limit": 500, **params},
                          headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def parties(client: TestClient, token: str, agreement_id: str) -> dict[str, dict[str, Any]]:
    response = client.get(f"/v1/agreements/{agreement_id}/parties", headers=auth(token))
    return {p["business_id"]: p for p in response.json()}


def test_lyhty_run_of_2025_09_01_bills_half_of_every_share_once(client: TestClient, tokens: dict[str, str]
                                                               ) -> None:
    """R-INV-1, R-INV-3, R-ACC-4: one invoice per party for half its share, none to Valtori, the
    coordinator, whose share is its own contribution; a second run issues nothing."""
    aid = create_lyhty(client, tokens["coordinator"], *COHORT)
    first = run(client, tokens["scheduler"], aid, "2025-09-01")
    assert len(first["issued"]) == 4 and first["already_issued"] == 0
    again = run(client, tokens["finance"], aid, "2025-09-01")
    assert again == {"issued": [], "already_issued": 4, "periods": None}
    shares = {p["party_id"]: Decimal(p["cost_share"]) for p in parties(client, tokens["auditor"], aid).values()}
    listed = invoices(client, tokens["finance"], aid, as_of="2025-09-01")
    assert sorted(i["id"] for i in listed) == sorted(first["issued"])
    for invoice in listed:
        assert Decimal(invoice["amount"]) == shares[invoice["party_id"]] / 2
        assert invoice["instalments"] == [1]
        assert (invoice["issued_on"], invoice["due_on"]) == ("2025-09-01", "2025-09-22")
        assert invoice["status"] == "issued" and invoice["outstanding"] == invoice["amount"]
    assert [i["number"] for i in listed] == [f"LYHTY-2025-{n:05d}" for n in range(1, 5)]
    by_amount = sorted(Decimal(i["amount"]) for i in listed)
    assert by_amount == [Decimal("5000.00"), Decimal("10000.00"), Decimal("12500.00"), Decimal("150000.00")]
    valtori = parties(client, tokens["auditor"], aid)["2574261-7"]
    assert valtori["coordinator"] and valtori["cost_share"] == "400000.00"
    assert invoices(client, tokens["finance"], aid, party_id=valtori["party_id"]) == []


def test_two_instalments_of_each_party_sum_to_its_share(client: TestClient, tokens: dict[str, str]) -> None:
    """R-INV-1: numbering restarts in 2026 and each party's invoices sum to its cost share."""
    aid = create_lyhty(client, tokens["coordinator"], *COHORT)
    run(client, tokens["scheduler"], aid, "2025-09-01")
    second = run(client, tokens["scheduler"], aid, "2026-01-15")
    assert len(second["issued"]) == 4 and second["already_issued"] == 4
    listed = invoices(client, tokens["finance"], aid, as_of="2026-01-15")
    assert [i["number"] for i in listed][4:] == [f"LYHTY-2026-{n:05d}" for n in range(1, 5)]
    for party in parties(client, tokens["finance"], aid).values():
        if party["coordinator"]:
            continue  # R-ACC-4: never invoiced
        own = [i for i in listed if i["party_id"] == party["party_id"]]
        assert [i["instalments"] for i in own] == [[1], [2]]
        assert sum(Decimal(i["amount"]) for i in own) == Decimal(party["cost_share"])


def test_late_joiners_are_billed_what_their_accession_year_owes_at_once(client: TestClient,
                                                                         tokens: dict[str, str]) -> None:
    """R-INV-2: 2025-10-15 → instalment 1 at once, 2 with the others; 2026-02-01 → both on one invoice."""
    aid = create_lyhty(client, tokens["coordinator"], *COHORT, LATE_UAS)
    run(client, tokens["scheduler"], aid, "2025-09-01")
    uas = parties(client, tokens["finance"], aid)["2528160-3"]["party_id"]
    assert invoices(client, tokens["finance"], aid, party_id=uas) == []
    at_accession = run(client, tokens["scheduler"], aid, "2025-10-15")
    assert len(at_accession["issued"]) == 1
    run(client, tokens["scheduler"], aid, "2026-01-15")
    assert [(i["instalments"], i["amount"], i["issued_on"])
            for i in invoices(client, tokens["finance"], aid, party_id=uas)] == [
        ([1], "2500.00", "2025-10-15"), ([2], "2500.00", "2026-01-15")]

    accession = client.post(f"/v1/agreements/{aid}/parties", json=LATE_UNIVERSITY,
                            headers=auth(tokens["coordinator"]))
    assert accession.status_code == 201, accession.text
    late = run(client, tokens["scheduler"], aid, "2026-02-01")
    assert len(late["issued"]) == 1
    bill = client.get(f"/v1/invoices/{late['issued'][0]}", headers=auth(tokens["finance"])).json()
    assert (bill["instalments"], bill["amount"], bill["party_id"]) == (
        [1, 2], "10000.00", accession.json()["party_id"])
    assert [line["amount"] for line in bill["lines"]] == ["5000.00", "5000.00"]


def test_references_pass_their_check_digits_and_are_unique(client: TestClient, tokens: dict[str, str]
                                                          ) -> None:
    """R-INV-3: every invoice has a valid Finnish reference and RF form, none repeated."""
    aid = create_lyhty(client, tokens["coordinator"], *COHORT, LATE_UAS)
    run(client, tokens["scheduler"], aid, "2026-01-15")
    listed = invoices(client, tokens["finance"], aid)
    assert len(listed) == 10  # four parties twice, the late joiner once for each instalment (R-ACC-4: not Valtori)
    references = [i["reference"] for i in listed]
    assert len(set(references)) == len(references)
    for invoice in listed:
        assert is_valid_national(invoice["reference"])
        assert iso11649.is_valid(invoice["rf_reference"])
        assert invoice["rf_reference"].endswith(invoice["reference"])
        assert invoice["reference_grouped"].replace(" ", "") == invoice["reference"]


def test_repeated_run_with_the_same_idempotency_key_returns_the_first_answer(
        client: TestClient, tokens: dict[str, str]) -> None:
    aid = create_lyhty(client, tokens["coordinator"], *COHORT)
    first = run(client, tokens["scheduler"], aid, "2025-09-01", **{"Idempotency-Key": "run-2025-09-01"})
    assert run(client, tokens["scheduler"], aid, "2025-09-01", **{"Idempotency-Key": "run-2025-09-01"}) == first
    other = client.post(f"/v1/agreements/{aid}/invoicing-runs", json={"as_of": "2025-09-02"},
                        headers={**auth(tokens["scheduler"]), "Idempotency-Key": "run-2025-09-01"})
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"


def test_roles_for_invoicing(client: TestClient, tokens: dict[str, str]) -> None:
    """api.md: scheduler and finance run invoicing; the party token reads only its own invoices."""
    aid = create_lyhty(client, tokens["coordinator"], *COHORT)
    for role in ("coordinator", "auditor", "party"):
        response = client.post(f"/v1/agreements/{aid}/invoicing-runs", json={"as_of": "2025-09-01"},
                               headers=auth(tokens[role]))
        assert response.status_code == 403, role
    assert invoices(client, tokens["finance"], aid) == []
    run(client, tokens["scheduler"], aid, "2025-09-01")
    kela = parties(client, tokens["finance"], aid)["0246246-0"]["party_id"]
    own = invoices(client, tokens["party"], aid)
    assert [(i["party_id"], i["amount"]) for i in own] == [(kela, "12500.00")]
    others = [i for i in invoices(client, tokens["finance"], aid) if i["party_id"] != kela]
    response = client.get(f"/v1/invoices/{others[0]['id']}", headers=auth(tokens["party"]))
    assert response.status_code == 404
    assert invoices(client, tokens["party"], aid, party_id=others[0]["party_id"]) == []
    assert client.get(f"/v1/agreements/{aid}/invoices", headers=auth(tokens["scheduler"])).status_code == 403


def test_bad_run_input_is_refused_and_changes_nothing(client: TestClient, tokens: dict[str, str]) -> None:
    aid = create_lyhty(client, tokens["coordinator"], *COHORT)
    for body in ({}, {"as_of": "2025-13-01"}, {"as_of": 20250901}, {"as_of": "2025-09-01", "x": 1}):
        response = client.post(f"/v1/agreements/{aid}/invoicing-runs", json=body,
                               headers=auth(tokens["scheduler"]))
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
    missing = client.post("/v1/agreements/00000000-0000-0000-0000-000000000000/invoicing-runs",
                          json={"as_of": "2025-09-01"}, headers=auth(tokens["scheduler"]))
    assert missing.status_code == 404
    assert invoices(client, tokens["finance"], aid) == []


def test_invoice_list_pages_with_a_link(client: TestClient, tokens: dict[str, str]) -> None:
    aid = create_lyhty(client, tokens["coordinator"], *COHORT)
    run(client, tokens["scheduler"], aid, "2026-01-15")
    first = client.get(f"/v1/agreements/{aid}/invoices", params={"limit": 4}, headers=auth(tokens["finance"]))
    assert len(first.json()) == 4 and 'rel="next"' in first.headers["Link"]
    rest = client.get(f"/v1/agreements/{aid}/invoices",
                      params={"limit": 500, "after": first.json()[-1]["id"]}, headers=auth(tokens["finance"]))
    assert len(rest.json()) == 4
    assert client.get(f"/v1/agreements/{aid}/invoices", params={"limit": 501},
                      headers=auth(tokens["finance"])).status_code == 422


@pytest.mark.parametrize("issued_on, due_on", [
    ("2025-12-03", "2025-12-29"),  # 21 days: Christmas Eve 2025-12-24 (and Christmas) moves to Monday 29th
    ("2026-05-29", "2026-06-22"),  # 21 days: Midsummer Eve 2026-06-19 moves to Monday 22nd
    ("2026-03-13", "2026-04-07"),  # 21 days: Good Friday 2026-04-03 moves past Easter to Tuesday 7th
    ("2025-10-11", "2025-11-03"),  # 21 days: All Saints' Day, Saturday 2025-11-01, moves to Monday 3rd
    ("2025-09-01", "2025-09-22"),  # 21 days: a Monday, nothing moves
])
def test_a_due_date_falls_on_a_finnish_banking_day(client: TestClient, tokens: dict[str, str], issued_on: str,
                                                   due_on: str) -> None:
    """R-INV-3, R-INV-6: an invoicing run issues on its date, due after the 21-day payment term on the
    next banking day when the term ends on a weekend or a bank holiday; the invoice list shows it."""
    aid = create_lyhty(client, tokens["coordinator"], KELA)
    issued = run(client, tokens["scheduler"], aid, issued_on)["issued"]
    listed = invoices(client, tokens["finance"], aid, as_of=issued_on)
    kela = parties(client, tokens["finance"], aid)[KELA["business_id"]]["party_id"]
    assert issued and sorted(i["id"] for i in listed) == sorted(issued)
    assert kela in {i["party_id"] for i in listed}
    assert {(i["issued_on"], i["due_on"]) for i in listed} == {(issued_on, due_on)}


def test_an_invoicing_run_whose_due_date_would_pass_the_business_years_is_refused(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-INV-6, bounded dates: a due date past 2199 gets 422 date_out_of_range, and nothing is issued."""
    aid = create_lyhty(client, tokens["coordinator"], KELA)
    response = client.post(f"/v1/agreements/{aid}/invoicing-runs", json={"as_of": "2199-12-20"},
                           headers=auth(tokens["scheduler"]))
    assert (response.status_code, response.json()["code"]) == (422, "date_out_of_range"), response.text
    assert invoices(client, tokens["finance"], aid, as_of="2199-12-31") == []
