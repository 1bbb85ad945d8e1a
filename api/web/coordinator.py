"""The coordinator's forms: an accession, a notice, a breach notice, a steering decision (its tally shown
before saving) and spending. Each posts through the command the API route calls, checked by the same
request schema, with the form's idempotency key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ValidationError

from api.deps import claim
from api.routes.decisions import DecisionIn
from api.routes.membership import BreachNoticeIn, NoticeIn
from api.schemas import AccessionIn, SpendingIn
from api.web.forms import Submitted, new_key, optional, read_form, submit
from api.web.messages import translate
from api.web.pages import agreement_for
from api.web.render import User, WebRoute, WebUser, checked, field_errors, ledger_of, page
from domain.kernel.calendar import today
from domain.kernel.errors import DomainError, NotFound
from domain.kernel.identifiers import parse_uuid

router = APIRouter(prefix="/agreements/{agreement_id}/record", route_class=WebRoute, include_in_schema=False)
FORMS = ("accession", "notice", "breach_notice", "decision", "spending")
KINDS = ("other", "budget", "accession", "expulsion", "extension", "tranche_release", "unused_funds", "refund",
         "dissolution", "steering_group", "grant")


def _form_page(request: Request, user: WebUser, agreement_id: str, form: str, done: Submitted | None = None,
               tally: dict[str, Any] | None = None) -> HTMLResponse:
    if form not in FORMS:
        raise NotFound(f"no form {form}")
    ledger = ledger_of(request)
    aid, agreement = agreement_for(request, user, agreement_id)
    day = today()
    parties = ledger.list_parties(aid, limit=500, as_of=day)
    context: dict[str, Any] = {"agreement": agreement, "section": "record", "form": form, "forms": FORMS,
                               "parties": parties, "today": day.isoformat(), "done": done, "tally": tally,
                               "key": done.key if done and (not done.ok or tally) else new_key(),
                               "names": {str(p["party_id"]): p["name"] for p in parties}}
    if form == "decision":
        context["group"] = ledger.get_steering_group(aid, as_of=day)
        context["kinds"] = KINDS
    status = 422 if done is not None and not done.ok and tally is None else 200
    return page(request, f"record_{form}.html", user, status, **context)


@router.get("/{form}", response_class=HTMLResponse)
def show_form(request: Request, agreement_id: str, form: str, user: User) -> HTMLResponse:
    """An empty form with a fresh idempotency key (coordinator)."""
    user.need("coordinator")
    return _form_page(request, user, agreement_id, form)


async def _post(request: Request, user: WebUser, agreement_id: str, form_name: str, model: type[BaseModel],
                fields: Callable[[Any], dict[str, Any]], command: Callable[[UUID, Any, Any, Any], dict[str, Any]],
                message: Callable[[dict[str, Any]], str]) -> HTMLResponse:
    user.need("coordinator")
    aid = parse_uuid(agreement_id, "agreement")
    form = await read_form(request)
    done = await submit(request, user, form, model, fields(form),
                        lambda body, idempotency: command(aid, form, body, idempotency))
    if done.ok:
        done.message = message(done.result or {})
    return await run_in_threadpool(_form_page, request, user, agreement_id, form_name, done)


def _party(form: Any) -> UUID:
    return parse_uuid(str(form.get("party_id", "")), "party")


@router.post("/accession", response_class=HTMLResponse)
async def record_accession(request: Request, agreement_id: str, user: User) -> HTMLResponse:
    """Record a party's accession agreement, as `POST …/parties` does (coordinator)."""
    def fields(form: Any) -> dict[str, Any]:
        return {"name": str(form.get("name", "")).strip(), "business_id": str(form.get("business_id", "")).strip(),
                "signed_on": str(form.get("signed_on", "")), "category": optional(str(form.get("category", ""))),
                "metric": optional(str(form.get("metric", ""))), "key": optional(str(form.get("key", "")))}

    def command(aid: UUID, form: Any, body: AccessionIn, idempotency: Any) -> dict[str, Any]:
        claimed = claim(user.principal, idempotency.key, request, body.claimed())
        return ledger_of(request).accede(aid, name=body.name, business_id=body.business_id, signed_on=body.signed_on,
                                         category=body.category, metric=body.metric, key=body.key, contacts=[],
                                         idempotency=claimed, details_hash=idempotency.request_hash)

    return await _post(request, user, agreement_id, "accession", AccessionIn, fields, command,
                       lambda r: f"{translate('saved', user.lang)} {translate('annex', user.lang)} {r.get('annex')}")


@router.post("/notice", response_class=HTMLResponse)
async def record_notice(request: Request, agreement_id: str, user: User) -> HTMLResponse:
    """Record a party's notice on a ground of R-TERM-2 (coordinator)."""
    def command(aid: UUID, form: Any, body: NoticeIn, idempotency: Any) -> dict[str, Any]:
        return ledger_of(request).give_notice(aid, _party(form), given_on=body.given_on, ground=body.ground,
                                              idempotency=idempotency)

    return await _post(request, user, agreement_id, "notice", NoticeIn,
                       lambda f: {"given_on": str(f.get("given_on", "")), "ground": str(f.get("ground", ""))},
                       command, lambda r: f"{translate('saved', user.lang)} → {r.get('effective_on')}")


