"""Bank files in (finance): camt.054 and reference payments files; unassigned bank payments and their allocation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, StringConstraints

from api.banking.importer import import_file
from api.deps import Finance, IdempotencyKey, LedgerDep, Staff, claim
from api.routes.common import After, Limit, cursor, link_next
from api.schemas import AllocationIn
from domain.kernel.identifiers import parse_uuid

PATH = "/v1/bank-files"
router = APIRouter(prefix="/v1", tags=["bank files"])
_FILE = {"type": "string", "description": "The file as the bank delivered it."}
_BODY = {"requestBody": {"required": True, "description": (
    "An ISO 20022 camt.054 notification, version 02 or later (`application/xml`), or the fixed-width "
    "incoming reference payments file (`text/plain`, ISO 8859-1); at most `LEDGER_MAX_BANK_FILE_BYTES` "
    "(16 MiB by default). The kind is read from the file itself."),
    "content": {"application/xml": {"schema": _FILE}, "text/plain": {"schema": _FILE}}}}


class Rejected(BaseModel):
    line: int | None = None
    entry: int | None = None
    code: str
    detail: str


class BankFileAmounts(BaseModel):
    matched: str
    unmatched: str
    debits: str
    returns: str


class BankFileOut(BaseModel):
    """What an import did: counts and amounts (unmatched includes unassigned)."""

    format: str
    file_id: str
    transactions: int
    matched: int
    unmatched: int
    unassigned: int
    duplicates: int
    debits: int
    returns: int
    payouts_confirmed: int
    payouts_amount_mismatch: int
    rejected: list[Rejected]
    amounts: BankFileAmounts


Month = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$"),
                  Query(description="The booking month, like 2025-09.")]


@router.post("/bank-files", response_model=BankFileOut, response_model_exclude_none=True, openapi_extra=_BODY,
             responses={422: {"description": "The file is no camt.054 notification or reference payments file "
                                             "the ledger reads (`invalid_bank_file`); nothing was written."},
                        413: {"description": "The file is larger than `LEDGER_MAX_BANK_FILE_BYTES` "
                                             "(`payload_too_large`)."}})
async def import_bank_file(request: Request, ledger: LedgerDep, principal: Finance) -> dict[str, Any]:
    """Import a bank file: every credit a payment matched by reference, each transaction once by archive id
    (422 `invalid_bank_file` for a file that cannot be read, and then nothing is written)."""
    content = await request.body()
    return await run_in_threadpool(import_file, ledger, content)


@router.get("/bank-transactions/unassigned")
def list_unassigned_bank_payments(month: Month, request: Request, response: Response, ledger: LedgerDep,
                                  principal: Staff, include_allocated: bool = Query(False),
                                  limit: Limit = 100, after: After = None) -> list[dict[str, Any]]:
    """Bank payments of a booking month whose reference named no agreement, in import order."""
    page = ledger.list_unassigned_bank_payments(month=month, limit=limit, after=cursor(after),
                                                include_allocated=include_allocated)
    link_next(request, response, page, "id", limit)
    return page


@router.get("/bank-transactions/{transaction_id}")
def get_bank_transaction(transaction_id: str, ledger: LedgerDep, principal: Staff) -> dict[str, Any]:
    """One imported bank transaction and what became of it."""
    return ledger.get_bank_transaction(parse_uuid(transaction_id, "bank transaction"))


@router.post("/bank-transactions/{transaction_id}/allocation", responses={409: {"description": (
    "The transaction is no unassigned payment (`not_unassigned`) or is allocated already (`already_allocated`), "
    "or a concurrent change (`version_conflict`).")}})
def allocate_bank_payment(transaction_id: str, body: AllocationIn, request: Request, ledger: LedgerDep,
                          principal: Finance, key: IdempotencyKey) -> dict[str, Any]:
    """Allocate an unassigned bank payment to the invoice it was meant for, in any agreement (finance)."""
    return ledger.allocate_bank_payment(
        parse_uuid(transaction_id, "bank transaction"), invoice_id=parse_uuid(body.invoice_id, "invoice"),
        allocated_on=body.allocated_on, idempotency=claim(principal, key, request, body.model_dump(mode="json")))
