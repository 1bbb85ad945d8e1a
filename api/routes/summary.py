"""The published summary across parties, which party tokens may read too (R-CONF-1, R-REP-1)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import BillReader, LedgerDep
from api.routes.common import check_visible
from api.routes.figures import Journal
from domain.kernel.calendar import today
from domain.records.confidentiality import check_summary_for_party
from domain.kernel.identifiers import parse_uuid
from projections.figures import answers

router = APIRouter(prefix="/v1/agreements/{agreement_id}", tags=["figures"])


class SummaryOut(BaseModel):
    agreement_id: str
    year: int
    from_: str = Field(alias="from")
    to: str
    parties: int = Field(description="Parties that had acceded by the end of the year.")
    invoiced: str
    credited: str
    received: str = Field(description="Money received from the parties in the year; an unmatched payment counts "
                                      "only once allocated to an invoice (then in the year it was paid).")
    unallocated: str = Field(description="The year's payments still unmatched: money in that is no party's yet.")
    spent: str
    refunded: str
    remaining: str = Field(description="received − spent − refunded, to the end of the year.")
    confidential_until: str = Field(description="Until this day a party's token gets the summary only when "
                                                "it cannot disclose another party's figure (R-CONF-1).")


@router.get("/reports/summary", response_model=SummaryOut, response_model_by_alias=True)
def summary(agreement_id: str, ledger: LedgerDep, runner: Journal, principal: BillReader,
            year: Annotated[int, Query(ge=2000, le=2100)]) -> dict[str, Any]:
    """A year's totals across the parties, with no party's own figure: invoiced, credited, received, spent,
    refunded and what remains. Parties may read it too, unless it would disclose another party's
    figure while the figures are confidential: 403 `summary_would_disclose` (R-CONF-1)."""
    aid = parse_uuid(agreement_id, "agreement")
    check_visible(ledger, principal, aid)
    result, contributions = answers.summary(ledger, runner.store, aid, year=year)
    if principal.role == "party":
        check_summary_for_party(result["parties"], contributions, today=today(),
                                confidential_until_on=date.fromisoformat(result["confidential_until"]))
    return result
