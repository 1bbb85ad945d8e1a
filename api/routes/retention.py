"""Retention (R-REC-1): purging an agreement's records once its retention has ended (coordinator)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from api.deps import Coordinator, IdempotencyKey, LedgerDep, claim
from api.schemas import BusinessDate, Strict
from domain.kernel.calendar import today
from domain.kernel.errors import InvalidInput
from domain.kernel.identifiers import parse_uuid

router = APIRouter(prefix="/v1/agreements/{agreement_id}", tags=["retention"])


class PurgeIn(Strict):
    purged_on: BusinessDate = Field(description="The purge's business date: after the retention end, and "
                                                "not later than today.")


class PurgeOut(BaseModel):
    agreement_id: str
    ended_on: str
    retention_ends_on: str = Field(description="The last day the records had to be kept: 31 December of the "
                                               "`retention_years`-th year after the year the agreement ended.")
    purged_on: str
    contacts_erased: int = Field(description="Contact persons whose personal data the purge erased.")


@router.post("/purge", response_model=PurgeOut)
def purge_records(agreement_id: str, body: PurgeIn, request: Request, ledger: LedgerDep,
                  principal: Coordinator, key: IdempotencyKey) -> dict[str, Any]:
    """Purge an agreement's journal after its retention end (R-REC-1; coordinator); its events stay.

    Records are kept to the end of the `retention_years`-th year after the (financial, calendar) year
    the agreement ended in (Accounting Act 2:10: ended 2026-10-01, kept to 2036-12-31). Refused with 409
    `retention_period_running` (naming `retention_ends_on`) on or before that day; after a purge its
    figures answer 410 `records_purged`,
    and its contact persons' personal data is erased in the same save (`contacts_erased`).
    """
    if body.purged_on > today():
        raise InvalidInput(f"a purge cannot be dated after today ({today()})", code="invalid_date")
    return ledger.purge_records(parse_uuid(agreement_id, "agreement"), purged_on=body.purged_on,
                                purged_by=principal.token_id, idempotency=claim(principal, key, request, body.model_dump(mode="json")))
