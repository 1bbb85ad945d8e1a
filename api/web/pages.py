"""The agreements, an agreement's overview (a party sees only its own row) and the audit page.

Each page calls the same Ledger queries, figure answers and audit chain the API's routes call, with the
same role and visibility checks, so a page never shows a figure the API would not give its user.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from api.routes.agreements import as_seen_by
from api.routes.common import check_visible, cursor
from api.routes.figures import journal
from api.web.render import User, WebRoute, WebUser, ledger_of, page
from domain.kernel.calendar import today
from domain.kernel.errors import NotFound
from domain.kernel.identifiers import parse_uuid
from projections.audit.chain import AuditChain
from projections.figures import answers

router = APIRouter(route_class=WebRoute, include_in_schema=False)
STAFF = ("coordinator", "finance", "auditor")
PAGE = 25  # agreements a page: each is one read of its aggregate
RECENT_EVENTS = 20


def agreement_for(request: Request, user: WebUser, agreement_id: str) -> tuple[UUID, dict[str, Any]]:
    """The agreement a page is about, as its user may see it (a party: only while it is a party, R-TERM-5)."""
    ledger = ledger_of(request)
    aid = parse_uuid(agreement_id, "agreement")
    check_visible(ledger, user.principal, aid)
    return aid, as_seen_by(user.principal, ledger.get_agreement(aid, as_of=today()))


def own_party_id(request: Request, user: WebUser, aid: UUID) -> str | None:
    """A party's own party id in the agreement; None for the staff."""
    if user.role != "party":
        return None
    rows = ledger_of(request).list_parties(aid, limit=1, business_id=user.principal.business_id)
    if not rows:
        raise NotFound(f"no agreement {aid}")
    return str(rows[0]["party_id"])


@router.get("/agreements", response_class=HTMLResponse)
def agreements(request: Request, user: User,
               after: Annotated[str | None, Query(max_length=36)] = None) -> HTMLResponse:
    """The agreements the user may see, a page at a time."""
    member = user.principal.business_id if user.role == "party" else None
    rows = ledger_of(request).list_agreements(as_of=today(), limit=PAGE, after=cursor(after), member=member)
    rows = [as_seen_by(user.principal, row) for row in rows]
    return page(request, "agreements.html", user, agreements=rows,
                next_after=rows[-1]["id"] if len(rows) == PAGE else None)


@router.get("/agreements/{agreement_id}", response_class=HTMLResponse)
def overview(request: Request, agreement_id: str, user: User) -> HTMLResponse:
    """Term, status, parties with shares, statuses and seats, the decision log; a party's own view."""
    ledger = ledger_of(request)
    aid, agreement = agreement_for(request, user, agreement_id)
    day = today()
    parties = ledger.list_parties(aid, limit=500, business_id=user.principal.business_id, as_of=day)
    context: dict[str, Any] = {"agreement": agreement, "parties": parties, "section": "overview"}
    if user.role in (*STAFF, "scheduler"):
        context["group"] = ledger.get_steering_group(aid, as_of=day)
        context["decisions"] = ledger.list_decisions(aid, limit=100)
    if user.role == "party":
        runner = journal(request)
        context["balance"] = answers.balances(ledger, runner.store, aid, as_of=day,
                                              business_id=user.principal.business_id)
        context["invoices"] = ledger.list_invoices(aid, as_of=day, limit=100,
                                                   party_id=UUID(own_party_id(request, user, aid)))
    return page(request, "agreement.html", user, **context)


def _audit_context(request: Request) -> dict[str, Any]:
    chain: AuditChain = request.app.state.audit
    chain.catch_up()
    position, digest = chain.store.head()
    checkpoints = chain.store.checkpoints()
    return {"position": position, "head_hash": digest, "checkpoint": checkpoints[-1] if checkpoints else None,
            "events": list(reversed(chain.events(max(position - RECENT_EVENTS, 0), RECENT_EVENTS)))}


@router.get("/audit", response_class=HTMLResponse)
async def audit(request: Request, user: User) -> HTMLResponse:
    """The chain's head, its last signed checkpoint and the latest events; auditors may verify it."""
    user.need(*STAFF)
    context = await run_in_threadpool(_audit_context, request)
    return page(request, "audit.html", user, verdict=None, **context)


@router.post("/audit/verify", response_class=HTMLResponse)
async def verify(request: Request, user: User, csrf: Annotated[str, Form(max_length=100)] = "") -> HTMLResponse:
    """Recompute the whole chain from the raw events, as `GET /v1/audit/verify` does (auditors)."""
    user.need("auditor")
    if not user.session.csrf_ok(csrf):
        return page(request, "error.html", user, 403, message_key="csrf")
    chain: AuditChain = request.app.state.audit
    verdict = (await run_in_threadpool(chain.verify)).as_dict()
    context = await run_in_threadpool(_audit_context, request)
    return page(request, "audit.html", user, verdict=verdict, **context)
