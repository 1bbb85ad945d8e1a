"""Invoice documents (R-INV-6) through the HTTP API, on SQLite and PostgreSQL: the PDF's giro slip bar code
and EPC QR code decode to the invoice's IBAN, amount, reference and due date; the Finvoice message
carries the invoice view's figures; documents are refused without the seller's bank details; a party
reads only its own."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal
from uuid import UUID

from fastapi.testclient import TestClient
from lxml import etree

from projections.journal.queries import sums

from tests.api.document_helpers import (IBAN, create_billed_agreement, decoded, epc_fields, issue,
                                        virtual_barcode_fields)
from tests.api.helpers import KELA, LYHTY_BODY, auth

MUNICIPALITIES = {"name": "Suomen Kuntaliitto ry", "business_id": "0926151-4", "signed_on": "2025-09-01",
                  "category": "municipalities"}
E_INVOICING = {"address": "003702462460", "operator": "003721291126", "buyer_reference": "KELA-ICT 4410"}
STANDARD = {"treatment": "standard_rate"}


def _amount(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def test_pdf_bar_code_and_qr_code_carry_the_invoices_iban_amount_reference_and_due_date(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-INV-6: Kela's half of 25,000.00 plus 25.5 % VAT; version 4 with the national reference, version 5
    with the RF reference, and the EPC QR code (BCD 002 SCT) with IBAN, BIC, amount and RF reference."""
    aid = create_billed_agreement(client, tokens["coordinator"], vat=STANDARD)
    [invoice] = issue(client, tokens["finance"], aid, "2025-09-01")
    assert (invoice["amount"], invoice["vat"]["net"], invoice["vat"]["vat"]) == ("15687.50", "12500.00", "3187.50")
    response = client.get(f"/v1/invoices/{invoice['id']}.pdf", headers=auth(tokens["finance"]))
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    codes = decoded(response.content)
    bar = virtual_barcode_fields(codes["Code128"])
    assert bar == {"version": "4", "iban": IBAN, "amount": Decimal("15687.50"), "reference": invoice["reference"],
                   "due_on": date.fromisoformat(invoice["due_on"])}
    assert invoice["due_on"] == "2025-09-22"
    qr = epc_fields(codes["QRCode"])
    assert qr == {"service": "BCD", "version": "002", "identification": "SCT", "bic": "NDEAFIHH",
                  "name": "Valtori", "iban": IBAN, "amount": Decimal("15687.50"), "currency": "EUR",
                  "reference": invoice["rf_reference"]}
    rf = client.get(f"/v1/invoices/{invoice['id']}.pdf", params={"reference": "rf", "lang": "sv"},
                    headers=auth(tokens["auditor"]))
    bar5 = virtual_barcode_fields(decoded(rf.content)["Code128"])
    assert (bar5["version"], bar5["reference"], bar5["amount"]) == ("5", invoice["rf_reference"], Decimal("15687.50"))


