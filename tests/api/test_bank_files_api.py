"""Bank files in (issue 14 item 1, R-INV-4): camt.054 and reference payments files, each transaction
once by the bank's archive id, matched by reference across the ledger, nothing dropped."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from domain.application import Ledger
from tests.api.helpers import KELA, auth, lyhty_body
from tests.api.test_invoicing_api import invoices, run
from tests.api.test_payments_api import invoice, lyhty_invoiced
from tests.bank_file_builders import Entry, ReferencePayment, Tx, camt054, reference_payments

UNKNOWN_AGREEMENT = "RF08 9920 2500 0013"  # a valid reference whose prefix (99) names no agreement
XML = {"Content-Type": "application/xml"}
TEXT = {"Content-Type": "text/plain"}


def two_agreements(client: TestClient, tokens: dict[str, str]) -> tuple[str, dict[str, Any], str, dict[str, Any]]:
    """Lyhty and Verkko invoiced; Kela's 12,500.00 invoice in each (references of two books)."""
    aid, kela = lyhty_invoiced(client, tokens)
    created = client.post("/v1/agreements", json=lyhty_body(code="VERKKO"), headers=auth(tokens["coordinator"]))
    other = created.json()["id"]
    assert client.post(f"/v1/agreements/{other}/parties", json=KELA, headers=auth(tokens["coordinator"])).status_code == 201
    run(client, tokens["scheduler"], other, "2025-09-01")
    other_kela = next(i for i in invoices(client, tokens["finance"], other) if i["amount"] == "12500.00")
    return aid, kela, other, other_kela


def post_file(client: TestClient, token: str, content: bytes, headers: dict[str, str], expect: int = 200
              ) -> dict[str, Any]:
    response = client.post("/v1/bank-files", content=content, headers={**auth(token), **headers})
    assert response.status_code == expect, response.text
    return response.json()


def events(client: TestClient) -> int:
    ledger: Ledger = client.app.state.ledger
    return ledger.recorder.max_notification_id() or 0


def bank_camt(kela: dict[str, Any], other_kela: dict[str, Any]) -> bytes:
    """A day's notification: a single credit, a batch of three, a debit, a return, a pending entry, and
    the first credit's archive id again."""
    return camt054([
        Entry("12500.00", "ARC-1", txs=[Tx("12500.00", kela["rf_reference"], end_to_end_id="KELA-1")]),
        Entry("12620.00", "ARC-2", booked_on=date(2025, 9, 16), value_on=date(2025, 9, 15), txs=[
            Tx("12500.00", other_kela["reference_grouped"], "ARC-2-A"),
            Tx("100.00", UNKNOWN_AGREEMENT, "ARC-2-B"),
            Tx("20.00", unissued_reference(kela), "ARC-2-C")]),
        Entry("300.00", "ARC-3", credit=False, txs=[Tx("300.00", end_to_end_id="REFUND-7")]),
        Entry("45.00", "ARC-4", reversal=True, credit=False),
        Entry("1.00", "ARC-5", status="PDNG"),
        Entry("12500.00", "ARC-1"),
    ])


def unissued_reference(kela: dict[str, Any]) -> str:
    """A reference of Kela's invoice book (the agreement is known) that no invoice has: sequence 99999."""
    from domain.kernel.references import national

    return national(kela["reference"][:-6] + "99999")


