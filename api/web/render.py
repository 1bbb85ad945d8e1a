"""Rendering: the Jinja2 templates with the language's words and formats, the signed-in user, and the
route class that turns a refusal into a readable page instead of problem JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ValidationError

from api.deps import principal_of_hash
from api.problems import ApiProblem, status_of
from api.sessions import Session, session_of
from api.web import formats
from api.web.messages import known, translate
from domain.access.tokens import Principal
from domain.application import Ledger
from domain.kernel.errors import DomainError

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
# Every web page: scripts and styles from this origin only, nothing inline, no frames.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "Cache-Control": "no-store",
}


class SignInRequired(Exception):
    """No live session: the browser goes to the sign-in page."""


class NotAllowed(Exception):
    """The role may not open this page (403)."""

    def __init__(self, user: WebUser) -> None:
        super().__init__(user.role)
        self.user = user


@dataclass
class WebUser:
    """The signed-in caller of a page: the principal, the session (its CSRF token) and the language."""

    principal: Principal
    session: Session
    lang: str

    @property
    def role(self) -> str:
        return self.principal.role

    def need(self, *roles: str) -> None:
        """Refuse the page to the other roles."""
        if self.principal.role not in roles:
            raise NotAllowed(self)


async def web_user(request: Request) -> WebUser:
    """The signed-in caller; a request without a live session is sent to sign in."""
    session = await session_of(request)
    if session is None:
        raise SignInRequired()
    principal = await principal_of_hash(request, request.app.state.ledger, session.token_hash)
    if principal is None:  # revoked since signing in
        raise SignInRequired()
    return WebUser(principal, session, formats.language_of(request))


User = Annotated[WebUser, Depends(web_user)]


def ledger_of(request: Request) -> Ledger:
    return request.app.state.ledger


def page(request: Request, template: str, user: WebUser | None, status_code: int = 200,
         **context: Any) -> HTMLResponse:
    """A page in the caller's language, with the security headers; the language switch sets a cookie."""
    lang = user.lang if user else formats.language_of(request)
    response = templates.TemplateResponse(request, template, {
        "user": user, "lang": lang, "t": lambda key, **values: translate(key, lang, **values),
        "word": lambda prefix, key: translate(f"{prefix}_{key}", lang) if known(f"{prefix}_{key}") else key,
        "money": lambda value: formats.money(value, lang), "day": lambda value: formats.day(value, lang),
        "pct": lambda value: formats.percent(value, lang), "path": request.url.path,
        "csrf": user.session.csrf if user else None, **context}, status_code=status_code, headers=SECURITY_HEADERS)
    chosen = request.query_params.get("lang")
    if chosen in formats.LANGUAGES:
        response.set_cookie(formats.LANG_COOKIE, chosen, max_age=365 * 86400, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
    return response


def field_errors(exc: Exception) -> tuple[dict[str, str], str]:
    """What a refused form shows: a message per field at fault, and one for the form as a whole."""
    if isinstance(exc, ValidationError | RequestValidationError):
        fields: dict[str, str] = {}
        for error in exc.errors()[:20]:
            loc = [str(part) for part in error.get("loc", ()) if str(part) not in ("body", "query")]
            fields.setdefault(loc[0] if loc else "_form", str(error.get("msg", "")))
        return fields, ""
    if isinstance(exc, DomainError):
        field = FIELD_OF_CODE.get(exc.code)
        text = f"{exc.detail} ({exc.code})"
        return ({field: text}, "") if field else ({}, text)
    if isinstance(exc, ApiProblem):
        return {}, f"{exc.detail} ({exc.code})"
    raise exc


# The form field a domain error's code points at; any other code is shown above the form.
FIELD_OF_CODE = {
    "invalid_business_id": "business_id", "party_already_acceded": "business_id", "invalid_amount": "amount",
    "amount_out_of_range": "amount", "date_before_accession": "given_on", "notice_ground_not_met": "ground",
    "invalid_ground": "ground", "unknown_category": "category", "invalid_metric": "metric",
    "metric_required": "metric", "invalid_key": "key", "key_required": "key", "key_exceeds_whole": "key",
    "accession_outside_term": "signed_on", "invalid_vote": "votes", "duplicate_vote": "votes",
    "voter_not_present": "votes", "no_deputy": "votes", "not_a_voting_member": "present",
    "not_an_expert": "experts_present", "invalid_subject": "subject", "already_allocated": "invoice_id",
    "invalid_borne_by": "borne_by", "invalid_bank_file": "file", "invalid_text": "description", "party_not_active": "_form",
}


def checked(model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    """A form's fields checked by the API's own request schema, exactly as a JSON body would be."""
    return model.model_validate_json(json.dumps(data))


class WebRoute(APIRoute):
    """A page route: no session → the sign-in page; a refusal → an error page in the user's language."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                return RedirectResponse(f"/sign-in?next={quote(request.url.path)}", status_code=303)
            except NotAllowed as exc:
                return page(request, "error.html", exc.user, 403, message_key="not_allowed")
            except DomainError as exc:
                status = status_of(exc)
                key = "not_found" if status == 404 else "error"
                return page(request, "error.html", None, status, message_key=key, detail=exc.detail)
            except ApiProblem as exc:
                return page(request, "error.html", None, exc.status, message_key="error", detail=exc.detail)
            except RequestValidationError as exc:
                return page(request, "error.html", None, 422, message_key="error",
                            detail="; ".join(str(e.get("msg", "")) for e in exc.errors()[:5]))

        return guarded
