"""Supplementary funding by amendment and the exit settlement of a leaving party (R-FUND-5, R-FUND-6).

Party tokens get 403: an amendment lists every party's additional share, and a settlement is one
party's figures that the coordinator, finance and auditors work out with it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request, status
from pydantic import AfterValidator, BaseModel, Field, StrictBool, StringConstraints

from api.problems import ApiProblem
from api.deps import Coordinator, Finance, IdempotencyKey, LedgerDep, Staff, claim, require
from api.schemas import MONEY_PATTERN, BusinessDate, InstalmentIn, Money, Strict, in_business_years
from domain.access.tokens import Principal
from domain.kernel.identifiers import parse_uuid

router = APIRouter(prefix="/v1/agreements/{agreement_id}", tags=["funding"])
Readers = Annotated[Principal, Depends(require("coordinator", "finance", "scheduler", "auditor"))]
MoneyQuery = Annotated[str, Query(pattern=MONEY_PATTERN, max_length=16, examples=["1340000.00"],
                                  description="A money string, at least 0.00.")]


class PartyAmountIn(Strict):
    party_id: UUID
    amount: Money


class AmendmentIn(Strict):
    dated_on: BusinessDate | None = Field(None, description=(
        "The amendment's date: every party live on it must sign it (R-FUND-5). `signed_on` is its old name."))
    signed_on: BusinessDate | None = Field(None, description="The old name of `dated_on`; give one of them.")
    decision_id: UUID | None = Field(None, description=(
        'Optional: a passed `budget` or `other` decision with subject `{"amendment": true}` (and, if it names '
        'one, the same `"total"`). A steering decision alone binds nobody: every party signs.'))
    total: Money | None = Field(None, description=(
        "The supplementary funding. Without `parties`, split over the parties live on `dated_on` by the "
        "agreement's key, as proposed amounts; with them, it must equal their sum."))
    parties: list[PartyAmountIn] | None = Field(None, max_length=500, description=(
        "Each party's amount, as the amendment states it (it need not follow the key); a live party not "
        "named has 0.00 and signs all the same."))
    ceiling: StrictBool = Field(False, description=(
        "The amounts are maxima (R-FUND-5: 2023, at most 11,823,621.00): no instalments; portions are "
        'invoiced once a `tranche_release` decision with subject `{"amendment": n, "total"}` releases them.'))
    instalments: list[InstalmentIn] = Field(default_factory=list, max_length=24, description=(
        "Dated from `dated_on` to the end of the term, shares summing to 1; numbered after the "
        "agreement's last instalment; invoiced only once the amendment binds. None for a ceiling."))


class SignatureIn(Strict):
    party_id: UUID
    signed_on: BusinessDate
    decision_reference: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        examples=["Vantaan kaupunginhallitus 19.12.2022 § 15"],
        description="The signing party's own decision (a city council's, say), as free text.")


class ReleaseIn(Strict):
    decision_id: UUID = Field(description='A passed `tranche_release` decision with subject `{"amendment": n, '
                                          '"total": "…", "per_party": true}`.')
    parties: list[PartyAmountIn] = Field(min_length=1, max_length=500, description=(
        "Each party's part of the portion, summing to the decision's total; none past its ceiling."))


class InstalmentOut(BaseModel):
    number: int
    issue_on: str
    share: str
    requires_release: bool
    released_on: str | None
    released_by: str | None


class AdditionalShare(BaseModel):
    party_id: str
    additional_share: str = Field(description="The party's amount (of a ceiling: its maximum).")
    signed: bool


class SignatureOut(BaseModel):
    party_id: str
    signed_on: str
    decision_reference: str


class PortionPart(BaseModel):
    party_id: str
    amount: str


class PortionOut(BaseModel):
    portion: int
    number: int = Field(description="The instalment number its invoices bill.")
    decision_id: str
    released_on: str
    issue_on: str
    total: str
    parties: list[PortionPart]


class AmendmentOut(BaseModel):
    amendment: int
    status: str = Field(description="`pending` until every party has signed, then `binding`.")
    dated_on: str
    decision_id: str | None
    signed_on: str | None = Field(description="The day it binds: its last signature's; null while pending.")
    total: str
    ceiling: bool
    released: str | None = Field(description="Of a ceiling: what portions released (and committed).")
    unreleased: str | None
    instalments: list[InstalmentOut]
    parties: list[AdditionalShare]
    signatories: list[str]
    signatures: list[SignatureOut]
    portions: list[PortionOut]


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
    """Propose an amendment stating each party's amount, or a total split by the key (coordinator). It is
    `pending`, commits and invoices nothing, until every party live on its date has signed (R-FUND-5)."""
    dated_on = body.dated_on or body.signed_on
    if dated_on is None or (body.dated_on is not None and body.signed_on is not None):
        raise ApiProblem(422, "invalid_date", "give the amendment's date as dated_on (or, as before, signed_on)")
    return ledger.amend_funding(
        parse_uuid(agreement_id, "agreement"), decision_id=body.decision_id, dated_on=dated_on, total=body.total,
        parties=None if body.parties is None else [(p.party_id, p.amount) for p in body.parties],
        ceiling=body.ceiling, instalments=[item.model_dump() for item in body.instalments],
        idempotency=claim(principal, key, request, body.model_dump(mode="json")))


@router.post("/amendments/{number}/signatures", status_code=status.HTTP_201_CREATED, response_model=AmendmentOut)
def sign_amendment(agreement_id: str, number: Annotated[int, Path(ge=1, le=50)], body: SignatureIn,
                   request: Request, ledger: LedgerDep, principal: Coordinator, key: IdempotencyKey
                   ) -> dict[str, Any]:
    """Record a party's signature citing its own decision (coordinator); the last makes it `binding`."""
    return ledger.sign_amendment(
        parse_uuid(agreement_id, "agreement"), number, party_id=body.party_id, signed_on=body.signed_on,
        decision_reference=body.decision_reference,
        idempotency=claim(principal, key, request, body.model_dump(mode="json")))


