"""Spending entries and recharge runs (R-INV-5)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response, status

from api.deps import Coordinator, IdempotencyKey, LedgerDep, Runner, Staff, claim
from api.routes.common import After, Limit, cursor, link_next
from api.schemas import RechargeRunOut, RunIn, SpendingIn
from domain.kernel.identifiers import parse_uuid

router = APIRouter(prefix="/v1/agreements/{agreement_id}", tags=["spending"])


@router.post("/spending", status_code=status.HTTP_201_CREATED)
def record_spending(agreement_id: str, body: SpendingIn, request: Request, ledger: LedgerDep,
                    principal: Coordinator, key: IdempotencyKey) -> dict[str, Any]:
    """Book a cost, shared by the agreement's key, borne by one party or jointly by several (coordinator).

    A cost dated in a period already recharged is kept and recharged in the next run as a late item.
    """
    borne_by = body.borne_by
    return ledger.record_spending(
        parse_uuid(agreement_id, "agreement"), amount=body.amount, booked_on=body.booked_on,
        category=body.category, description=body.description,
        borne_by=None if borne_by is None else parse_uuid(borne_by, "party") if isinstance(borne_by, str)
        else [parse_uuid(pid, "party") for pid in borne_by],
        idempotency=claim(principal, key, request, body.model_dump(mode="json")))


@router.get("/spending")
def list_spending(agreement_id: str, request: Request, response: Response, ledger: LedgerDep,
                  principal: Staff, quarter: str = Query(pattern=r"^\d{4}-Q[1-4]$"),
                  limit: Limit = 100, after: After = None) -> list[dict[str, Any]]:
    """The spending entries booked in one quarter, in booking order."""
    page = ledger.list_spending(parse_uuid(agreement_id, "agreement"), quarter=quarter, limit=limit,
                                after=cursor(after))
    link_next(request, response, page, "id", limit)
    return page


@router.post("/recharge-runs", response_model=RechargeRunOut)
def run_recharges(agreement_id: str, body: RunIn, request: Request, ledger: LedgerDep,
                  principal: Runner, key: IdempotencyKey) -> dict[str, Any]:
    """Invoice each party but the coordinator its share of every period ended before `as_of`, and any
    costs of earlier periods booked since they were recharged, as late items (scheduler, finance)."""
    return ledger.run_recharges(parse_uuid(agreement_id, "agreement"), as_of=body.as_of,
                                idempotency=claim(principal, key, request, body.model_dump(mode="json")))
