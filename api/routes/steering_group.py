"""The steering group's composition: seats by sector, personal deputies and experts (R-GOV-1, R-GOV-2).

Party tokens get 403, as for the decisions: each seat's weight is the cost share of the parties it
represents.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, status
from pydantic import Field, StringConstraints

from api.deps import Coordinator, IdempotencyKey, LedgerDep, claim, require
from api.routes.common import AsOf, as_of_or_today
from api.routes.decisions import SeatCode
from api.schemas import BusinessDate, Strict
from domain.access.tokens import Principal
from domain.kernel.identifiers import parse_uuid

router = APIRouter(prefix="/v1/agreements/{agreement_id}/steering-group", tags=["steering group"])
Staff = Annotated[Principal, Depends(require("coordinator", "finance", "scheduler", "auditor"))]
Sector = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class SeatIn(Strict):
    code: SeatCode
    sector: Sector = Field(examples=["Two wellbeing services counties"])
    parties: list[UUID] = Field(min_length=1, max_length=500, description="The parties the seat represents; "
                                "it votes with the sum of their weights.")
    deputy: bool = Field(False, description="Whether the seat's member has a personal deputy.")


class ExpertIn(Strict):
    code: SeatCode
    organisation: Sector = Field(examples=["Valtiovarainministeriö"])


class CompositionIn(Strict):
    effective_on: BusinessDate
    seats: list[SeatIn] = Field(min_length=1, max_length=100)
    experts: list[ExpertIn] = Field(default_factory=list, max_length=20)
    decision_id: UUID | None = Field(None, description="A passed `steering_group` decision; needed for every "
                                                       "composition after the first.")


@router.post("", status_code=status.HTTP_201_CREATED)
def compose_steering_group(agreement_id: str, body: CompositionIn, request: Request, ledger: LedgerDep,
                           principal: Coordinator, key: IdempotencyKey) -> dict[str, Any]:
    """Seat the steering group by sector; a later change cites its passed decision (coordinator)."""
    return ledger.compose_steering_group(
        parse_uuid(agreement_id, "agreement"), effective_on=body.effective_on,
        seats=[seat.model_dump() for seat in body.seats], experts=[e.model_dump() for e in body.experts],
        decision_id=body.decision_id, idempotency=claim(principal, key, request, body.model_dump(mode="json")))


@router.get("")
def get_steering_group(agreement_id: str, ledger: LedgerDep, principal: Staff, as_of: AsOf = None
                       ) -> dict[str, Any]:
    """The seats in effect on a date with their weights, and every composition since the first."""
    return ledger.get_steering_group(parse_uuid(agreement_id, "agreement"), as_of=as_of_or_today(as_of))