def test_a_camt054_file_pays_invoices_of_two_agreements_and_keeps_everything_else(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-INV-4: each credit is matched by reference across agreements; an unknown reference is kept,
    a debit and a return are recorded, a pending entry is rejected with its reason, a repeated archive
    id is a duplicate."""
    aid, kela, other, other_kela = two_agreements(client, tokens)
    content = bank_camt(kela, other_kela)
    report = post_file(client, tokens["finance"], content, XML)
    assert report["format"] == "camt.054.001.02"
    assert (report["transactions"], report["matched"], report["unmatched"], report["unassigned"],
            report["duplicates"], report["debits"], report["returns"]) == (8, 2, 2, 1, 1, 1, 1)
    assert report["amounts"] == {"matched": "25000.00", "unmatched": "120.00", "debits": "300.00",
                                 "returns": "45.00"}
    assert report["rejected"] == [{"entry": 5, "code": "not_booked", "detail": "the entry's status is PDNG, not BOOK"}]
    paid = invoice(client, tokens["finance"], kela["id"])
    assert paid["status"] == "paid" and [(p["amount"], p["paid_on"], p["bank_reference"]) for p in paid["payments"]] \
        == [("12500.00", "2025-09-15", "ARC-1")]
    assert invoice(client, tokens["finance"], other_kela["id"])["payments"][0]["paid_on"] == "2025-09-16"
    kept = client.get(f"/v1/agreements/{aid}/unmatched-payments", headers=auth(tokens["finance"])).json()
    assert [(p["amount"], p["bank_reference"]) for p in kept] == [("20.00", "ARC-2-C")]
    unassigned = client.get("/v1/bank-transactions/unassigned", params={"month": "2025-09"},
                            headers=auth(tokens["finance"])).json()
    assert [(u["archive_id"], u["amount"], u["booked_on"], u["value_on"], u["status"]) for u in unassigned] \
        == [("ARC-2-B", "100.00", "2025-09-16", "2025-09-15", "unassigned")]
    ledger: Ledger = client.app.state.ledger
    from domain.banking.transactions import BankTransaction
    debit = ledger.get_bank_transaction(BankTransaction.create_id("ARC-3"))
    assert (debit["outcome"], debit["direction"], debit["end_to_end_id"], debit["amount"]) == \
        ("debit", "debit", "REFUND-7", "300.00")
    assert ledger.get_bank_transaction(BankTransaction.create_id("ARC-4"))["outcome"] == "return"
    assert ledger.get_bank_transaction(BankTransaction.create_id("ARC-1"))["end_to_end_id"] == "KELA-1"


def test_the_same_file_twice_imports_nothing_new(client: TestClient, tokens: dict[str, str]) -> None:
    _, kela, _, other_kela = two_agreements(client, tokens)
    content = bank_camt(kela, other_kela)
    post_file(client, tokens["finance"], content, XML)
    written = events(client)
    again = post_file(client, tokens["finance"], content, XML)
    assert (again["transactions"], again["matched"], again["unmatched"], again["duplicates"], again["debits"],
            again["returns"]) == (8, 0, 0, 7, 0, 0)
    assert again["amounts"] == {"matched": "0.00", "unmatched": "0.00", "debits": "0.00", "returns": "0.00"}
    assert events(client) == written
    assert invoice(client, tokens["finance"], kela["id"])["paid"] == "12500.00"


def test_a_reference_payments_file_is_imported_record_by_record(client: TestClient, tokens: dict[str, str]) -> None:
    """Records 3 are payments, a record 5 a correction (a return); a foreign currency line is rejected."""
    aid, kela, _, other_kela = two_agreements(client, tokens)
    content = reference_payments([
        [ReferencePayment("12500.00", kela["reference"], "1509A1"),
         ReferencePayment("2500.00", other_kela["reference"], "1509A2"),
         ReferencePayment("75.00", "13", "1509A3")],
        [ReferencePayment("12500.00", kela["reference"], "1509A1"),
         ReferencePayment("10.00", other_kela["reference"], "1509A4", currency="2"),
         ReferencePayment("75.00", "13", "1509A5", correction=True)]])
    report = post_file(client, tokens["finance"], content, TEXT)
    assert report["format"] == "fi-reference-payments"
    assert (report["transactions"], report["matched"], report["unmatched"], report["unassigned"],
            report["duplicates"], report["returns"]) == (6, 2, 1, 1, 1, 1)
    assert report["amounts"] == {"matched": "15000.00", "unmatched": "75.00", "debits": "0.00", "returns": "75.00"}
    assert [(r["line"], r["code"]) for r in report["rejected"]] == [(8, "unsupported_currency")]
    paid = invoice(client, tokens["finance"], kela["id"])
    assert (paid["status"], paid["payments"][0]["paid_on"]) == ("paid", "2025-09-15")
    partly = invoice(client, tokens["finance"], other_kela["id"], "2025-09-20")
    assert (partly["status"], partly["outstanding"]) == ("partly_paid", "10000.00")


def test_an_unassigned_payment_is_allocated_by_finance_to_any_invoice(client: TestClient,
                                                                      tokens: dict[str, str]) -> None:
    _, _, _, other_kela = two_agreements(client, tokens)
    post_file(client, tokens["finance"], camt054([Entry("12500.00", "ARC-9", txs=[Tx("12500.00", UNKNOWN_AGREEMENT)])]), XML)
    [payment] = client.get("/v1/bank-transactions/unassigned", params={"month": "2025-09"},
                           headers=auth(tokens["auditor"])).json()
    path = f"/v1/bank-transactions/{payment['id']}/allocation"
    body = {"invoice_id": other_kela["id"], "allocated_on": "2025-09-20"}
    assert client.post(path, json=body, headers=auth(tokens["coordinator"])).status_code == 403
    allocated = client.post(path, json=body, headers=auth(tokens["finance"]))
    assert allocated.status_code == 200, allocated.text
    assert (allocated.json()["status"], allocated.json()["invoice_id"]) == ("allocated", other_kela["id"])
    paid = invoice(client, tokens["finance"], other_kela["id"])
    assert (paid["status"], paid["payments"][0]["paid_on"], paid["payments"][0]["bank_reference"]) == \
        ("paid", "2025-09-15", "ARC-9")
    again = client.post(path, json=body, headers=auth(tokens["finance"]))
    assert (again.status_code, again.json()["code"]) == (409, "already_allocated")
    assert client.get("/v1/bank-transactions/unassigned", params={"month": "2025-09"},
                      headers=auth(tokens["finance"])).json() == []


def test_a_malformed_or_unsupported_file_is_refused_and_writes_nothing(client: TestClient,
                                                                       tokens: dict[str, str]) -> None:
    _, kela, _, other_kela = two_agreements(client, tokens)
    written = events(client)
    good = bank_camt(kela, other_kela)
    statement = good.replace(b"camt.054.001.02", b"camt.053.001.02")
    bad_amount = camt054([Entry("12500.00", "X-1"), Entry("12,5", "X-2")])
    totals_off = reference_payments([[ReferencePayment("12500.00", kela["reference"], "1509B1")]], total_cents_delta=1)
    for content in (b"", b"{\"not\": \"a bank file\"}", good[:-40], statement, bad_amount, totals_off,
                    b"<!DOCTYPE x [<!ENTITY e 'x'>]>" + good[good.index(b"<Document"):]):
        problem = post_file(client, tokens["finance"], content, XML, expect=422)
        assert problem["code"] == "invalid_bank_file", problem
    assert events(client) == written
    assert invoice(client, tokens["finance"], kela["id"])["paid"] == "0.00"


def test_only_finance_imports_bank_files(client: TestClient, tokens: dict[str, str]) -> None:
    content = camt054([Entry("1.00", "ROLE-1", txs=[Tx("1.00", UNKNOWN_AGREEMENT)])])
    for role in ("coordinator", "auditor", "scheduler", "party"):
        assert post_file(client, tokens[role], content, XML, expect=403)["code"] == "forbidden"
    assert post_file(client, "", content, XML, expect=401)["code"] == "unauthorized"
    assert post_file(client, tokens["finance"], content, XML)["unassigned"] == 1
    listed = {role: client.get("/v1/bank-transactions/unassigned", params={"month": "2025-09"}, headers=auth(tokens[role]))
              for role in ("coordinator", "finance", "auditor", "scheduler", "party")}
    assert {role: r.status_code for role, r in listed.items()} == {
        "coordinator": 200, "finance": 200, "auditor": 200, "scheduler": 403, "party": 403}
    [payment] = listed["auditor"].json()
    one = client.get(f"/v1/bank-transactions/{payment['id']}", headers=auth(tokens["party"]))
    assert one.status_code == 403
    bad_month = client.get("/v1/bank-transactions/unassigned", params={"month": "2025-13"}, headers=auth(tokens["finance"]))
    assert bad_month.status_code == 422


def test_a_bank_file_may_be_larger_than_other_bodies_up_to_its_own_limit(client: TestClient,
                                                                         tokens: dict[str, str]) -> None:
    """Bodies are limited to 64 KiB, bank files to LEDGER_MAX_BANK_FILE_BYTES (16 MiB)."""
    entries = [Entry("1.00", f"BIG-{n}", txs=[Tx("1.00", UNKNOWN_AGREEMENT)]) for n in range(300)]
    content = camt054(entries)
    assert len(content) > 65_536
    assert post_file(client, tokens["finance"], content, XML)["unassigned"] == 300
    too_large = client.post("/v1/bank-files", content=b"0" * (16_777_216 + 1), headers={**auth(tokens["finance"]), **TEXT})
    assert (too_large.status_code, too_large.json()["code"]) == (413, "payload_too_large")


def test_the_schema_declares_the_bank_file_route_its_body_and_its_problems(tmp_path: Any) -> None:
    from api.app import create_app
    from api.settings import Settings

    app = create_app(Settings(database="sqlite", sqlite_path=tmp_path / "ledger.sqlite", journal_follow=False,
                              audit_interval_s=0, audit_key_path=tmp_path / "audit-signing.key"))
    operation = TestClient(app).get("/openapi.json").json()["paths"]["/v1/bank-files"]["post"]
    assert set(operation["requestBody"]["content"]) == {"application/xml", "text/plain"}
    assert "invalid_bank_file" in operation["responses"]["422"]["description"]
    assert operation["responses"]["422"]["content"] == {"application/problem+json": {
        "schema": {"$ref": "#/components/schemas/Problem"}}}
    assert {"401", "403", "413", "503"} <= set(operation["responses"])


def test_the_banks_debit_entries_in_a_file_mark_the_payouts_paid(client: TestClient, tokens: dict[str, str]) -> None:
    """Issue 14 item 6 through item 1 (R-FUND-2 refunds paid out): after the refunds' pain.001 file, the
    bank's camt.054 debit naming Kela's payout with its 75.00 confirms it paid; one of another amount
    confirms nothing; a debit of no payout of ours is kept as a debit; the same file again changes nothing."""
    from tests.api.test_payouts_api import FILE, VALTORI, payouts, post, record_accounts
    from tests.api.money_helpers import refunded_network

    aid, ids, _ = refunded_network(client, tokens)
    record_accounts(client, tokens, aid, ids)
    assert post(client, tokens["finance"], f"/v1/agreements/{aid}/debtor-account", VALTORI).status_code == 201
    assert post(client, tokens["finance"], f"/v1/agreements/{aid}/payouts/pain001", FILE).status_code == 201
    sent = payouts(client, tokens["finance"], aid)
    kela, helsinki = sent[ids["0246246-0"]], sent[ids["0201256-6"]]
    content = camt054([
        Entry("100.01", "OUT-1", credit=False, booked_on=date(2026, 1, 7), value_on=date(2026, 1, 7), txs=[
            Tx("75.00", end_to_end_id=kela["end_to_end_id"]), Tx("25.01", end_to_end_id=helsinki["end_to_end_id"])]),
        Entry("9.90", "OUT-2", credit=False, booked_on=date(2026, 1, 7), txs=[Tx("9.90", end_to_end_id="BANK-FEE-1")])])
    report = post_file(client, tokens["finance"], content, XML)
    assert (report["debits"], report["payouts_confirmed"], report["payouts_amount_mismatch"]) == (3, 1, 1)
    assert report["amounts"]["debits"] == "109.91"
    after = payouts(client, tokens["finance"], aid)
    assert (after[ids["0246246-0"]]["status"], after[ids["0246246-0"]]["booked_on"],
            after[ids["0246246-0"]]["archive_id"]) == ("paid", "2026-01-07", "OUT-1-1")
    assert after[ids["0201256-6"]]["status"] == "sent"  # the bank debited 25.01 for a payout of 25.00
    ledger: Ledger = client.app.state.ledger
    from domain.banking.transactions import BankTransaction
    assert [ledger.get_bank_transaction(BankTransaction.create_id(a))["payout_status"]
            for a in ("OUT-1-1", "OUT-1-2", "OUT-2")] == ["confirmed", "amount_mismatch", "unknown"]
    again = post_file(client, tokens["finance"], content, XML)
    assert (again["duplicates"], again["payouts_confirmed"], again["payouts_amount_mismatch"]) == (3, 0, 0)


def pay(client: TestClient, tokens: dict[str, str], agreement_id: str, reference: str, archive_id: str,
        amount: str = "100.00") -> Any:
    return client.post(f"/v1/agreements/{agreement_id}/payments", headers=auth(tokens["finance"]), json={
        "reference": reference, "amount": amount, "paid_on": "2025-09-15", "bank_reference": archive_id})


def test_an_archive_id_is_recorded_once_across_the_ledger_whoever_records_it_first(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-INV-4, no payment applied twice: a bank transaction's archive id pays once in the whole ledger. An
    imported payment that names no agreement (unassigned) holds its archive id until finance allocates
    it, so the same transaction entered by hand for any agreement is refused; a transaction entered by
    hand in one agreement is refused in another; and a bank file that brings a transaction entered by
    hand before counts it as a duplicate, not as money waiting to be allocated."""
    aid, kela, other, other_kela = two_agreements(client, tokens)
    post_file(client, tokens["finance"], camt054([Entry("12500.00", "ARC-U", txs=[Tx("12500.00", UNKNOWN_AGREEMENT)])]),
              XML)
    before = events(client)
    refused = pay(client, tokens, other, other_kela["reference"], "ARC-U", "12500.00")
    assert (refused.status_code, refused.json()["code"]) == (409, "duplicate_payment"), refused.text
    assert "unassigned" in refused.json()["detail"] and events(client) == before
    assert invoice(client, tokens["finance"], other_kela["id"])["paid"] == "0.00"
    [held] = client.get("/v1/bank-transactions/unassigned", params={"month": "2025-09"},
                        headers=auth(tokens["finance"])).json()
    allocated = client.post(f"/v1/bank-transactions/{held['id']}/allocation", headers=auth(tokens["finance"]),
                            json={"invoice_id": other_kela["id"], "allocated_on": "2025-09-20"})
    assert allocated.status_code == 200, allocated.text
    assert invoice(client, tokens["finance"], other_kela["id"])["paid"] == "12500.00"  # once

    assert pay(client, tokens, aid, kela["reference"], "ARC-H").status_code == 201
    elsewhere = pay(client, tokens, other, other_kela["reference"], "ARC-H")
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (409, "duplicate_payment"), elsewhere.text
    unmatched = pay(client, tokens, other, unissued_reference(other_kela), "ARC-H")
    assert (unmatched.status_code, unmatched.json()["code"]) == (409, "duplicate_payment"), unmatched.text
    assert invoice(client, tokens["finance"], kela["id"])["paid"] == "100.00"
    assert client.get(f"/v1/agreements/{other}/unmatched-payments", headers=auth(tokens["finance"])).json() == []

    report = post_file(client, tokens["finance"], camt054([Entry("100.00", "ARC-H", txs=[Tx("100.00", UNKNOWN_AGREEMENT)])],
                                                          message_id="MSG-2"), XML)
    assert (report["unassigned"], report["duplicates"]) == (0, 1)
    assert client.get("/v1/bank-transactions/unassigned", params={"month": "2025-09", "include_allocated": "true"},
                      headers=auth(tokens["finance"])).json()[-1]["archive_id"] == "ARC-U"
