"""The checkpoint exit and the host's protection (R-FUND-6): the checkpoint an amendment names, a
forerunner's settlement worksheet and its confirmation, and the host's costs split and invoiced.

Party tokens get 403: a worksheet and the host's split name the parties' figures.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from pydantic import AfterValidator, BaseModel, Field

from api.deps import Coordinator, IdempotencyKey, LedgerDep, Staff, claim
from api.routes.funding import MoneyQuery
from api.schemas import BusinessDate, Money, Strict, in_business_years
from domain.kernel.identifiers import parse_uuid

router = APIRouter(prefix="/v1/agreements/{agreement_id}", tags=["exit"])
DateQuery = Annotated[date, AfterValidator(in_business_years), Query(examples=["2024-04-30"])]
COSTS = ("accrued_costs", "wind_down_costs", "maintenance_fees_per_year", "other_exit_costs")


class CheckpointIn(Strict):
    amendment: int = Field(ge=1, le=1000, description="The binding amendment that names the checkpoint.")
    checkpoint: BusinessDate = Field(description="The only day a forerunner may leave (seed 002: 2024-04-30).")
    fees_until: BusinessDate = Field(description="The end of the commitment to the shared services' maintenance "
                                                 "fees (seed 002: 2029-12-31).")


class ExitIn(Strict):
    exit_on: BusinessDate = Field(description="Must be the checkpoint; another date: 409 `not_the_checkpoint`.")
    confirmed_on: BusinessDate = Field(description="The day the coordinator confirms: the invoice's date.")
    accrued_costs: Money = Field(description="The project's costs accrued to the checkpoint, all parties'.")
    wind_down_costs: Money = Field(description="The project's wind-down costs, all parties'.")
    maintenance_fees_per_year: Money = Field(description="The shared services' maintenance fees a year, all "
                                                         "parties'.")
    other_exit_costs: Money = Field("0.00", description="Other costs this party's leaving causes, its own.")


class HostReimbursementIn(Strict):
    decision_id: str = Field(max_length=36, description='A passed `dissolution` decision, or one with subject '
                                                        '`"project_stopped": true`, stating `"host_at_fault": false`.')
    host_costs: Money
    issued_on: BusinessDate


class CheckpointOut(BaseModel):
    agreement_id: str
    amendment: int
    checkpoint: str
    fees_until: str


class WorksheetLine(BaseModel):
    line: str = Field(description="accrued_costs, wind_down_costs, maintenance_fees or other_exit_costs.")
    amount: str
    basis: dict[str, Any] = Field(description="What the line is worked from: the total, the key share, the "
                                              "months and yearly fees, the method.")


class WorksheetOut(BaseModel):
    agreement_id: str
    party_id: str
    name: str
    checkpoint: str
    amendment: int
    fees_until: str
    as_of: str
    lines: list[WorksheetLine]
    owed: str = Field(description="The sum of the lines.")
    paid: str = Field(description="What the party paid on its invoices by as_of.")
    open_invoices: str = Field(description="Still owed on its invoices: credited on confirmation, as the "
                                           "settlement replaces them.")
    balance: str = Field(description="owed − paid: above zero invoiced, below zero refunded.")
    settles_by: str = Field(description="invoice, refund or nothing.")


class CreditedInvoice(BaseModel):
    invoice_id: str
    amount: str


class ExitOut(WorksheetOut):
    confirmed_on: str
    invoice_id: str | None
    refund: str
    credited_invoices: list[CreditedInvoice]


class HostPart(BaseModel):
    party_id: str
    name: str
    accession_fee: str
    part: str
    host: bool = Field(description="The host bears its own part; it is never invoiced.")


class HostSplitOut(BaseModel):
    agreement_id: str
    on: str
    host_costs: str
    accession_fees: str
    host_part: str
    reimbursed_by_others: str
    parties: list[HostPart]
    method: str


class HostInvoicedOut(HostSplitOut):
    decision_id: str
    issued_on: str
    invoices: list[str]


@router.post("/exit-checkpoint", status_code=status.HTTP_201_CREATED, response_model=CheckpointOut)
def name_checkpoint(agreement_id: str, body: CheckpointIn, request: Request, ledger: LedgerDep,
                    principal: Coordinator, key: IdempotencyKey) -> dict[str, Any]:
    """Record the exit checkpoint a binding amendment names, once per agreement (coordinator)."""
    return ledger.name_exit_checkpoint(parse_uuid(agreement_id, "agreement"), amendment=body.amendment,
                                       checkpoint=body.checkpoint, fees_until=body.fees_until,
                                       idempotency=claim(principal, key, request, body.model_dump(mode="json")))


@router.get("/exit-checkpoint", response_model=CheckpointOut)
def get_checkpoint(agreement_id: str, ledger: LedgerDep, principal: Staff) -> dict[str, Any]:
    """The exit checkpoint named for the agreement (404 `no_exit_checkpoint` if none)."""
    return ledger.get_exit_checkpoint(parse_uuid(agreement_id, "agreement"))


@router.get("/parties/{party_id}/checkpoint-exit", response_model=WorksheetOut)
def worksheet(agreement_id: str, party_id: str, ledger: LedgerDep, principal: Staff, exit_on: DateQuery,
              as_of: DateQuery, accrued_costs: MoneyQuery, wind_down_costs: MoneyQuery,
              maintenance_fees_per_year: MoneyQuery, other_exit_costs: MoneyQuery = "0.00") -> dict[str, Any]:
    """A forerunner's exit worksheet at the checkpoint: each line with its basis, what it paid by ``as_of``
    and the balance (R-FUND-6); writes nothing."""
    return ledger.get_checkpoint_worksheet(
        parse_uuid(agreement_id, "agreement"), parse_uuid(party_id, "party"), exit_on=exit_on, as_of=as_of,
        accrued_costs=accrued_costs, wind_down_costs=wind_down_costs,
        maintenance_fees_per_year=maintenance_fees_per_year, other_exit_costs=other_exit_costs)


@router.post("/parties/{party_id}/checkpoint-exit", status_code=status.HTTP_201_CREATED, response_model=ExitOut)
def confirm_exit(agreement_id: str, party_id: str, body: ExitIn, request: Request, ledger: LedgerDep,
                 principal: Coordinator, key: IdempotencyKey) -> dict[str, Any]:
    """Confirm the exit (coordinator), once per party: open invoices credited, the balance invoiced or
    refunded, the party withdrawn at the checkpoint (R-FUND-6)."""
    return ledger.confirm_checkpoint_exit(
        parse_uuid(agreement_id, "agreement"), parse_uuid(party_id, "party"), exit_on=body.exit_on,
        confirmed_on=body.confirmed_on, idempotency=claim(principal, key, request, body.model_dump(mode="json")),
        **{name: getattr(body, name) for name in COSTS})


@router.get("/host-reimbursement", response_model=HostSplitOut)
def host_split(agreement_id: str, ledger: LedgerDep, principal: Staff, host_costs: MoneyQuery,
               on: DateQuery) -> dict[str, Any]:
    """The host's project costs split over the forerunners at ``on`` by accession fees; writes nothing."""
    return ledger.get_host_reimbursement(parse_uuid(agreement_id, "agreement"), host_costs=host_costs, on=on)


@router.post("/host-reimbursements", status_code=status.HTTP_201_CREATED, response_model=HostInvoicedOut)
def invoice_host_costs(agreement_id: str, body: HostReimbursementIn, request: Request, ledger: LedgerDep,
                       principal: Coordinator, key: IdempotencyKey) -> dict[str, Any]:
    """Invoice each other forerunner its part of the host's costs, once per decision (coordinator)."""
    return ledger.invoice_host_reimbursement(
        parse_uuid(agreement_id, "agreement"), decision_id=parse_uuid(body.decision_id, "decision"),
        host_costs=body.host_costs, issued_on=body.issued_on,
        idempotency=claim(principal, key, request, body.model_dump(mode="json")))
