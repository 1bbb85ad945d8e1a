"""Invoice documents: an invoice or credit note as a PDF with the giro slip, or as a Finvoice 3.0
message; a day's invoicing run as one ZIP of PDFs or one Finvoice transmission file (R-INV-6)."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response

from api.deps import BillReader, LedgerDep, Staff
from api.documents import finvoice, pdf
from api.routes.common import DayQuery, check_visible
from api.routes.invoices import check_invoice_visible
from domain.application import Ledger
from domain.access.tokens import Principal
from domain.kernel.errors import NotFound
from domain.kernel.identifiers import parse_uuid

router = APIRouter(tags=["invoice documents"])
EVERY_DAY = date(2199, 12, 31)  # a document shows every credit note of its invoice
Lang = Annotated[Literal["fi", "sv", "en"], Query(description="The document's language (default Finnish).")]
ReferenceForm = Annotated[Literal["national", "rf"], Query(
    description="The reference on the giro slip: `national` (bar code version 4) or `rf` (version 5).")]
PDF = {200: {"content": {"application/pdf": {}}, "description": "The document."}}
XML = {200: {"content": {"application/xml": {}}, "description": "The Finvoice 3.0 message."}}
ZIP = {200: {"content": {"application/zip": {}}, "description": "One PDF per invoice."}}


def _document(ledger: Ledger, principal: Principal, invoice_id: str) -> dict[str, Any]:
    iid = parse_uuid(invoice_id, "invoice")
    check_invoice_visible(ledger, principal, iid)
    return ledger.invoice_document(iid, as_of=EVERY_DAY)


def _note(doc: dict[str, Any], credit_note_id: str) -> dict[str, Any]:
    wanted = str(parse_uuid(credit_note_id, "credit note"))
    for note in doc["invoice"]["credit_notes"]:
        if note["id"] == wanted:
            return note
    raise NotFound(f"no credit note {credit_note_id} of this invoice")


def _named(body: bytes, media_type: str, filename: str) -> Response:
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'inline; filename="{filename}"'})


@router.get("/v1/invoices/{invoice_id}.pdf", response_class=Response, responses=PDF)
def invoice_pdf(invoice_id: str, ledger: LedgerDep, principal: BillReader, lang: Lang = "fi",
                reference: ReferenceForm = "national") -> Response:
    """The invoice as a PDF with the giro slip, its virtual bar code (Code 128) and EPC QR code; 409
    `seller_bank_details_missing` without the seller's IBAN and BIC (a party: its own invoices only)."""
    doc = _document(ledger, principal, invoice_id)
    return _named(pdf.render_invoice(doc, lang, reference), "application/pdf", f"{doc['invoice']['number']}.pdf")


@router.get("/v1/invoices/{invoice_id}/finvoice.xml", response_class=Response, responses=XML)
def invoice_finvoice(invoice_id: str, ledger: LedgerDep, principal: BillReader) -> Response:
    """The invoice as a Finvoice 3.0 message to the buyer's e-invoice address and operator."""
    doc = _document(ledger, principal, invoice_id)
    body = finvoice.message_bytes(finvoice.finvoice(doc, message_id=doc["invoice"]["id"]))
    return _named(body, "application/xml", f"{doc['invoice']['number']}.xml")


@router.get("/v1/invoices/{invoice_id}/credit-notes/{credit_note_id}.pdf", response_class=Response,
            responses=PDF)
def credit_note_pdf(invoice_id: str, credit_note_id: str, ledger: LedgerDep, principal: BillReader,
                    lang: Lang = "fi") -> Response:
    """A credit note of the invoice as a PDF."""
    doc = _document(ledger, principal, invoice_id)
    note = _note(doc, credit_note_id)
    return _named(pdf.render_credit_note(doc, note, lang), "application/pdf", f"{note['number']}.pdf")


@router.get("/v1/invoices/{invoice_id}/credit-notes/{credit_note_id}/finvoice.xml", response_class=Response,
            responses=XML)
def credit_note_finvoice(invoice_id: str, credit_note_id: str, ledger: LedgerDep, principal: BillReader
                         ) -> Response:
    """A credit note of the invoice as a Finvoice 3.0 message (INV02, negative amounts)."""
    doc = _document(ledger, principal, invoice_id)
    note = _note(doc, credit_note_id)
    body = finvoice.message_bytes(finvoice.finvoice(doc, message_id=note["id"], note=note))
    return _named(body, "application/xml", f"{note['number']}.xml")


def _run(ledger: Ledger, principal: Principal, agreement_id: str, issued_on: date) -> list[dict[str, Any]]:
    aid: UUID = parse_uuid(agreement_id, "agreement")
    check_visible(ledger, principal, aid)
    return ledger.invoice_documents(aid, issued_on=issued_on)


@router.get("/v1/agreements/{agreement_id}/invoices/documents.zip", response_class=Response, responses=ZIP)
def run_pdfs(agreement_id: str, issued_on: DayQuery, ledger: LedgerDep, principal: Staff,
             lang: Lang = "fi") -> Response:
    """The invoices issued on a day (an invoicing run), one PDF each in a ZIP, at most 500 (409
    `too_many_documents` beyond) (finance, coordinator, auditor)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for doc in _run(ledger, principal, agreement_id, issued_on):
            archive.writestr(f"{doc['invoice']['number']}.pdf", pdf.render_invoice(doc, lang))
    return _named(buffer.getvalue(), "application/zip", f"invoices-{issued_on.isoformat()}.zip")


@router.get("/v1/agreements/{agreement_id}/invoices/finvoice.xml", response_class=Response, responses=XML)
def run_finvoice(agreement_id: str, issued_on: DayQuery, ledger: LedgerDep, principal: Staff) -> Response:
    """The invoices issued on a day as one Finvoice transmission file: each message after its SOAP
    envelope, at most 500 (finance, coordinator, auditor)."""
    body = finvoice.transmission(_run(ledger, principal, agreement_id, issued_on))
    return _named(body, "application/xml", f"finvoice-{issued_on.isoformat()}.xml")
