"""Membership: notice, the notice sweep, breach notices and expulsion (R-TERM-1 .. R-TERM-5)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, Field, StringConstraints

from api.deps import Coordinator, IdempotencyKey, LedgerDep, claim, require
from api.schemas import BusinessDate, Strict
from domain.access.tokens import Principal
from domain.kernel.identifiers import parse_uuid

router = APIRouter(prefix="/v1/agreements/{agreement_id}", tags=["membership"])
Sweeper = Annotated[Principal, Depends(require("scheduler", "coordinator"))]


class NoticeIn(Strict):
    given_on: BusinessDate
    ground: Literal["organisation_changed", "majority_left"]


class BreachNoticeIn(Strict):
    given_on: BusinessDate
    description: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class ExpulsionIn(Strict):
    decided_on: BusinessDate
    decision_id: UUID


class NoticeSweepIn(Strict):
    as_of: BusinessDate


class NoticeOut(BaseModel):
    party_id: str
    status: str
    given_on: str
    ground: str
    effective_on: str


class BreachNoticeOut(BaseModel):
    party_id: str
    given_on: str
    expulsion_possible_on: str = Field(description="The day after the cure period (R-TERM-4), counted under "
                                                   "the Act on calculating time limits 150/1930: the notice day "
                                                   "does not count, and a last day on a weekend, public holiday, "
                                                   "Christmas Eve or Midsummer Eve moves to the next weekday.")


class ExpulsionOut(BaseModel):
    party_id: str
    status: str
    left_on: str
    decision_id: str


class NoticeSweepOut(BaseModel):
    as_of: str
    withdrawn: int


@router.post("/parties/{party_id}/notice", response_model=NoticeOut)
def give_notice(agreement_id: str, party_id: str, body: NoticeIn, request: Request, ledger: LedgerDep,
                principal: Coordinator, key: IdempotencyKey) -> dict[str, Any]:
    """Record a party's notice on a ground of R-TERM-2; it takes effect on `effective_on` (coordinator)."""
    return ledger.give_notice(parse_uuid(agreement_id, "agreement"), parse_uuid(party_id, "party"),
                              given_on=body.given_on, ground=body.ground,
                              idempotency=claim(principal, key, request, body.model_dump(mode="json")))


@router.post("/notice-sweeps", response_model=NoticeSweepOut)
def sweep_notices(agreement_id: str, body: NoticeSweepIn, request: Request, ledger: LedgerDep,
                  principal: Sweeper, key: IdempotencyKey) -> dict[str, Any]:
    """Record the withdrawal of every party whose notice took effect by `as_of` (scheduler, coordinator)."""
    withdrawn = ledger.apply_notices(parse_uuid(agreement_id, "agreement"), as_of=body.as_of,
                                     idempotency=claim(principal, key, request, body.model_dump(mode="json")))
    return {"as_of": body.as_of.isoformat(), "withdrawn": withdrawn}


@router.post("/parties/{party_id}/breach-notices", status_code=status.HTTP_201_CREATED,
             response_model=BreachNoticeOut)
def give_breach_notice(agreement_id: str, party_id: str, body: BreachNoticeIn, request: Request,
                       ledger: LedgerDep, principal: Coordinator, key: IdempotencyKey) -> dict[str, Any]:
    """Record a written notice of material breach; the cure period starts (coordinator, R-TERM-4)."""
    return ledger.give_breach_notice(parse_uuid(agreement_id, "agreement"), parse_uuid(party_id, "party"),
                                     given_on=body.given_on, description=body.description,
                                     idempotency=claim(principal, key, request, body.model_dump(mode="json")))


@router.post("/parties/{party_id}/expulsion", response_model=ExpulsionOut)
def expel(agreement_id: str, party_id: str, body: ExpulsionIn, request: Request, ledger: LedgerDep,
          principal: Coordinator, key: IdempotencyKey) -> dict[str, Any]:
    """Expel a party after the cure period on a passed expulsion decision (coordinator, R-TERM-4)."""
    return ledger.expel(parse_uuid(agreement_id, "agreement"), parse_uuid(party_id, "party"),
                        decided_on=body.decided_on, decision_id=body.decision_id,
                        idempotency=claim(principal, key, request, body.model_dump(mode="json")))
