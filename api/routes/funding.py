"""Supplementary funding by amendment and the exit settlement of a leaving party (R-FUND-5, R-FUND-6).

Party tokens get 403: an amendment lists every party's additional share, and a settlement is one
party's figures that the coordinator, finance and auditors work out with it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel, Field, StringConstraints

from api.deps import Coordinator, Finance, IdempotencyKey, LedgerDep, Staff, claim, require
from api.schemas import MONEY_PATTERN, BusinessDate, InstalmentIn, Money, Strict
from domain.access.tokens import Principal
from domain.kernel.identifiers import parse_uuid

router = APIRouter(prefix="/v1/agreements/{agreement_id}", tags=["funding"])
Readers = Annotated[Principal, Depends(require("coordinator", "finance", "scheduler", "auditor"))]
MoneyQuery = Annotated[str, Query(pattern=MONEY_PATTERN, max_length=17, examples=["1340000.00"],
                                  description="A money string, at least 0.00.")]


class AmendmentIn(Strict):
    decision_id: UUID = Field(description='A passed `budget` or `other` decision with subject `{"amendment": '
                                          'true}` (and, if it names one, the same `"total"`).')
    signed_on: BusinessDate
    total: Money = Field(description="The supplementary funding, split over the parties live on `signed_on` "
                                     "by the agreement's key.")
    instalments: list[InstalmentIn] = Field(min_length=1, max_length=24, description=(
        "Dated from `signed_on` to the end of the term, shares summing to 1; numbered after the "
        "agreement's last instalment."))


class InstalmentOut(BaseModel):
    number: int
    issue_on: str
    share: str
    requires_release: bool
    released_on: str | None
    released_by: str | None


class AdditionalShare(BaseModel):
    party_id: str
    additional_share: str


class AmendmentOut(BaseModel):
    amendment: int
    decision_id: str
    signed_on: str
    total: str
    instalments: list[InstalmentOut]
    parties: list[AdditionalShare]


class FeeLine(BaseModel):
    number: int
    issue_on: str
    amendment: int
    requires_release: bool
    amount: str


class SettlementOut(BaseModel):
    agreement_id: str
    party_id: str
    checkpoint: str
    commitment_ends_on: str
    key_share: str = Field(description="The party's share of the key among the parties at the checkpoint.")
    accrued_costs: str
    accrued_costs_share: str
    wind_down_costs: str
    wind_down_costs_share: str
    fees: str
    fee_instalments: list[FeeLine]
    total: str = Field(description="accrued_costs_share + wind_down_costs_share + fees, exactly.")
    pending_tranches: str = Field(description="Tranches not released by the checkpoint; not in the total.")
    pending_instalments: list[FeeLine]


@router.post("/amendments", status_code=status.HTTP_201_CREATED, response_model=AmendmentOut)
def amend_funding(agreement_id: str, body: AmendmentIn, request: Request, ledger: LedgerDep,
                  principal: Coordinator, key: IdempotencyKey) -> dict[str, Any]:
    """Sign an amendment adding funding split by the agreement's key, on a passed decision (coordinator)."""
    return ledger.amend_funding(
        parse_uuid(agreement_id, "agreement"), decision_id=body.decision_id, signed_on=body.signed_on,
        total=body.total, instalments=[item.model_dump() for item in body.instalments],
        idempotency=claim(principal, key, request, body.model_dump(mode="json")))


class OwnContributionIn(Strict):
    amount: Money = Field(description="Money the coordinator puts in as its own share; in all at most what it "
                                      "has committed (its cost share and its amendment shares).")
    booked_on: BusinessDate
    description: Annotated[str, StringConstraints(min_length=1, max_length=500)]


class OwnContributionOut(BaseModel):
    party_id: str
    amount: str
    booked_on: str
    contributed: str = Field(description="All the coordinator has contributed, this one included.")


@router.post("/own-contributions", status_code=status.HTTP_201_CREATED, response_model=OwnContributionOut)
def book_own_contribution(agreement_id: str, body: OwnContributionIn, request: Request, ledger: LedgerDep,
                          principal: Finance, key: IdempotencyKey) -> dict[str, Any]:
    """Book the coordinator's own contribution to its share; it is never invoiced (R-ACC-4) (finance)."""
    return ledger.book_own_contribution(
        parse_uuid(agreement_id, "agreement"), amount=body.amount, booked_on=body.booked_on,
        description=body.description, idempotency=claim(principal, key, request, body.model_dump(mode="json")))


@router.get("/amendments", response_model=list[AmendmentOut])
def list_amendments(agreement_id: str, ledger: LedgerDep, principal: Readers) -> list[dict[str, Any]]:
    """The agreement's amendments in the order signed, with each party's additional share."""
    return ledger.list_amendments(parse_uuid(agreement_id, "agreement"))


@router.get("/parties/{party_id}/exit-settlement", response_model=SettlementOut)
def exit_settlement(agreement_id: str, party_id: str, ledger: LedgerDep, principal: Staff,
                    checkpoint: Annotated[date, Query(description="The date the party leaves.")],
                    accrued_costs: MoneyQuery, wind_down_costs: MoneyQuery) -> dict[str, Any]:
    """What a party leaving at a checkpoint owes: its shares of the costs and its later fees (R-FUND-6)."""
    return ledger.get_exit_settlement(parse_uuid(agreement_id, "agreement"), parse_uuid(party_id, "party"),
                                      checkpoint=checkpoint, accrued_costs=accrued_costs,
                                      wind_down_costs=wind_down_costs)
