"""Payments, unmatched payments and credit notes (R-INV-4): every cent is kept, nothing is edited."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from tests.api.helpers import KELA, auth, create_lyhty
from tests.api.test_invoicing_api import COHORT, invoices, run


def lyhty_invoiced(client: TestClient, tokens: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """Lyhty after its first run; returns the agreement id and Kela's invoice (12,500.00)."""
    aid = create_lyhty(client, tokens["coordinator"], *COHORT)
    run(client, tokens["scheduler"], aid, "2025-09-01")
    kela = next(i for i in invoices(client, tokens["finance"], aid) if i["amount"] == "12500.00")
    return aid, kela


def pay(client: TestClient, token: str, path: str, body: dict[str, Any], expect: int = 201
        ) -> dict[str, Any]:
    response = client.post(path, json=body, headers=auth(token))
    assert response.status_code == expect, response.text
    return response.json()


def invoice(client: TestClient, token: str, invoice_id: str, as_of: str = "2026-06-30") -> dict[str, Any]:
    return client.get(f"/v1/invoices/{invoice_id}", params={"as_of": as_of}, headers=auth(token)).json()


def test_payment_by_reference_settles_the_right_invoice(client: TestClient, tokens: dict[str, str]) -> None:
    """R-INV-4: the reference alone finds the invoice; the RF form and spaces work as well."""
    aid, kela = lyhty_invoiced(client, tokens)
    others = [i for i in invoices(client, tokens["finance"], aid) if i["id"] != kela["id"]]
    paid = pay(client, tokens["finance"], f"/v1/agreements/{aid}/payments",
               {"reference": kela["reference_grouped"], "amount": "12500.00", "paid_on": "2025-09-15"})
    assert paid["matched"] and paid["invoice_id"] == kela["id"] and paid["status"] == "paid"
    assert invoice(client, tokens["finance"], kela["id"])["status"] == "paid"
    assert all(invoice(client, tokens["finance"], i["id"], "2025-09-15")["status"] == "issued" for i in others)
    rf = pay(client, tokens["finance"], f"/v1/agreements/{aid}/payments",
             {"reference": others[0]["rf_reference"], "amount": "1.00", "paid_on": "2025-09-16"})
    assert rf["invoice_id"] == others[0]["id"] and rf["status"] == "partly_paid"


def test_partial_payment_leaves_the_rest_outstanding_and_then_overdue(client: TestClient,
                                                                      tokens: dict[str, str]) -> None:
    _, kela = lyhty_invoiced(client, tokens)
    path = f"/v1/invoices/{kela['id']}/payments"
    first = pay(client, tokens["finance"], path, {"amount": "5000.00", "paid_on": "2025-09-10"})
    assert first["status"] == "partly_paid" and first["outstanding"] == "7500.00"
    assert invoice(client, tokens["finance"], kela["id"], "2025-09-22")["status"] == "partly_paid"
    late = invoice(client, tokens["finance"], kela["id"], "2025-09-23")
    assert (late["status"], late["paid"], late["outstanding"]) == ("overdue", "5000.00", "7500.00")
    assert invoice(client, tokens["finance"], kela["id"], "2025-09-09")["status"] == "issued"
    pay(client, tokens["finance"], path, {"amount": "7500.00", "paid_on": "2025-10-01"})
    done = invoice(client, tokens["finance"], kela["id"])
    assert (done["status"], done["paid"], done["outstanding"]) == ("paid", "12500.00", "0.00")
    assert [p["amount"] for p in done["payments"]] == ["5000.00", "7500.00"]


def test_overpayment_is_kept_as_the_partys_credit(client: TestClient, tokens: dict[str, str]) -> None:
    _, kela = lyhty_invoiced(client, tokens)
    pay(client, tokens["finance"], f"/v1/invoices/{kela['id']}/payments",
        {"amount": "12600.50", "paid_on": "2025-09-10"})
    seen = invoice(client, tokens["finance"], kela["id"])
    assert (seen["status"], seen["paid"], seen["outstanding"], seen["overpaid"]) == (
        "paid", "12600.50", "0.00", "100.50")


def test_unknown_reference_is_kept_unmatched_and_can_be_allocated(client: TestClient,
                                                                  tokens: dict[str, str]) -> None:
    """R-INV-4: a payment that names no invoice is never dropped; finance allocates it later."""
    aid, kela = lyhty_invoiced(client, tokens)
    unknown = pay(client, tokens["finance"], f"/v1/agreements/{aid}/payments",
                  {"reference": "12345614", "amount": "12500.00", "paid_on": "2025-09-12",
                   "bank_reference": "250912ABC123"})
    typo = pay(client, tokens["finance"], f"/v1/agreements/{aid}/payments",
               {"reference": "1 20250 00016", "amount": "0.01", "paid_on": "2025-09-12"})
    assert (unknown["matched"], typo["matched"]) == (False, False)
    listed = client.get(f"/v1/agreements/{aid}/unmatched-payments", headers=auth(tokens["finance"])).json()
    assert [(p["amount"], p["reference"], p["status"]) for p in listed] == [
        ("12500.00", "12345614", "unmatched"), ("0.01", "1 20250 00016", "unmatched")]
    allocated = pay(client, tokens["finance"],
                    f"/v1/agreements/{aid}/unmatched-payments/{unknown['payment_id']}/allocation",
                    {"invoice_id": kela["id"], "allocated_on": "2025-09-20"}, expect=200)
    assert (allocated["status"], allocated["invoice_id"]) == ("allocated", kela["id"])
    seen = invoice(client, tokens["finance"], kela["id"])
    assert (seen["status"], seen["paid"]) == ("paid", "12500.00")
    assert seen["payments"][0]["paid_on"] == "2025-09-12"
    again = client.post(f"/v1/agreements/{aid}/unmatched-payments/{unknown['payment_id']}/allocation",
                        json={"invoice_id": kela["id"], "allocated_on": "2025-09-21"},
                        headers=auth(tokens["finance"]))
    assert again.status_code == 409 and again.json()["code"] == "already_allocated"
    remaining = client.get(f"/v1/agreements/{aid}/unmatched-payments", headers=auth(tokens["finance"])).json()
    assert [p["amount"] for p in remaining] == ["0.01"]
    everything = client.get(f"/v1/agreements/{aid}/unmatched-payments", params={"include_allocated": True},
                            headers=auth(tokens["auditor"])).json()
    assert sum(Decimal(p["amount"]) for p in everything) == Decimal("12500.01")