def test_finvoice_carries_the_invoice_views_figures_and_the_buyers_e_invoice_details(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-INV-6: totals, VAT, rows, due date, reference, seller's IBAN and BIC, the buyer's e-invoice address,
    operator and buyer reference, as the invoice view and the party's record say."""
    aid = create_billed_agreement(client, tokens["coordinator"], vat=STANDARD)
    kela = client.get(f"/v1/agreements/{aid}/parties", headers=auth(tokens["auditor"])).json()[1]
    put = client.put(f"/v1/agreements/{aid}/parties/{kela['party_id']}/e-invoicing", json=E_INVOICING,
                     headers=auth(tokens["finance"]))
    assert put.status_code == 200, put.text
    party = client.get(f"/v1/agreements/{aid}/parties/{kela['party_id']}", headers=auth(tokens["party"])).json()
    assert party["e_invoicing"] == E_INVOICING
    [invoice] = issue(client, tokens["finance"], aid, "2025-09-01")
    response = client.get(f"/v1/invoices/{invoice['id']}/finvoice.xml", headers=auth(tokens["party"]))
    assert response.status_code == 200 and response.headers["content-type"] == "application/xml"
    root = etree.fromstring(response.content)
    assert root.tag == "Finvoice" and root.get("Version") == "3.0"
    text = root.findtext
    assert text("MessageTransmissionDetails/MessageReceiverDetails/ToIdentifier") == "003702462460"
    assert text("MessageTransmissionDetails/MessageReceiverDetails/ToIntermediator") == "003721291126"
    assert text("InvoiceDetails/BuyerReferenceIdentifier") == "KELA-ICT 4410"
    assert text("BuyerPartyDetails/BuyerPartyIdentifier") == KELA["business_id"]
    assert text("SellerInformationDetails/SellerAccountDetails/SellerAccountID") == IBAN
    assert text("SellerInformationDetails/SellerAccountDetails/SellerBic") == "NDEAFIHH"
    assert (text("InvoiceDetails/InvoiceTypeCode"), text("InvoiceDetails/InvoiceNumber")) == ("INV01", invoice["number"])
    assert _amount(text("InvoiceDetails/InvoiceTotalVatExcludedAmount")) == Decimal(invoice["vat"]["net"])
    assert _amount(text("InvoiceDetails/InvoiceTotalVatAmount")) == Decimal(invoice["vat"]["vat"])
    assert _amount(text("InvoiceDetails/InvoiceTotalVatIncludedAmount")) == Decimal(invoice["amount"])
    assert text("InvoiceDetails/VatSpecificationDetails/VatRatePercent") == "25,5"
    assert text("InvoiceDetails/PaymentTermsDetails/InvoiceDueDate") == invoice["due_on"].replace("-", "")
    rows = root.findall("InvoiceRow")
    assert [(r.findtext("ArticleName"), _amount(r.findtext("RowVatExcludedAmount")),
             _amount(r.findtext("RowVatAmount"))) for r in rows] == [
        (line["description"], Decimal(line["amount"]), Decimal(vat))
        for line, vat in zip(invoice["lines"], invoice["vat"]["lines"], strict=True)]
    epi = "EpiDetails/EpiPaymentInstructionDetails/"
    assert text(epi + "EpiRemittanceInfoIdentifier") == invoice["reference"]
    assert _amount(text(epi + "EpiInstructedAmount")) == Decimal("15687.50")
    assert text(epi + "EpiDateOptionDate") == "20250922"


def test_vat_rate_follows_the_supply_date_either_side_of_2024_09_01_and_posts_output_vat(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-INV-6: an instalment supplied on 2024-08-30 bears 24 %, one on 2024-09-02 bears 25.5 %; the journal
    credits the shares net and the VAT to output_vat, and a credit note takes its VAT part back."""
    body = {"starts_on": "2024-08-01", "ends_on": "2025-12-31", "vat": STANDARD,
            "instalments": [{"issue_on": "2024-08-30", "share": "1/2"}, {"issue_on": "2024-09-02", "share": "1/2"}]}
    aid = create_billed_agreement(client, tokens["coordinator"], {**KELA, "signed_on": "2024-08-01"}, **body)
    [before] = issue(client, tokens["finance"], aid, "2024-08-30")
    [after] = issue(client, tokens["finance"], aid, "2024-09-02")
    assert (before["vat"]["rate"], before["vat"]["vat"], before["amount"]) == ("24", "3000.00", "15500.00")
    assert (after["vat"]["rate"], after["vat"]["vat"], after["amount"]) == ("25.5", "3187.50", "15687.50")
    note = client.post(f"/v1/invoices/{after['id']}/credit-notes", json={
        "amount": "1255.00", "issued_on": "2024-09-10", "reason": "Lasku korjattu"}, headers=auth(tokens["finance"]))
    assert note.status_code == 201, note.text
    assert note.json()["vat"] == {"rate": "25.5", "net": "1000.00", "vat": "255.00"}
    journal = client.app.state.journal
    journal.catch_up()
    party = next(p for p in client.get(f"/v1/agreements/{aid}/parties", headers=auth(tokens["auditor"])).json()
                 if p["business_id"] == KELA["business_id"])
    figures = sums(journal.store, UUID(aid), as_of=date(2024, 9, 30))
    kela = UUID(party["party_id"])
    assert figures[("shares_invoiced", kela)] == Decimal("-25000.00")
    assert figures[("output_vat", kela)] == Decimal("-6187.50") + Decimal("255.00")
    assert figures[("credit_notes", kela)] == Decimal("1000.00")
    assert figures[("receivable", kela)] == Decimal("15500.00") + Decimal("15687.50") - Decimal("1255.00")
    finvoice = etree.fromstring(client.get(f"/v1/invoices/{after['id']}/credit-notes/{note.json()['id']}/finvoice.xml",
                                           headers=auth(tokens["finance"])).content)
    assert (finvoice.findtext("InvoiceDetails/InvoiceTypeCode"),
            finvoice.findtext("InvoiceDetails/OriginalInvoiceNumber")) == ("INV02", after["number"])
    assert _amount(finvoice.findtext("InvoiceDetails/InvoiceTotalVatIncludedAmount")) == Decimal("-1255.00")
    assert _amount(finvoice.findtext("InvoiceDetails/InvoiceTotalVatAmount")) == Decimal("-255.00")
    pdf = client.get(f"/v1/invoices/{after['id']}/credit-notes/{note.json()['id']}.pdf",
                     headers=auth(tokens["finance"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_without_a_vat_treatment_figures_are_as_before_and_outside_vat_states_its_reason(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-INV-6: no treatment, no VAT (12,500.00 as ever); outside VAT keeps the amount and names the reason."""
    plain = create_billed_agreement(client, tokens["coordinator"])
    [invoice] = issue(client, tokens["finance"], plain, "2025-09-01")
    assert (invoice["amount"], invoice["vat"]) == ("12500.00", None)
    reason = "Yhteistoiminta viranomaistehtävässä, AVL 4 §"
    put = client.put(f"/v1/agreements/{plain}/vat-treatment", json={"treatment": "outside_vat", "reason": reason},
                     headers=auth(tokens["coordinator"]))
    assert put.status_code == 200 and put.json()["vat"] == {"treatment": "outside_vat", "reason": reason}
    [later] = issue(client, tokens["finance"], plain, "2026-01-15")
    assert later["amount"] == "12500.00" and later["vat"]["reason"] == reason and later["vat"]["vat"] == "0.00"
    root = etree.fromstring(client.get(f"/v1/invoices/{later['id']}/finvoice.xml", headers=auth(tokens["finance"])).content)
    assert root.findtext("InvoiceDetails/VatSpecificationDetails/VatCode") == "O"
    assert root.findtext("InvoiceDetails/VatSpecificationDetails/VatFreeText") == reason
    assert _amount(root.findtext("InvoiceDetails/InvoiceTotalVatIncludedAmount")) == Decimal("12500.00")
    bar = virtual_barcode_fields(decoded(client.get(f"/v1/invoices/{later['id']}.pdf",
                                                    headers=auth(tokens["finance"])).content)["Code128"])
    assert (bar["amount"], bar["due_on"]) == (Decimal("12500.00"), date.fromisoformat(later["due_on"]))


def test_documents_are_refused_without_the_sellers_bank_details(client: TestClient, tokens: dict[str, str]) -> None:
    """R-INV-6: 409 seller_bank_details_missing until the coordinator records a checked IBAN and BIC."""
    response = client.post("/v1/agreements", json=LYHTY_BODY, headers=auth(tokens["coordinator"]))
    aid = response.json()["id"]
    client.post(f"/v1/agreements/{aid}/parties", json=KELA, headers=auth(tokens["coordinator"]))
    [invoice] = issue(client, tokens["finance"], aid, "2025-09-01")
    for path in (f"/v1/invoices/{invoice['id']}.pdf", f"/v1/invoices/{invoice['id']}/finvoice.xml"):
        refused = client.get(path, headers=auth(tokens["finance"]))
        assert refused.status_code == 409 and refused.json()["code"] == "seller_bank_details_missing"
    bad = client.put(f"/v1/agreements/{aid}/seller-bank-details", json={"iban": "FI79 4405 2020 0360 83",
                                                                        "bic": "NDEAFIHH"},
                     headers=auth(tokens["coordinator"]))
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_iban"
    denied = client.put(f"/v1/agreements/{aid}/seller-bank-details", json={"iban": IBAN, "bic": "NDEAFIHH"},
                        headers=auth(tokens["finance"]))
    assert denied.status_code == 403
    ok = client.put(f"/v1/agreements/{aid}/seller-bank-details", json={"iban": IBAN, "bic": "NDEAFIHH"},
                    headers=auth(tokens["coordinator"]))
    assert ok.json()["seller_bank"] == {"iban": IBAN, "bic": "NDEAFIHH"}
    assert client.get(f"/v1/invoices/{invoice['id']}.pdf", headers=auth(tokens["finance"])).status_code == 200


def test_a_party_fetches_only_its_own_invoice_documents(client: TestClient, tokens: dict[str, str]) -> None:
    """R-CONF-1, R-INV-6: Kela's token gets its own PDF, not the Municipalities' (404), nor a run's batch (403)."""
    aid = create_billed_agreement(client, tokens["coordinator"])
    client.post(f"/v1/agreements/{aid}/parties", json=MUNICIPALITIES, headers=auth(tokens["coordinator"]))
    issued = issue(client, tokens["finance"], aid, "2025-09-01")
    parties = {p["party_id"]: p["business_id"] for p in
               client.get(f"/v1/agreements/{aid}/parties", headers=auth(tokens["auditor"])).json()}
    own = next(i for i in issued if parties[i["party_id"]] == KELA["business_id"])
    other = next(i for i in issued if parties[i["party_id"]] == MUNICIPALITIES["business_id"])
    assert client.get(f"/v1/invoices/{own['id']}.pdf", headers=auth(tokens["party"])).status_code == 200
    for path in (f"/v1/invoices/{other['id']}.pdf", f"/v1/invoices/{other['id']}/finvoice.xml"):
        assert client.get(path, headers=auth(tokens["party"])).status_code == 404
    batch = client.get(f"/v1/agreements/{aid}/invoices/documents.zip", params={"issued_on": "2025-09-01"},
                       headers=auth(tokens["party"]))
    assert batch.status_code == 403


def test_a_runs_invoices_come_as_one_zip_of_pdfs_and_one_finvoice_transmission(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-INV-6: the run of 2025-09-01 (Kela and the Municipalities) as two PDFs and two Finvoice messages,
    each after its SOAP envelope; another day has none."""
    aid = create_billed_agreement(client, tokens["coordinator"])
    client.post(f"/v1/agreements/{aid}/parties", json=MUNICIPALITIES, headers=auth(tokens["coordinator"]))
    issued = issue(client, tokens["finance"], aid, "2025-09-01")
    numbers = sorted(i["number"] for i in issued)
    response = client.get(f"/v1/agreements/{aid}/invoices/documents.zip", params={"issued_on": "2025-09-01"},
                          headers=auth(tokens["auditor"]))
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == [f"{n}.pdf" for n in numbers]
    amounts = {i["number"]: Decimal(i["amount"]) for i in issued}
    for number in numbers:
        bar = virtual_barcode_fields(decoded(archive.read(f"{number}.pdf"))["Code128"])
        assert bar["amount"] == amounts[number]
    transmission = client.get(f"/v1/agreements/{aid}/invoices/finvoice.xml", params={"issued_on": "2025-09-01"},
                              headers=auth(tokens["coordinator"])).content
    messages = [etree.fromstring(b"<Finvoice" + part.split(b"</Finvoice>")[0] + b"</Finvoice>")
                for part in transmission.split(b"<Finvoice")[1:]]
    assert sorted(m.findtext("InvoiceDetails/InvoiceNumber") for m in messages) == numbers
    assert transmission.count(b"SOAP-ENV:Envelope xmlns") == 2
    empty = client.get(f"/v1/agreements/{aid}/invoices/documents.zip", params={"issued_on": "2025-09-02"},
                       headers=auth(tokens["finance"]))
    assert zipfile.ZipFile(io.BytesIO(empty.content)).namelist() == []
