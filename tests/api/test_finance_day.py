"""A day of a finance officer's work (issue 14; docs/finance-day.md walks through the same calls): send the
run's invoices, import the bank's camt.054, see what is unassigned, allocate it, check the balances, and
pay the refunds out with a pain.001 file that the bank's next camt.054 confirms. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from lxml import etree

from tests.api.document_helpers import create_billed_agreement, issue
from tests.api.helpers import auth
from tests.api.money_helpers import refunded_network
from tests.api.test_invoice_documents_api import MUNICIPALITIES
from tests.api.test_payouts_api import FILE, NS, record_accounts
from tests.bank_file_builders import Entry, Tx, camt054

XML = {"Content-Type": "application/xml"}
MISTYPED = "RF08 9920 2500 0013"  # a valid reference of no agreement: the payer typed it wrong


def get(client: TestClient, token: str, path: str, **params: Any) -> Any:
    response = client.get(path, params=params, headers=auth(token))
    assert response.status_code == 200, response.text
    return response


def test_send_the_invoices_import_the_bank_file_allocate_and_check_the_balances(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-INV-3, R-INV-4, R-INV-6: the run's PDFs and Finvoice messages go out; the bank file pays Kela by
    reference; the Municipalities' payment came with a mistyped reference, so it waits unassigned until
    finance allocates it; then both invoices are paid and the balances say so."""
    finance = tokens["finance"]
    aid = create_billed_agreement(client, tokens["coordinator"])
    client.post(f"/v1/agreements/{aid}/parties", json=MUNICIPALITIES, headers=auth(tokens["coordinator"]))
    kela, municipalities = sorted(issue(client, finance, aid, "2025-09-01"), key=lambda i: i["amount"])

    pdfs = zipfile.ZipFile(io.BytesIO(get(client, finance, f"/v1/agreements/{aid}/invoices/documents.zip",
                                          issued_on="2025-09-01").content))
    assert sorted(pdfs.namelist()) == sorted(f"{i['number']}.pdf" for i in (kela, municipalities))
    finvoice = get(client, finance, f"/v1/agreements/{aid}/invoices/finvoice.xml", issued_on="2025-09-01").content
    assert finvoice.count(b"<InvoiceNumber>") == 2

    statement = camt054([
        Entry(kela["amount"], "DAY-1", txs=[Tx(kela["amount"], kela["reference"])]),
        Entry(municipalities["amount"], "DAY-2", booked_on=date(2025, 9, 16),
              txs=[Tx(municipalities["amount"], MISTYPED)]),
    ])
    imported = client.post("/v1/bank-files", content=statement, headers={**auth(finance), **XML})
    assert imported.status_code == 200, imported.text
    report = imported.json()
    assert (report["matched"], report["unassigned"], report["duplicates"]) == (1, 1, 0)
    assert report["amounts"]["matched"] == kela["amount"]

    [waiting] = get(client, finance, "/v1/bank-transactions/unassigned", month="2025-09").json()
    assert (waiting["amount"], waiting["booked_on"]) == (municipalities["amount"], "2025-09-16")
    allocated = client.post(f"/v1/bank-transactions/{waiting['id']}/allocation", headers=auth(finance),
                            json={"invoice_id": municipalities["id"], "allocated_on": "2025-09-17"})
    assert allocated.status_code == 200, allocated.text
    assert get(client, finance, "/v1/bank-transactions/unassigned", month="2025-09").json() == []

    for paid in (kela, municipalities):
        assert get(client, finance, f"/v1/invoices/{paid['id']}", as_of="2025-09-30").json()["status"] == "paid"
    balances = get(client, finance, f"/v1/agreements/{aid}/balances", as_of="2025-09-30").json()
    rows = balances["parties"] if isinstance(balances, dict) else balances
    assert sorted(row["paid"] for row in rows if row["paid"] != "0.00") == \
        sorted([kela["amount"], municipalities["amount"]])
    assert all(row["outstanding"] == "0.00" for row in rows)
    again = client.post("/v1/bank-files", content=statement, headers={**auth(finance), **XML}).json()
    assert (again["matched"], again["unassigned"], again["duplicates"]) == (0, 0, 2)


def test_pay_the_refunds_out_and_let_the_bank_confirm_them(client: TestClient, tokens: dict[str, str]) -> None:
    """R-FUND-2: the refunds of a dissolved network leave in one pain.001 file from the seller's account;
    the bank's debit entries, naming each payout's EndToEndId, mark them paid when the camt.054 comes."""
    finance = tokens["finance"]
    aid, ids, refunds = refunded_network(client, tokens)
    record_accounts(client, tokens, aid, ids)
    client.put(f"/v1/agreements/{aid}/seller-bank-details", json={"iban": "FI4950009420028730", "bic": "OKOYFIHH"},
               headers=auth(tokens["coordinator"]))
    made = client.post(f"/v1/agreements/{aid}/payouts/pain001", json=FILE, headers=auth(finance))
    assert made.status_code == 201, made.text
    sent = {tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS): tx.findtext("p:Amt/p:InstdAmt", namespaces=NS)
            for tx in etree.fromstring(made.content).iterfind(".//p:CdtTrfTxInf", namespaces=NS)}
    assert sorted(sent.values()) == sorted(refunds.values())

    debits = camt054([Entry(amount, f"OUT-{n}", credit=False, booked_on=date(2026, 1, 7),
                            txs=[Tx(amount, end_to_end_id=end_to_end)])
                      for n, (end_to_end, amount) in enumerate(sorted(sent.items()))])
    imported = client.post("/v1/bank-files", content=debits, headers={**auth(finance), **XML})
    assert imported.status_code == 200, imported.text
    assert (imported.json()["debits"], imported.json()["payouts_confirmed"]) == (3, 3)
    listed = get(client, finance, f"/v1/agreements/{aid}/payouts", as_of="2026-01-31").json()
    assert {(row["status"], row["booked_on"]) for row in listed} == {("paid", "2026-01-07")}