@router.post("/breach_notice", response_class=HTMLResponse)
async def record_breach_notice(request: Request, agreement_id: str, user: User) -> HTMLResponse:
    """Record a written notice of material breach; the cure period starts (R-TERM-4, coordinator)."""
    def command(aid: UUID, form: Any, body: BreachNoticeIn, idempotency: Any) -> dict[str, Any]:
        return ledger_of(request).give_breach_notice(aid, _party(form), given_on=body.given_on,
                                                     description=body.description, idempotency=idempotency)

    return await _post(request, user, agreement_id, "breach_notice", BreachNoticeIn,
                       lambda f: {"given_on": str(f.get("given_on", "")),
                                  "description": str(f.get("description", "")).strip()},
                       command, lambda r: f"{translate('saved', user.lang)} → {r.get('expulsion_possible_on')}")


@router.post("/spending", response_class=HTMLResponse)
async def record_spending(request: Request, agreement_id: str, user: User) -> HTMLResponse:
    """Book a cost, shared by the key or borne by one party (coordinator)."""
    def fields(form: Any) -> dict[str, Any]:
        return {"amount": str(form.get("amount", "")).strip().replace(",", "."),
                "booked_on": str(form.get("booked_on", "")), "category": str(form.get("category", "")).strip(),
                "description": str(form.get("description", "")).strip(),
                "borne_by": optional(str(form.get("borne_by", "")))}

    def command(aid: UUID, form: Any, body: SpendingIn, idempotency: Any) -> dict[str, Any]:
        borne_by = None if body.borne_by is None else parse_uuid(str(body.borne_by), "party")
        return ledger_of(request).record_spending(aid, amount=body.amount, booked_on=body.booked_on,
                                                  category=body.category, description=body.description,
                                                  borne_by=borne_by, idempotency=idempotency)

    return await _post(request, user, agreement_id, "spending", SpendingIn, fields, command,
                       lambda r: translate("saved", user.lang))


def decision_fields(form: Any, voters: list[str]) -> dict[str, Any]:
    """A decision's body from the form: the voters ticked present, each one's vote and who cast it."""
    subject: dict[str, Any] = {}
    for name in ("text", "new_ends_on", "party_id"):
        value = str(form.get(f"subject_{name}", "")).strip()
        if value:
            subject[name] = value
    votes = []
    for voter in voters:
        vote = str(form.get(f"vote_{voter}", ""))
        if vote in ("for", "against", "abstain"):
            key = "party_id" if len(voter) == 36 else "seat"
            votes.append({key: voter, "vote": vote, "cast_by": str(form.get(f"cast_by_{voter}", "member"))})
    return {"decided_on": str(form.get("decided_on", "")), "kind": str(form.get("kind", "")), "subject": subject,
            "present": [str(v) for v in form.getlist("present")][:500], "votes": votes,
            "experts_present": [str(v) for v in form.getlist("experts_present")][:20]}


@router.post("/decision", response_class=HTMLResponse)
async def record_decision(request: Request, agreement_id: str, user: User) -> HTMLResponse:
    """Count the votes (nothing saved) or record the decision, as `POST …/decisions` does (coordinator)."""
    user.need("coordinator")
    aid = parse_uuid(agreement_id, "agreement")
    form = await read_form(request)
    ledger = ledger_of(request)
    group = await run_in_threadpool(ledger.get_steering_group, aid, as_of=today())
    voters = [seat["code"] for seat in group["seats"]] if group["composed"] else \
        [str(p["party_id"]) for p in await run_in_threadpool(ledger.list_parties, aid, limit=500)]
    data = decision_fields(form, voters)

    def command(body: DecisionIn, idempotency: Any) -> dict[str, Any]:
        return ledger.record_decision(aid, decided_on=body.decided_on, kind=body.kind, subject=body.subject,
                                      present=body.present, votes=[vote.model_dump() for vote in body.votes],
                                      experts_present=body.experts_present, idempotency=idempotency)

    if form.get("action") == "preview":
        return await _preview(request, user, agreement_id, form, data)
    done = await submit(request, user, form, DecisionIn, data, command)
    if done.ok and done.result:
        outcome = translate("passed" if done.result["passed"] else "failed", user.lang)
        done.message = translate("recorded_decision", user.lang, n=done.result["number"], o=outcome)
    return await run_in_threadpool(_form_page, request, user, agreement_id, "decision", done)


async def _preview(request: Request, user: WebUser, agreement_id: str, form: Any, data: dict[str, Any]
                   ) -> HTMLResponse:
    """The tally the decision would have, from the ledger's own count; the same key is kept for saving."""
    done = Submitted(form, str(form.get("idempotency_key", "")) or new_key())
    tally = None
    try:
        body = checked(DecisionIn, data)
        assert isinstance(body, DecisionIn)
        tally = await run_in_threadpool(
            ledger_of(request).preview_decision, parse_uuid(agreement_id, "agreement"), decided_on=body.decided_on,
            kind=body.kind, subject=body.subject, present=body.present,
            votes=[vote.model_dump() for vote in body.votes], experts_present=body.experts_present)
    except (ValidationError, DomainError) as exc:
        done.errors, done.message = field_errors(exc)
    return await run_in_threadpool(_form_page, request, user, agreement_id, "decision", done, tally)
