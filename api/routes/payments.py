"""Payments by reference, unmatched payments and their allocation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response, status

from api.deps import Finance, IdempotencyKey, LedgerDep, Staff, claim
from api.routes.common import After, Limit, cursor, link_next
from api.schemas import AllocationIn, PaymentOut, ReferencePaymentIn
from domain.kernel.identifiers import parse_uuid

router = APIRouter(prefix="/v1/agreements/{agreement_id}", tags=["payments"])


@router.post("/payments", status_code=status.HTTP_201_CREATED, response_model=PaymentOut)
def record_payment_by_reference(agreement_id: str, body: ReferencePaymentIn, request: Request,
                                ledger: LedgerDep, principal: Finance, key: IdempotencyKey
                                ) -> dict[str, Any]:
    """Match a payment to the invoice its reference names, or keep it unmatched; never drop it."""
    return ledger.record_payment_by_reference(
        parse_uuid(agreement_id, "agreement"), reference=body.reference, amount=body.amount,
        paid_on=body.paid_on, bank_reference=body.bank_reference,
        idempotency=claim(principal, key, request, body.model_dump(mode="json")))


@router.get("/unmatched-payments")
def list_unmatched_payments(agreement_id: str, request: Request, response: Response, ledger: LedgerDep,
                            principal: Staff, include_allocated: bool = Query(False),
                            limit: Limit = 100, after: After = None) -> list[dict[str, Any]]:
    """Payments whose reference named no invoice, oldest first (allocated ones on request)."""
    page = ledger.list_unmatched_payments(parse_uuid(agreement_id, "agreement"), limit=limit,
                                          after=cursor(after), include_allocated=include_allocated)
    link_next(request, response, page, "id", limit)
    return page


@router.post("/unmatched-payments/{payment_id}/allocation")
def allocate_payment(agreement_id: str, payment_id: str, body: AllocationIn, request: Request,
                     ledger: LedgerDep, principal: Finance, key: IdempotencyKey) -> dict[str, Any]:
    """Allocate an unmatched payment to the invoice it was meant for (finance)."""
    return ledger.allocate_payment(
        parse_uuid(agreement_id, "agreement"), parse_uuid(payment_id, "payment"),
        invoice_id=parse_uuid(body.invoice_id, "invoice"), allocated_on=body.allocated_on,
        idempotency=claim(principal, key, request, body.model_dump(mode="json")))
