"""Bounded input (issue 16, items 1, 6 and 9), through the API on SQLite and PostgreSQL: every business
date is from 2000-01-01 to 2199-12-31 (422 `date_out_of_range`), every amount is ASCII digits (else 422
`validation_error`, as any malformed amount) and at most 999,999,999,999.99 either way (422 `amount_out_of_range`); a refused
request writes nothing. A summary's `received` leaves out unmatched payments, which are no party's."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import KELA, auth, create_lyhty, lyhty_body
from tests.api.test_figures_api import get, small_network
from tests.api.test_invoicing_api import invoices, run


def written(client: TestClient) -> int:
    return client.app.state.ledger.recorder.max_notification_id() or 0


def refused(client: TestClient, method: str, url: str, token: str, status: int, code: str,
            **kwargs: Any) -> None:
    """The request gets ``status`` with ``code``, and nothing is written."""
    before = written(client)
    response = client.request(method, url, headers=auth(token), **kwargs)
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert written(client) == before


@pytest.mark.parametrize("changes", [
    {"code": "FAR", "starts_on": "9999-01-01", "ends_on": "9999-12-31",
     "instalments": [{"issue_on": "9999-01-01", "share": "1"}]},
    {"code": "LATE", "ends_on": "2200-01-01"},
    {"code": "EARLY", "starts_on": "1999-12-31"},
    {"code": "TRANCHE", "instalments": [{"issue_on": "2025-09-01", "share": "1/2"},
                                        {"issue_on": "2200-01-15", "share": "1/2"}]},
])
def test_an_agreement_with_a_date_outside_the_business_years_is_refused_and_the_list_still_answers(
        client: TestClient, tokens: dict[str, str], changes: dict[str, Any]) -> None:
    """Item 1: a far-future agreement was accepted, and then the list and the agreement answered 500."""
    refused(client, "POST", "/v1/agreements", tokens["coordinator"], 422, "date_out_of_range",
            json=lyhty_body(**changes))
    listing = client.get("/v1/agreements", headers=auth(tokens["coordinator"]))
    assert listing.status_code == 200 and listing.json() == [], listing.text


def test_the_last_business_day_is_accepted(client: TestClient, tokens: dict[str, str]) -> None:
    body = lyhty_body(code="LONG", ends_on="2199-12-31")
    assert client.post("/v1/agreements", json=body, headers=auth(tokens["coordinator"])).status_code == 201
    assert client.get("/v1/agreements", headers=auth(tokens["coordinator"])).status_code == 200


@pytest.mark.parametrize("amount, code", [
    ("١٢٣.00", "validation_error"),  # Arabic-Indic digits: item 6, they were accepted
    ("１２３.00", "validation_error"),  # full-width digits
    ("12٣", "validation_error"),
    ("9999999999999.99", "amount_out_of_range"),  # item 6: once accepted, the refund preview broke
    ("1000000000000.00", "amount_out_of_range"),
    ("-1000000000000", "amount_out_of_range"),
])
def test_an_amount_of_other_digits_or_beyond_the_maximum_is_refused(
        client: TestClient, tokens: dict[str, str], amount: str, code: str) -> None:
    aid = create_lyhty(client, tokens["coordinator"], KELA)
    run(client, tokens["scheduler"], aid, "2025-09-01")
    invoice = invoices(client, tokens["finance"], aid)[0]["id"]
    finance = tokens["finance"]
    refused(client, "POST", f"/v1/agreements/{aid}/payments", finance, 422, code,
            json={"reference": "1234561", "amount": amount, "paid_on": "2025-10-01"})
    refused(client, "POST", f"/v1/invoices/{invoice}/payments", finance, 422, code,
            json={"amount": amount, "paid_on": "2025-10-01"})
    refused(client, "POST", f"/v1/invoices/{invoice}/credit-notes", finance, 422, code,
            json={"amount": amount, "issued_on": "2025-10-01", "reason": "Error"})
    refused(client, "POST", f"/v1/agreements/{aid}/spending", tokens["coordinator"], 422, code,
            json={"amount": amount, "booked_on": "2025-10-01", "category": "licences", "description": "x"})
    preview = client.get(f"/v1/agreements/{aid}/refunds/preview", headers=auth(tokens["coordinator"]))
    assert preview.status_code == 200, preview.text


def test_the_largest_amount_is_accepted_and_every_figure_still_answers(
        client: TestClient, tokens: dict[str, str]) -> None:
    aid = create_lyhty(client, tokens["coordinator"], KELA)
    for _ in range(3):
        response = client.post(f"/v1/agreements/{aid}/payments", headers=auth(tokens["finance"]),
                               json={"reference": "1234561", "amount": "999999999999.99", "paid_on": "2025-10-01"})
        assert response.status_code == 201, response.text
    for figure in ("refunds/preview", "funding", "balances", "final-account"):
        response = client.get(f"/v1/agreements/{aid}/{figure}", params={"as_of": "2025-12-31"},
                              headers=auth(tokens["coordinator"]))
        assert response.status_code == 200, (figure, response.text)
    funding = get(client, tokens["coordinator"], f"/v1/agreements/{aid}/funding", as_of="2025-12-31")
    assert funding["unallocated"] == "2999999999999.97"


def test_payments_spending_and_runs_dated_after_2199_are_refused(client: TestClient, tokens: dict[str, str]) -> None:
    """Item 6: `paid_on` or spending on 9999-12-31 was accepted; an overdue run as of 9999-12-31 recorded
    wrong first-overdue dates."""
    aid = create_lyhty(client, tokens["coordinator"], KELA)
    run(client, tokens["scheduler"], aid, "2025-09-01")
    invoice = invoices(client, tokens["finance"], aid)[0]["id"]
    finance, far = tokens["finance"], "9999-12-31"
    refused(client, "POST", f"/v1/agreements/{aid}/payments", finance, 422, "date_out_of_range",
            json={"reference": "1234561", "amount": "10.00", "paid_on": far})
    refused(client, "POST", f"/v1/invoices/{invoice}/payments", finance, 422, "date_out_of_range",
            json={"amount": "10.00", "paid_on": far})
    refused(client, "POST", f"/v1/invoices/{invoice}/credit-notes", finance, 422, "date_out_of_range",
            json={"amount": "10.00", "issued_on": far, "reason": "Error"})
    refused(client, "POST", f"/v1/agreements/{aid}/spending", tokens["coordinator"], 422, "date_out_of_range",
            json={"amount": "10.00", "booked_on": far, "category": "licences", "description": "x"})
    for runs in ("overdue-runs", "invoicing-runs"):
        refused(client, "POST", f"/v1/agreements/{aid}/{runs}", tokens["scheduler"], 422, "date_out_of_range",
                json={"as_of": far})
    refused(client, "POST", f"/v1/agreements/{aid}/parties", tokens["coordinator"], 422, "date_out_of_range",
            json={**KELA, "business_id": "0201256-6", "name": "Helsinki", "signed_on": "2200-01-01"})
    assert client.post(f"/v1/agreements/{aid}/overdue-runs", json={"as_of": "2025-12-31"},
                       headers=auth(tokens["scheduler"])).json() == {"marked": 1}


@pytest.mark.parametrize("query", [
    {"as_of": "9999-12-31"}, {"as_of": "1999-12-31"}, {"as_of": "0001-01-01"},
    {"known_at": "0001-01-01T00:00:00+14:00"},  # item 6: an OverflowError, 500
    {"known_at": "9999-12-31T23:59:59-12:00"},
])
def test_figures_as_of_a_date_outside_the_business_years_are_refused(
        client: TestClient, tokens: dict[str, str], query: dict[str, str]) -> None:
    aid = create_lyhty(client, tokens["coordinator"], KELA)
    for figure in ("balances", "funding", "refunds/preview"):
        if figure == "refunds/preview" and "known_at" in query:
            continue
        refused(client, "GET", f"/v1/agreements/{aid}/{figure}", tokens["finance"], 422, "date_out_of_range",
                params=query)
    if "as_of" in query:
        refused(client, "GET", "/v1/audit/replay", tokens["auditor"], 422, "date_out_of_range", params=query)
        refused(client, "GET", f"/v1/agreements/{aid}/invoices", tokens["finance"], 422, "date_out_of_range",
                params=query)


def test_a_malformed_request_keeps_the_general_code(client: TestClient, tokens: dict[str, str]) -> None:
    """Only a request refused for nothing but out-of-range dates or amounts gets their code."""
    aid = create_lyhty(client, tokens["coordinator"], KELA)
    refused(client, "POST", f"/v1/agreements/{aid}/payments", tokens["finance"], 422, "validation_error",
            json={"reference": "1234561", "amount": "1000000000000.00", "paid_on": "2025-10-01", "x": 1})
    refused(client, "POST", f"/v1/agreements/{aid}/payments", tokens["finance"], 422, "validation_error",
            json={"reference": "1234561", "amount": 10, "paid_on": "2025-10-01"})


def test_a_summary_counts_unmatched_payments_as_no_partys_money(client: TestClient, tokens: dict[str, str]) -> None:
    """Item 9: 1,000.00 paid by the three parties and 500.00 with a reference naming no invoice: received
    1,000.00 and unallocated 500.00; once allocated to an invoice, the 500.00 is received in its year."""
    aid, _ = small_network(client, tokens, spent="100.00")
    response = client.post(f"/v1/agreements/{aid}/payments", headers=auth(tokens["finance"]),
                           json={"reference": "1234561", "amount": "500.00", "paid_on": "2025-03-01"})
    assert response.status_code == 201 and response.json()["matched"] is False, response.text
    summary = get(client, tokens["finance"], f"/v1/agreements/{aid}/reports/summary", year=2025)
    assert (summary["received"], summary["unallocated"], summary["spent"], summary["remaining"]) == (
        "1000.00", "500.00", "100.00", "1400.00")
    assert get(client, tokens["party"], f"/v1/agreements/{aid}/reports/summary", year=2025) == summary
    invoice = invoices(client, tokens["finance"], aid)[0]["id"]
    allocated = client.post(f"/v1/agreements/{aid}/unmatched-payments/{response.json()['payment_id']}/allocation",
                            json={"invoice_id": invoice, "allocated_on": "2026-01-10"},
                            headers=auth(tokens["finance"]))
    assert allocated.status_code in (200, 201), allocated.text
    summary = get(client, tokens["finance"], f"/v1/agreements/{aid}/reports/summary", year=2025)
    assert (summary["received"], summary["unallocated"], summary["remaining"]) == ("1500.00", "0.00", "1400.00")
