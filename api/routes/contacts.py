"""Contact persons of a party or of the coordinator: add, list, erase (R-REC-1, R-CONF-1).

Their personal data is kept in an erasable store, never in the events; see ``domain/records/contacts.py``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, Field

from api.deps import BillReader, Coordinator, IdempotencyKey, LedgerDep, claim
from api.routes.common import After, Limit, check_visible, cursor, link_next
from api.schemas import ContactIn
from domain.kernel.calendar import today
from domain.kernel.errors import NotFound
from domain.kernel.identifiers import parse_uuid
from domain.kernel.identifiers import party_id as party_id_of

router = APIRouter(tags=["contacts"])


class ContactCreated(BaseModel):
    contact_id: str


class ContactOut(BaseModel):
    contact_id: str
    party_id: str
    status: str = Field(description="`active`, or `erased` with the personal fields null.")
    name: str | None
    email: str | None
    phone: str | None
    title: str | None
    added_on: str
    erased_on: str | None


class ErasureOut(BaseModel):
    contact_id: str
    status: str
    erased_on: str
    erased_by: str = Field(description="The id of the token that asked for the erasure.")


@router.post("/v1/agreements/{agreement_id}/parties/{party_id}/contacts", status_code=status.HTTP_201_CREATED,
             response_model=ContactCreated)
def add_contact(agreement_id: str, party_id: str, body: ContactIn, request: Request, ledger: LedgerDep,
                principal: Coordinator, key: IdempotencyKey) -> dict[str, Any]:
    """Add a contact person to a party, or to the coordinator under its party id (coordinator).

    The name, e-mail, phone and title go to an erasable store; events carry only the opaque contact id.
    """
    whole = claim(principal, key, request, body.model_dump(mode="json"))
    return ledger.add_contact(
        parse_uuid(agreement_id, "agreement"), parse_uuid(party_id, "party"), details=body.details(),
        added_on=today(), idempotency=claim(principal, key, request, body.claimed()),
        details_hash=None if whole is None else whole.request_hash)


@router.get("/v1/agreements/{agreement_id}/parties/{party_id}/contacts", response_model=list[ContactOut])
def list_contacts(agreement_id: str, party_id: str, request: Request, response: Response, ledger: LedgerDep,
                  principal: BillReader, limit: Limit = 100, after: After = None) -> list[dict[str, Any]]:
    """A party's contact persons in the order added; erased ones with their personal fields null.

    Coordinator, finance and auditor read every party's; a party's token only its own (404 otherwise).
    """
    aid, pid = parse_uuid(agreement_id, "agreement"), parse_uuid(party_id, "party")
    check_visible(ledger, principal, aid)
    if principal.role == "party" and pid != party_id_of(aid, str(principal.business_id)):
        raise NotFound(f"no party {party_id}")
    page = ledger.list_contacts(aid, pid, limit=limit, after=cursor(after))
    link_next(request, response, page, "contact_id", limit)
    return page


@router.post("/v1/contacts/{contact_id}/erasure", response_model=ErasureOut)
def erase_contact(contact_id: str, request: Request, ledger: LedgerDep, principal: Coordinator,
                  key: IdempotencyKey) -> dict[str, Any]:
    """Erase a contact person's name, e-mail, phone and title everywhere they were kept (coordinator).

    What remains is the erasure record: the contact id, the date and the id of the token that asked.
    """
    return ledger.erase_contact(parse_uuid(contact_id, "contact"), erased_on=today(),
                                erased_by=principal.token_id,
                                idempotency=claim(principal, key, request, {}))
