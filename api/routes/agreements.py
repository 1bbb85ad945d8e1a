"""Agreements: create, list, read."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response, status

from api.deps import Coordinator, IdempotencyKey, LedgerDep, Reader, claim
from api.routes.common import After, AsOf, Limit, as_of_or_today, check_visible, cursor, link_next
from api.schemas import AgreementIn, Created
from domain.kernel.calendar import today
from domain.access.tokens import Principal
from domain.records.confidentiality import party_may_see_totals
from domain.kernel.identifiers import parse_uuid

router = APIRouter(prefix="/v1/agreements", tags=["agreements"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Created)
def create_agreement(body: AgreementIn, request: Request, ledger: LedgerDep, principal: Coordinator,
                     key: IdempotencyKey) -> dict[str, Any]:
    """Sign a new cooperation agreement (coordinator)."""
    data = body.model_dump()
    return ledger.create_agreement(
        code=data["code"], title=data["title"], coordinator=data["coordinator"],
        starts_on=data["starts_on"], ends_on=data["ends_on"], cost_sharing=data["cost_sharing"],
        instalments=data["instalments"], terms=body.terms.model_dump(exclude_none=True) if body.terms else None,
        signed_on=data["signed_on"], invoicer=data["invoicer"], seller_bank=data["seller_bank"], vat=data["vat"],
        idempotency=claim(principal, key, request, _claimed(body)))


def _claimed(body: AgreementIn) -> dict[str, Any]:
    """The request as its idempotency record compares it; a body without ``signed_on`` hashes as it did
    before the field existed, so a retry across an upgrade still finds its first response."""
    claimed = body.model_dump(mode="json")
    for added in ("signed_on", "invoicer", "seller_bank", "vat"):
        if claimed[added] is None:
            del claimed[added]
    if claimed["coordinator"]["key"] is None:
        del claimed["coordinator"]["key"]
    return claimed


@router.get("")
def list_agreements(request: Request, response: Response, ledger: LedgerDep, principal: Reader,
                    limit: Limit = 50, after: After = None, as_of: AsOf = None) -> list[dict[str, Any]]:
    """Agreements in creation order; a party's token lists only its own (Link header: next page)."""
    member = principal.business_id if principal.role == "party" else None
    page = ledger.list_agreements(as_of=as_of_or_today(as_of), limit=limit, after=cursor(after),
                                  member=member)
    link_next(request, response, page, "id", limit)
    return [as_seen_by(principal, view) for view in page]


@router.get("/{agreement_id}")
def get_agreement(agreement_id: str, ledger: LedgerDep, principal: Reader,
                  as_of: AsOf = None) -> dict[str, Any]:
    """One agreement with its status as of a date, its term, terms and committed funding."""
    aid = parse_uuid(agreement_id, "agreement")
    check_visible(ledger, principal, aid)
    return as_seen_by(principal, ledger.get_agreement(aid, as_of=as_of_or_today(as_of)))


def as_seen_by(principal: Principal, view: dict[str, Any]) -> dict[str, Any]:
    """A party's token gets the funding totals as null where the total less its own share would be another
    party's (fewer than three parties, while the figures are confidential; R-CONF-1)."""
    until = date.fromisoformat(view["confidential_until"])
    if principal.role != "party" or party_may_see_totals(view["parties_count"], confidential_until_on=until,
                                                         today=today()):
        return view
    return {**view, "original_funding": None, "committed_funding": None, "ceiling": None, "released": None,
            "unreleased": None,
            "amendments": [{**amendment, "total": None} for amendment in view["amendments"]]}

