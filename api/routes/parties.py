"""Parties: accede, list, read."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response, status

from api.deps import Coordinator, IdempotencyKey, LedgerDep, Reader, claim
from api.routes.common import After, AsOf, Limit, as_of_or_today, check_visible, cursor, link_next
from api.schemas import Accession, AccessionIn, KeyUpdateIn, KeyUpdateOut
from domain.kernel.errors import InvalidInput, NotFound
from domain.kernel.identifiers import parse_uuid

router = APIRouter(prefix="/v1/agreements/{agreement_id}/parties", tags=["parties"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Accession)
def accede(agreement_id: str, body: AccessionIn, request: Request, ledger: LedgerDep,
           principal: Coordinator, key: IdempotencyKey) -> dict[str, Any]:
    """Record a party's accession agreement; it gets the next annex number (coordinator).

    Contact persons given with it are added to the new party in the same step; their personal data
    goes to the erasable store, as with the contacts route.
    """
    whole = claim(principal, key, request, body.model_dump(mode="json"))
    return ledger.accede(parse_uuid(agreement_id, "agreement"), name=body.name,
                         business_id=body.business_id, signed_on=body.signed_on,
                         category=body.category, metric=body.metric, key=body.key,
                         contacts=[contact.details() for contact in body.contacts or ()],
                         idempotency=claim(principal, key, request, body.claimed()),
                         details_hash=None if whole is None else whole.request_hash)


@router.get("")
def list_parties(agreement_id: str, request: Request, response: Response, ledger: LedgerDep,
                 principal: Reader, limit: Limit = 100, after: After = None, as_of: AsOf = None
                 ) -> list[dict[str, Any]]:
    """Parties in accession order with cost shares and status as of a date; a party's token sees itself."""
    aid = parse_uuid(agreement_id, "agreement")
    check_visible(ledger, principal, aid)
    page = ledger.list_parties(aid, limit=limit, after=cursor(after), business_id=principal.business_id,
                               as_of=as_of_or_today(as_of))
    link_next(request, response, page, "party_id", limit)
    return page


@router.get("/{party_id}")
def get_party(agreement_id: str, party_id: str, ledger: LedgerDep, principal: Reader,
              as_of: AsOf = None) -> dict[str, Any]:
    """One party with its status as of a date and its e-invoice details; a party's token may read only its
    own."""
    aid = parse_uuid(agreement_id, "agreement")
    check_visible(ledger, principal, aid)
    party = ledger.get_party(aid, parse_uuid(party_id, "party"), as_of=as_of_or_today(as_of))
    if principal.role == "party" and party["business_id"] != principal.business_id:
        raise NotFound(f"no party {party_id}")
    return {**party, "e_invoicing": ledger.party_e_invoicing(aid, UUID(party["party_id"]))}  # R-INV-6


@router.post("/{party_id}/metrics", status_code=status.HTTP_201_CREATED, response_model=KeyUpdateOut)
def update_key(agreement_id: str, party_id: str, body: KeyUpdateIn, request: Request, ledger: LedgerDep,
               principal: Coordinator, key: IdempotencyKey) -> dict[str, Any]:
    """Record a party's new metric or fixed key from `effective_on` on (coordinator, R-ACC-5): recharges
    of that period and later, and votes from that day, use it; earlier periods keep theirs."""
    if (body.metric is None) == (body.key is None):
        raise InvalidInput("give exactly one of metric and key", code="invalid_key")
    return ledger.update_party_key(parse_uuid(agreement_id, "agreement"), parse_uuid(party_id, "party"),
                                   value=body.key if body.metric is None else body.metric,
                                   effective_on=body.effective_on, decision_id=body.decision_id,
                                   idempotency=claim(principal, key, request, body.model_dump(mode="json")))