@router.post("/amendments/{number}/releases", status_code=status.HTTP_201_CREATED, response_model=AmendmentOut)
def release_portion(agreement_id: str, number: Annotated[int, Path(ge=1, le=50)], body: ReleaseIn,
                    request: Request, ledger: LedgerDep, principal: Coordinator, key: IdempotencyKey
                    ) -> dict[str, Any]:
    """Release a ceiling's portion per party on a passed per-party release decision (coordinator); a
    portion by total is released by its decision itself. Past the ceiling: 409 `ceiling_exceeded`."""
    return ledger.release_portion(
        parse_uuid(agreement_id, "agreement"), number, decision_id=body.decision_id,
        parties=[(p.party_id, p.amount) for p in body.parties],
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


class TransferIn(Strict):
    amount: Money
    transferred_on: BusinessDate
    description: Annotated[str, StringConstraints(min_length=1, max_length=500)] = Field(
        examples=["Edelläkävijäpalautus 2025"])


@router.post("/transfers", status_code=status.HTTP_201_CREATED)
def transfer_to_host(agreement_id: str, body: TransferIn, request: Request, ledger: LedgerDep,
                     principal: Finance, key: IdempotencyKey) -> dict[str, Any]:
    """Record what the invoicing operator paid the host of what it collected (seed 002) (finance)."""
    return ledger.transfer_to_host(
        parse_uuid(agreement_id, "agreement"), amount=body.amount, transferred_on=body.transferred_on,
        description=body.description, idempotency=claim(principal, key, request, body.model_dump(mode="json")))


@router.get("/amendments", response_model=list[AmendmentOut])
def list_amendments(agreement_id: str, ledger: LedgerDep, principal: Readers,
                    as_of: Annotated[date | None, AfterValidator(in_business_years),
                                     Query(description="As signed and released by this date.")] = None
                    ) -> list[dict[str, Any]]:
    """The agreement's amendments in order: status, each party's amount, signatures and portions."""
    return ledger.list_amendments(parse_uuid(agreement_id, "agreement"), as_of=as_of)


@router.get("/amendments/{number}", response_model=AmendmentOut)
def get_amendment(agreement_id: str, number: Annotated[int, Path(ge=1, le=50)], ledger: LedgerDep,
                  principal: Readers,
                  as_of: Annotated[date | None, AfterValidator(in_business_years),
                                     Query(description="As signed and released by this date.")] = None
                  ) -> dict[str, Any]:
    """One amendment: status, each party's amount, signatures and released portions."""
    return ledger.get_amendment(parse_uuid(agreement_id, "agreement"), number, as_of=as_of)


@router.get("/parties/{party_id}/exit-settlement", response_model=SettlementOut)
def exit_settlement(agreement_id: str, party_id: str, ledger: LedgerDep, principal: Staff,
                    checkpoint: Annotated[date, AfterValidator(in_business_years),
                                      Query(description="The date the party leaves.")],
                    accrued_costs: MoneyQuery, wind_down_costs: MoneyQuery) -> dict[str, Any]:
    """What a party leaving at a checkpoint owes: its shares of the costs and its later fees (R-FUND-6)."""
    return ledger.get_exit_settlement(parse_uuid(agreement_id, "agreement"), parse_uuid(party_id, "party"),
                                      checkpoint=checkpoint, accrued_costs=accrued_costs,
                                      wind_down_costs=wind_down_costs)
