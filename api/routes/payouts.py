"""Money out: the accounts payouts go to and come from, pain.001 credit-transfer files and payout status."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from api.deps import Finance, IdempotencyKey, LedgerDep, Staff, claim, require
from api.money_schemas import BankAccountIn, Pain001In
from api.problems import ApiProblem
from api.routes.common import AsOf, Limit, as_of_or_today
from api.sepa import pain001
from domain.access.tokens import Principal
from domain.kernel.calendar import HELSINKI
from domain.kernel.identifiers import parse_uuid

router = APIRouter(prefix="/v1/agreements/{agreement_id}", tags=["payouts"])
AccountKeeper = Annotated[Principal, Depends(require("coordinator", "finance"))]
XML = {201: {"content": {pain001.MEDIA_TYPE: {}}}}
XML_200 = {200: {"content": {pain001.MEDIA_TYPE: {}}}}


def checked(account: BankAccountIn) -> dict[str, Any]:
    """The IBAN and BIC checked with schwifty (country, length, check digits; a BIC's form and country):
    422 `invalid_iban` or `invalid_bic`."""
    try:
        iban = IBAN(account.iban)
    except SchwiftyException as exc:
        raise ApiProblem(422, "invalid_iban", f"{account.iban!r} is not a valid IBAN: {exc}") from None
    try:
        bic = BIC(account.bic)
    except SchwiftyException as exc:
        raise ApiProblem(422, "invalid_bic", f"{account.bic!r} is not a valid BIC: {exc}") from None
    return {"iban": iban.compact, "bic": bic.compact, "name": account.name}


@router.post("/parties/{party_id}/payout-account", status_code=status.HTTP_201_CREATED)
def record_payout_account(agreement_id: str, party_id: str, body: BankAccountIn, request: Request,
                          ledger: LedgerDep, principal: AccountKeeper, key: IdempotencyKey) -> dict[str, Any]:
    """Record the account a party's refunds are paid to (coordinator, finance); a new one replaces it."""
    return ledger.record_payout_account(parse_uuid(agreement_id, "agreement"), parse_uuid(party_id, "party"),
                                        **checked(body), recorded_on=body.recorded_on,
                                        idempotency=claim(principal, key, request, body.model_dump(mode="json")))


@router.get("/parties/{party_id}/payout-account")
def get_payout_account(agreement_id: str, party_id: str, ledger: LedgerDep, principal: Staff) -> dict[str, Any]:
    """The account a party's refunds are paid to (404 if none is recorded)."""
    return ledger.get_payout_account(parse_uuid(agreement_id, "agreement"), parse_uuid(party_id, "party"))


@router.post("/debtor-account", status_code=status.HTTP_201_CREATED)
def record_debtor_account(agreement_id: str, body: BankAccountIn, request: Request, ledger: LedgerDep,
                          principal: Finance, key: IdempotencyKey) -> dict[str, Any]:
    """Record the coordinator's account that payouts are paid from, the debtor of the pain.001 files
    (finance); the name defaults to who invoices for the agreement."""
    return ledger.record_payout_account(parse_uuid(agreement_id, "agreement"), None, **checked(body),
                                        recorded_on=body.recorded_on,
                                        idempotency=claim(principal, key, request, body.model_dump(mode="json")))


@router.post("/payouts/pain001", status_code=status.HTTP_201_CREATED, response_class=Response, responses=XML)
def prepare_payouts(agreement_id: str, body: Pain001In, request: Request, ledger: LedgerDep, principal: Finance,
                    key: IdempotencyKey) -> Response:
    """Put every refund not yet paid out into one SEPA credit-transfer file, pain.001.001.03, validated
    against its schema (finance). Each payout gets an EndToEndId; the bank's camt.054 debit entries that
    carry it mark it paid. The debtor is the coordinator's recorded account (`debtor-account`) unless
    `debtor` is given. 409 `no_payouts_due`, `payout_account_missing` or `debtor_account_missing`."""
    debtor = None if body.debtor is None else checked(body.debtor)
    batch = ledger.prepare_payouts(parse_uuid(agreement_id, "agreement"), prepared_on=body.prepared_on,
                                   execution_on=body.execution_on,
                                   created_at=datetime.now(HELSINKI).isoformat(timespec="seconds"), debtor=debtor,
                                   idempotency=claim(principal, key, request, body.model_dump(mode="json")))
    return _xml(batch, status.HTTP_201_CREATED)


@router.get("/payout-batches/{batch_id}")
def get_payout_batch(agreement_id: str, batch_id: str, ledger: LedgerDep, principal: Staff) -> dict[str, Any]:
    """One pain.001 batch: its message id, debtor, total and payouts with their status."""
    return ledger.get_payout_batch(parse_uuid(agreement_id, "agreement"), parse_uuid(batch_id, "payout batch"))


@router.get("/payout-batches/{batch_id}/pain001.xml", response_class=Response, responses=XML_200)
def get_pain001(agreement_id: str, batch_id: str, ledger: LedgerDep, principal: Staff) -> Response:
    """The pain.001.001.03 file of a batch again, as it was first made."""
    batch = ledger.get_payout_batch(parse_uuid(agreement_id, "agreement"), parse_uuid(batch_id, "payout batch"))
    return _xml(batch, status.HTTP_200_OK)


@router.get("/payouts")
def list_payouts(agreement_id: str, ledger: LedgerDep, principal: Staff, as_of: AsOf = None,
                 limit: Limit = 100) -> list[dict[str, Any]]:
    """Every refund owed by a date and its payout: `due` (in no file yet), `sent` (in a pain.001 file,
    with its EndToEndId and batch) or `paid` (the bank's debit entry came back: booked_on, archive_id)."""
    return ledger.list_payouts(parse_uuid(agreement_id, "agreement"), as_of=as_of_or_today(as_of), limit=limit)


def _xml(batch: dict[str, Any], code: int) -> Response:
    return Response(pain001.render(batch), status_code=code, media_type=pain001.MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="pain001-{batch["message_id"]}.xml"',
                             "X-Payout-Batch": str(batch["batch_id"])})
