"""Late-payment interest (R-INV-6): the reference-rate table, each party's claim, interest invoices and
waivers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status

from api.deps import Finance, IdempotencyKey, LedgerDep, Staff, claim, require
from api.problems import PROBLEM_JSON
from api.money_schemas import InterestInvoiceIn, InterestWaiverIn, ReferenceRateIn
from api.routes.common import After, AsOf, Limit, as_of_or_today, cursor, link_next
from domain.access.tokens import Principal
from domain.kernel.identifiers import parse_uuid

router = APIRouter(tags=["interest"])
RateKeeper = Annotated[Principal, Depends(require("coordinator", "finance"))]


@router.get("/v1/reference-rates")
def list_reference_rates(ledger: LedgerDep, principal: Staff) -> list[dict[str, Any]]:
    """The Interest Act's reference rates by the half-year they apply from, with the late-payment interest
    rate (reference rate + 7 percentage points) of each."""
    return ledger.list_reference_rates()


@router.post("/v1/reference-rates", status_code=status.HTTP_201_CREATED)
def record_reference_rate(body: ReferenceRateIn, request: Request, ledger: LedgerDep, principal: RateKeeper,
                          key: IdempotencyKey) -> dict[str, Any]:
    """Record the reference rate of a half-year (coordinator, finance); `valid_from` is 1 January or 1 July
    (422 `invalid_valid_from`). Recording a half-year again corrects it."""
    return ledger.record_reference_rate(valid_from=body.valid_from, rate=body.rate, recorded_on=body.recorded_on,
                                        idempotency=claim(principal, key, request, body.model_dump(mode="json")))


@router.get("/v1/agreements/{agreement_id}/interest", responses={409: {
    "description": "A day of the claim has no recorded reference rate (`reference_rate_missing`).",
    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}})
def get_interest(agreement_id: str, request: Request, response: Response, ledger: LedgerDep, principal: Staff,
                 as_of: AsOf = None, party_id: str | None = Query(None, max_length=36), limit: Limit = 100,
                 after: After = None) -> dict[str, Any]:
    """Each party's accrued late-payment interest as of a date, a page of parties at a time (R-INV-6): the
    `claim` not yet invoiced or waived, per overdue invoice, and what was `invoiced` and `waived`. A day
    without a recorded reference rate: 409 `reference_rate_missing`."""
    party = None if party_id is None else parse_uuid(party_id, "party")
    result = ledger.get_interest(parse_uuid(agreement_id, "agreement"), as_of=as_of_or_today(as_of), limit=limit,
                                 after=cursor(after), party_id=party)
    link_next(request, response, result["parties"], "party_id", limit)
    return result


@router.post("/v1/agreements/{agreement_id}/parties/{party_id}/interest/invoices",
             status_code=status.HTTP_201_CREATED)
def invoice_interest(agreement_id: str, party_id: str, body: InterestInvoiceIn, request: Request,
                     ledger: LedgerDep, principal: Finance, key: IdempotencyKey) -> dict[str, Any]:
    """Invoice a party's interest claim through `issued_on` on an invoice of kind `interest`, a line per
    overdue invoice (finance). Nothing claimed: 409 `no_interest_claim`."""
    return ledger.invoice_interest(parse_uuid(agreement_id, "agreement"), parse_uuid(party_id, "party"),
                                   issued_on=body.issued_on,
                                   idempotency=claim(principal, key, request, body.model_dump(mode="json")))


@router.post("/v1/agreements/{agreement_id}/parties/{party_id}/interest/waivers",
             status_code=status.HTTP_201_CREATED)
def waive_interest(agreement_id: str, party_id: str, body: InterestWaiverIn, request: Request,
                   ledger: LedgerDep, principal: Finance, key: IdempotencyKey) -> dict[str, Any]:
    """Waive a party's interest claim through `waived_on`, with the reason recorded (finance)."""
    return ledger.waive_interest(
        parse_uuid(agreement_id, "agreement"), parse_uuid(party_id, "party"), waived_on=body.waived_on,
        reason=body.reason, idempotency=claim(principal, key, request, body.model_dump(mode="json")))
