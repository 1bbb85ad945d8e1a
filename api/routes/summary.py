"""The published summary across parties, which party tokens may read too (R-CONF-1, R-REP-1)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import BillReader, LedgerDep
from api.routes.common import check_visible
from api.routes.figures import Journal
from api.settings import today
from domain.confidentiality import check_summary_for_party
from domain.identifiers import parse_uuid
from projections import figures
from projections.queries import sums

router = APIRouter(prefix="/v1/agreements/{agreement_id}", tags=["figures"])


class SummaryOut(BaseModel):
    agreement_id: str
    year: int
    from_: str = Field(alias="from")
    to: str
    parties: int = Field(description="Parties that had acceded by the end of the year.")
    invoiced: str
    credited: str
    received: str
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
    first, last = date(year, 1, 1), date(year, 12, 31)
    parties = [p for p in ledger.list_parties(aid, limit=500, as_of=last) if p["joined_on"] <= last.isoformat()]
    before, after = sums(runner.store, aid, as_of=first - timedelta(days=1)), sums(runner.store, aid, as_of=last)
    until = ledger.confidential_until(aid)
    if principal.role == "party":
        check_summary_for_party(len(parties), figures.summary_contributions(before, after),
                                confidential_until_on=until, today=today())
    return {"agreement_id": str(aid), "year": year, "confidential_until": until.isoformat(),
            **figures.summary(before, after, first=first, last=last, parties=len(parties))}
