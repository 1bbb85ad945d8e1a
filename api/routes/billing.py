"""What invoices must name (R-INV-6): the seller's bank details, the VAT treatment and each party's
e-invoice details."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from api.deps import Coordinator, IdempotencyKey, LedgerDep, Staff, claim, require
from api.schemas import EInvoicingIn, SellerBankIn, VatTreatmentIn
from domain.access.tokens import Principal
from domain.kernel.calendar import today
from domain.kernel.identifiers import parse_uuid

router = APIRouter(prefix="/v1/agreements/{agreement_id}", tags=["billing"])
Billing = Annotated[Principal, Depends(require("coordinator", "finance"))]


@router.get("/billing-details")
def get_billing_details(agreement_id: str, ledger: LedgerDep, principal: Staff) -> dict[str, Any]:
    """The seller's IBAN and BIC and the VAT treatment (null where not recorded)."""
    return ledger.get_billing_details(parse_uuid(agreement_id, "agreement"))


@router.put("/seller-bank-details")
def set_seller_bank_details(agreement_id: str, body: SellerBankIn, request: Request, ledger: LedgerDep,
                            principal: Coordinator, key: IdempotencyKey) -> dict[str, Any]:
    """Record the IBAN and BIC the agreement's invoices are paid to, checked (coordinator, R-INV-6)."""
    return ledger.set_seller_bank_details(
        parse_uuid(agreement_id, "agreement"), iban=body.iban, bic=body.bic, recorded_on=today(),
        idempotency=claim(principal, key, request, body.model_dump(mode="json")))


@router.put("/vat-treatment")
def set_vat_treatment(agreement_id: str, body: VatTreatmentIn, request: Request, ledger: LedgerDep,
                      principal: Coordinator, key: IdempotencyKey) -> dict[str, Any]:
    """Record the VAT treatment: the general rate by supply date, or the reason the shares are outside VAT
    (coordinator, R-INV-6). Invoices issued from then on carry it; those issued before keep theirs."""
    return ledger.set_vat_treatment(
        parse_uuid(agreement_id, "agreement"), treatment=body.treatment, reason=body.reason,
        recorded_on=today(), idempotency=claim(principal, key, request, body.model_dump(mode="json")))


@router.put("/parties/{party_id}/e-invoicing")
def set_party_e_invoicing(agreement_id: str, party_id: str, body: EInvoicingIn, request: Request,
                          ledger: LedgerDep, principal: Billing, key: IdempotencyKey) -> dict[str, Any]:
    """Record a party's e-invoice address, operator and buyer reference (coordinator, finance; R-INV-6)."""
    return ledger.set_party_e_invoicing(
        parse_uuid(agreement_id, "agreement"), parse_uuid(party_id, "party"), address=body.address,
        operator=body.operator, buyer_reference=body.buyer_reference, recorded_on=today(),
        idempotency=claim(principal, key, request, body.model_dump(mode="json")))
