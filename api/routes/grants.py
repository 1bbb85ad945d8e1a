"""Grants from funders that are not parties (R-FUND-7): accept, report eligible costs, record payments,
read them with their caps, and the own-financing split.

Party tokens get 403: the own-financing split names every party's part.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, Field, StringConstraints

from api.deps import Coordinator, Finance, IdempotencyKey, LedgerDep, Staff, claim
from api.routes.common import AsOf, as_of_or_today
from api.routes.figures import Journal
from api.schemas import BusinessDate, BusinessId, Money, Name, Strict
from domain.kernel.identifiers import parse_uuid
from projections.figures import answers

router = APIRouter(prefix="/v1/agreements/{agreement_id}/grants", tags=["grants"])
Rate = Annotated[str, StringConstraints(pattern=r"^\d{1,9}(/\d{1,9}|\.\d{1,9})?$", max_length=19),
                 Field(examples=["1/2"])]


class GrantIn(Strict):
    funder: Name = Field(examples=["Business Finland Oy"])
    business_id: BusinessId | None = Field(None, description="The funder's business id, if it has one.")
    decision_id: str = Field(max_length=36, description="A passed `grant` decision of this agreement (if its "
                                                        "subject names a `maximum`, this one); the grant is in "
                                                        "effect from its date.")
    maximum: Money = Field(description="The grant's fixed maximum.")
    rate: Rate | None = Field(None, description="At most this share of the eligible costs (`1/2`); none: the "
                                                "maximum alone caps the grant.")
    eligible_costs: Money = Field("0.00", description="The eligible costs known at acceptance.")
    own_financing: Money | None = Field(None, description="The parties' own-financing part, split by the key.")


class EligibleCostsIn(Strict):
    amount: Money = Field(description="The eligible costs so far; they may grow, never shrink.")
    reported_on: BusinessDate


class GrantPaymentIn(Strict):
    amount: Money
    received_on: BusinessDate


class GrantOut(BaseModel):
    grant_id: str
    funder: str
    business_id: str | None
    decision_id: str
    accepted_on: str = Field(description="The accepting decision's date: the grant is in effect from it.")
    maximum: str
    rate: str | None
    eligible_costs: str = Field(description="As last reported on or before the date.")
    cap: str = Field(description="The cap in force: min(maximum, rate × eligible costs), or the maximum.")
    own_financing: str | None


class GrantPaymentOut(GrantOut):
    amount: str
    received_on: str
    received: str = Field(description="All the funder has paid to this date, this payment included.")
    remaining: str = Field(description="cap − received.")


class GrantFigures(GrantOut):
    granted: str = Field(description="The maximum.")
    received: str
    remaining: str = Field(description="cap − received: still to receive.")


class GrantTotals(BaseModel):
    granted: str
    cap: str
    received: str
    remaining: str


class GrantsOut(BaseModel):
    as_of: str
    grants: list[GrantFigures]
    totals: GrantTotals


class OwnFinancingRow(BaseModel):
    party_id: str
    name: str
    weight: str = Field(description="The party's weight in the key.")
    key_share: str = Field(description="weight / total weight, exactly.")
    exact: str = Field(description="own_financing × key_share, to six decimals, before the split to cents.")
    share: str = Field(description="The party's part in cents (largest remainder, ties in accession order).")


class OwnFinancingOut(BaseModel):
    grant_id: str
    funder: str
    own_financing: str
    split_on: str
    method: str
    total_weight: str
    parties: list[OwnFinancingRow]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=GrantOut)
def accept_grant(agreement_id: str, body: GrantIn, request: Request, ledger: LedgerDep, principal: Coordinator,
                 key: IdempotencyKey) -> dict[str, Any]:
    """Record a grant accepted by the steering group, with its maximum and rate (coordinator, R-FUND-7)."""
    return ledger.accept_grant(
        parse_uuid(agreement_id, "agreement"), decision_id=parse_uuid(body.decision_id, "decision"),
        funder=body.funder, business_id=body.business_id, maximum=body.maximum, rate=body.rate,
        eligible_costs=body.eligible_costs, own_financing=body.own_financing,
        idempotency=claim(principal, key, request, body.model_dump(mode="json")))


@router.post("/{grant_id}/eligible-costs", status_code=status.HTTP_201_CREATED, response_model=GrantOut)
def report_eligible_costs(agreement_id: str, grant_id: str, body: EligibleCostsIn, request: Request,
                          ledger: LedgerDep, principal: Coordinator, key: IdempotencyKey) -> dict[str, Any]:
    """Report a grant's eligible costs so far; the cap in force follows them (coordinator)."""
    return ledger.report_eligible_costs(
        parse_uuid(agreement_id, "agreement"), parse_uuid(grant_id, "grant"), amount=body.amount,
        reported_on=body.reported_on, idempotency=claim(principal, key, request, body.model_dump(mode="json")))


@router.post("/{grant_id}/payments", status_code=status.HTTP_201_CREATED, response_model=GrantPaymentOut)
def receive_payment(agreement_id: str, grant_id: str, body: GrantPaymentIn, request: Request, ledger: LedgerDep,
                    principal: Finance, key: IdempotencyKey) -> dict[str, Any]:
    """Record money the funder paid (finance); past the cap in force: 409 `grant_cap_exceeded`."""
    return ledger.receive_grant_payment(
        parse_uuid(agreement_id, "agreement"), parse_uuid(grant_id, "grant"), amount=body.amount,
        received_on=body.received_on, idempotency=claim(principal, key, request, body.model_dump(mode="json")))


@router.get("", response_model=GrantsOut)
def list_grants(agreement_id: str, ledger: LedgerDep, runner: Journal, principal: Staff,
                as_of: AsOf = None) -> dict[str, Any]:
    """The grants in effect by the date: granted, cap in force, received, remaining; and the totals."""
    return answers.grants(ledger, runner.store, parse_uuid(agreement_id, "agreement"), as_of=as_of_or_today(as_of))


@router.get("/{grant_id}/own-financing", response_model=OwnFinancingOut)
def own_financing(agreement_id: str, grant_id: str, ledger: LedgerDep, principal: Staff) -> dict[str, Any]:
    """The grant's own-financing part split among the parties by the key, largest remainder (R-FUND-7)."""
    return ledger.get_own_financing(parse_uuid(agreement_id, "agreement"), parse_uuid(grant_id, "grant"))