def test_the_same_bank_transaction_is_not_booked_twice(client: TestClient, tokens: dict[str, str]) -> None:
    aid, kela = lyhty_invoiced(client, tokens)
    body = {"amount": "100.00", "paid_on": "2025-09-10", "bank_reference": "250910XYZ"}
    pay(client, tokens["finance"], f"/v1/invoices/{kela['id']}/payments", body)
    second = client.post(f"/v1/agreements/{aid}/payments", json={**body, "reference": kela["reference"]},
                         headers=auth(tokens["finance"]))
    assert second.status_code == 409 and second.json()["code"] == "duplicate_payment"
    assert invoice(client, tokens["finance"], kela["id"])["paid"] == "100.00"


def test_credit_note_reduces_what_is_owed_and_takes_the_next_number(client: TestClient,
                                                                    tokens: dict[str, str]) -> None:
    aid, kela = lyhty_invoiced(client, tokens)
    path = f"/v1/invoices/{kela['id']}/credit-notes"
    note = pay(client, tokens["finance"], path, {"amount": "2500.00", "issued_on": "2025-09-05",
                                                 "reason": "Share agreed at 20,000.00 in the steering group"})
    assert (note["number"], note["outstanding"]) == ("LYHTY-2025-00005", "10000.00")  # after 4 invoices
    too_much = client.post(path, json={"amount": "10000.01", "issued_on": "2025-09-06", "reason": "x"},
                           headers=auth(tokens["finance"]))
    assert too_much.status_code == 409 and too_much.json()["code"] == "credit_exceeds_invoice"
    pay(client, tokens["finance"], f"/v1/invoices/{kela['id']}/payments",
        {"amount": "10000.00", "paid_on": "2025-09-20"})
    assert invoice(client, tokens["finance"], kela["id"])["status"] == "paid"
    pay(client, tokens["finance"], path, {"amount": "10000.00", "issued_on": "2025-09-30", "reason": "void"})
    voided = invoice(client, tokens["finance"], kela["id"])
    assert (voided["status"], voided["credited"], voided["overpaid"]) == ("credited", "12500.00", "10000.00")
    assert [c["number"] for c in voided["credit_notes"]] == ["LYHTY-2025-00005", "LYHTY-2025-00006"]


def test_bad_payments_are_refused_and_change_nothing(client: TestClient, tokens: dict[str, str]) -> None:
    aid, kela = lyhty_invoiced(client, tokens)
    path = f"/v1/invoices/{kela['id']}/payments"
    cases = [({"amount": 100, "paid_on": "2025-09-10"}, 422, "validation_error"),
             ({"amount": "1.001", "paid_on": "2025-09-10"}, 422, "validation_error"),
             ({"amount": "0.00", "paid_on": "2025-09-10"}, 422, "invalid_amount"),
             ({"amount": "-5.00", "paid_on": "2025-09-10"}, 422, "invalid_amount"),
             ({"amount": "5.00", "paid_on": "2025-08-31"}, 422, "invalid_date"),
             ({"amount": "5.00", "paid_on": "2025-09-10", "bank_reference": "x" * 36}, 422, "validation_error")]
    for body, status, code in cases:
        response = client.post(path, json=body, headers=auth(tokens["finance"]))
        assert (response.status_code, response.json()["code"]) == (status, code), body
    for role in ("coordinator", "scheduler", "auditor", "party"):
        response = client.post(path, json={"amount": "5.00", "paid_on": "2025-09-10"}, headers=auth(tokens[role]))
        assert response.status_code == 403, role
    assert client.post("/v1/invoices/not-an-id/payments", json={"amount": "5.00", "paid_on": "2025-09-10"},
                       headers=auth(tokens["finance"])).status_code == 404
    assert invoice(client, tokens["finance"], kela["id"])["paid"] == "0.00"
    bad_ref = client.post(f"/v1/agreements/{aid}/payments", json={"reference": "", "amount": "1.00",
                                                                    "paid_on": "2025-09-10"},
                          headers=auth(tokens["finance"]))
    assert bad_ref.status_code == 422


def test_party_sees_its_own_invoice_with_payments(client: TestClient, tokens: dict[str, str]) -> None:
    _, kela = lyhty_invoiced(client, tokens)
    assert KELA["business_id"] == "0246246-0"
    pay(client, tokens["finance"], f"/v1/invoices/{kela['id']}/payments", {"amount": "1.00", "paid_on": "2025-09-10"})
    seen = invoice(client, tokens["party"], kela["id"])
    assert (seen["amount"], seen["paid"]) == ("12500.00", "1.00")
