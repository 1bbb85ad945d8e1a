"""Invoices: invoicing runs, listing, payments against an invoice and credit notes."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status

from api.deps import BillReader, Finance, IdempotencyKey, LedgerDep, Runner, claim
from api.routes.common import After, AsOf, Limit, as_of_or_today, check_visible, cursor, link_next
from api.schemas import CreditNoteIn, OverdueRunOut, PaymentIn, PaymentOut, RunIn, RunOut
from domain.application import Ledger
from domain.access.tokens import Principal
from domain.kernel.errors import NotFound
from domain.kernel.identifiers import parse_uuid

router = APIRouter(tags=["invoices"])


@router.post("/v1/agreements/{agreement_id}/invoicing-runs", response_model=RunOut)
def run_invoicing(agreement_id: str, body: RunIn, request: Request, ledger: LedgerDep,
                  principal: Runner, key: IdempotencyKey) -> dict[str, Any]:
    """Issue every instalment invoice due on or before `as_of` not yet issued (scheduler, finance).

    Each is issued on `as_of` and due `payment_term_days` later, on the next Finnish banking day if
    that is a weekend or a bank holiday, Christmas Eve and Midsummer Eve included (R-INV-6). A due date
    past 2199 is refused with 422 `date_out_of_range`.
    """
    return ledger.run_invoicing(parse_uuid(agreement_id, "agreement"), as_of=body.as_of,
                                idempotency=claim(principal, key, request, body.model_dump(mode="json")))


@router.post("/v1/agreements/{agreement_id}/overdue-runs", response_model=OverdueRunOut)
def run_overdue(agreement_id: str, body: RunIn, ledger: LedgerDep, principal: Runner) -> dict[str, Any]:
    """Mark the invoices past due and unpaid as of `as_of`; each is marked once (scheduler, finance)."""
    return {"marked": ledger.mark_overdue(parse_uuid(agreement_id, "agreement"), as_of=body.as_of)}


@router.get("/v1/agreements/{agreement_id}/invoices")
def list_invoices(agreement_id: str, request: Request, response: Response, ledger: LedgerDep,
                  principal: BillReader, party_id: str | None = Query(None, max_length=36),
                  as_of: AsOf = None, limit: Limit = 100, after: After = None) -> list[dict[str, Any]]:
    """Invoices in number order with paid, credited, outstanding and status as of a date."""
    aid = parse_uuid(agreement_id, "agreement")
    check_visible(ledger, principal, aid)
    party = None if party_id is None else parse_uuid(party_id, "party")
    if principal.role == "party":
        own = _own_party(ledger, principal, aid)
        if party is not None and party != own:
            return []
        party = own
    page = ledger.list_invoices(aid, as_of=as_of_or_today(as_of), limit=limit, after=cursor(after),
                                party_id=party)
    link_next(request, response, page, "id", limit)
    return page


@router.get("/v1/invoices/{invoice_id}")
def get_invoice(invoice_id: str, ledger: LedgerDep, principal: BillReader, as_of: AsOf = None
                ) -> dict[str, Any]:
    """One invoice with its payments and credit notes."""
    iid = parse_uuid(invoice_id, "invoice")
    check_invoice_visible(ledger, principal, iid)
    return ledger.get_invoice(iid, as_of=as_of_or_today(as_of))


@router.post("/v1/invoices/{invoice_id}/payments", status_code=status.HTTP_201_CREATED,
             response_model=PaymentOut)
def record_payment(invoice_id: str, body: PaymentIn, request: Request, ledger: LedgerDep,
                   principal: Finance, key: IdempotencyKey) -> dict[str, Any]:
    """Record a payment of this invoice; an overpayment is kept as the party's credit (finance)."""
    return ledger.record_payment(parse_uuid(invoice_id, "invoice"), amount=body.amount,
                                 paid_on=body.paid_on, bank_reference=body.bank_reference,
                                 idempotency=claim(principal, key, request, body.model_dump(mode="json")))


@router.post("/v1/invoices/{invoice_id}/credit-notes", status_code=status.HTTP_201_CREATED)
def issue_credit_note(invoice_id: str, body: CreditNoteIn, request: Request, ledger: LedgerDep,
                      principal: Finance, key: IdempotencyKey) -> dict[str, Any]:
    """Issue a numbered credit note that reduces what the invoice bills (finance)."""
    return ledger.issue_credit_note(parse_uuid(invoice_id, "invoice"), amount=body.amount,
                                    issued_on=body.issued_on, reason=body.reason,
                                    idempotency=claim(principal, key, request, body.model_dump(mode="json")))


def _own_party(ledger: Ledger, principal: Principal, agreement_id: UUID) -> UUID:
    assert principal.business_id is not None
    parties = ledger.list_parties(agreement_id, limit=1, business_id=principal.business_id)
    if not parties:
        raise NotFound(f"no agreement {agreement_id}")
    return UUID(str(parties[0]["party_id"]))


def check_invoice_visible(ledger: Ledger, principal: Principal, invoice_id: UUID) -> None:
    """A party's token sees only its own invoices, and only while it is a party (R-TERM-5)."""
    if principal.role != "party":
        return
    agreement_id, party_id = ledger.invoice_party(invoice_id)
    try:
        check_visible(ledger, principal, agreement_id)
        own = _own_party(ledger, principal, agreement_id)
    except NotFound:
        raise NotFound(f"no invoice {invoice_id}") from None
    if own != party_id:
        raise NotFound(f"no invoice {invoice_id}")
