"""Steering-group decisions: record, list, read (R-GOV-1 .. R-GOV-3).

Party tokens get 403 here: the contract lets a party read only its own invoices and balance, and
the minutes name every party's weight and vote.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import BaseModel, Field, StrictBool, StrictInt, StringConstraints

from api.deps import Coordinator, IdempotencyKey, LedgerDep, claim, require
from api.routes.common import After, Limit, cursor, link_next
from api.schemas import BusinessDate, Strict
from domain.access.tokens import Principal
from domain.kernel.identifiers import parse_uuid

router = APIRouter(prefix="/v1/agreements/{agreement_id}/decisions", tags=["steering group"])
Staff = Annotated[Principal, Depends(require("coordinator", "finance", "scheduler", "auditor"))]
Kind = Literal["accession", "expulsion", "extension", "refund", "dissolution", "tranche_release",
               "unused_funds", "budget", "steering_group", "grant", "other"]
SeatCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,39}$"),
                     Field(examples=["largest_cities"])]
SubjectValue = Annotated[str, StringConstraints(max_length=500)] | StrictInt | StrictBool | None


class VoteIn(Strict):
    seat: SeatCode | None = Field(None, description="The seat voting, where the agreement has composed seats.")
    party_id: UUID | None = Field(None, description="The party voting where there are no seats (one seat per "
                                                    "party), or, with seats, a party its seat represents.")
    expert: SeatCode | None = Field(None, description="With `cast_by: expert`: the expert who spoke, minuted "
                                                      "as present and never counted (R-GOV-2).")
    vote: Literal["for", "against", "abstain"] | None = None
    cast_by: Annotated[str, StringConstraints(max_length=16)] = Field(
        "member", description="`member`, `deputy` (counts only when its seat's member does not vote, and only "
                              "for a seat with a personal deputy) or `expert` (never counted).")


class DecisionIn(Strict):
    decided_on: BusinessDate
    kind: Kind
    subject: dict[Annotated[str, StringConstraints(max_length=64)], SubjectValue] = Field(
        default_factory=dict, max_length=20,
        description='What the kind needs: `{"new_ends_on": "YYYY-MM-DD"}` for an extension, '
                    '`{"party_id": "…"}` for an expulsion; other flat fields are kept as given.')
    present: list[Annotated[UUID | SeatCode, Field(union_mode="left_to_right")]] = Field(max_length=500, description=(
        "The seats present (by code, or by a party each represents); without seats, the parties present."))
    votes: list[VoteIn] = Field(default_factory=list, max_length=1000)
    experts_present: list[SeatCode] = Field(default_factory=list, max_length=20, description=(
        "Experts minuted as present, with the right to speak and no vote (R-GOV-2)."))


class DecisionOut(BaseModel):
    decision_id: str
    number: int
    passed: bool
    for_weight: str
    against_weight: str
    abstain_weight: str
    present_weight: str
    total_weight: str
    quorum_met: bool
    majority_met: bool


@router.post("", status_code=status.HTTP_201_CREATED, response_model=DecisionOut)
def record_decision(agreement_id: str, body: DecisionIn, request: Request, ledger: LedgerDep,
                    principal: Coordinator, key: IdempotencyKey) -> dict[str, Any]:
    """Record a steering decision, passed or failed, with its cost-share weights (coordinator)."""
    return ledger.record_decision(
        parse_uuid(agreement_id, "agreement"), decided_on=body.decided_on, kind=body.kind,
        subject=body.subject, present=body.present, votes=[vote.model_dump() for vote in body.votes],
        experts_present=body.experts_present, idempotency=claim(principal, key, request, _claimed(body)))


def _claimed(body: DecisionIn) -> dict[str, Any]:
    """The request as its idempotency record compares it: the fields added with seats are left out while
    unused, so a body of the earlier shape hashes as it did."""
    claimed = body.model_dump(mode="json")
    if not claimed["experts_present"]:
        del claimed["experts_present"]
    claimed["votes"] = [{k: v for k, v in vote.items() if k not in ("seat", "expert") or v is not None}
                        for vote in claimed["votes"]]
    return claimed


@router.get("")
def list_decisions(agreement_id: str, request: Request, response: Response, ledger: LedgerDep,
                   principal: Staff, limit: Limit = 100, after: After = None,
                   kind: Annotated[Kind | None, Query()] = None,
                   passed: Annotated[bool | None, Query()] = None) -> list[dict[str, Any]]:
    """Decisions in the order they were minuted, optionally of one kind or outcome (Link: next page)."""
    page = ledger.list_decisions(parse_uuid(agreement_id, "agreement"), limit=limit, after=cursor(after),
                                 kind=kind, passed=passed)
    link_next(request, response, page, "decision_id", limit)
    return page


@router.get("/{decision_id}")
def get_decision(agreement_id: str, decision_id: str, ledger: LedgerDep, principal: Staff) -> dict[str, Any]:
    """One decision with who was present, every vote (and whether it counted) and the weights."""
    return ledger.get_decision(parse_uuid(agreement_id, "agreement"), parse_uuid(decision_id, "decision"))
