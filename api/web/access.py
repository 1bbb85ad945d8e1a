"""Signing in with a token and out again; the API's documentation from this service's own files."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.deps import principal_of_hash
from api.sessions import COOKIE, session_of
from api.web.render import WebRoute, page
from domain.access.tokens import MAX_TOKEN_CHARS, hash_token

router = APIRouter(route_class=WebRoute, include_in_schema=False)
SIGN_IN_CSRF = "ledger_signin"  # the sign-in form's own CSRF token, before any session exists
STATIC = "/static/vendor"
# ReDoc styles itself inline and runs its search in a worker made from a blob.
DOCS_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
               "worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'")


def _safe_next(target: str | None) -> str:
    """Only a path of this site, so the sign-in page never sends anyone elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target[:300]
    return "/agreements"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


@router.get("/")
async def home(request: Request) -> Response:
    """The agreements list, or the sign-in page first."""
    return RedirectResponse("/agreements" if await session_of(request) else "/sign-in", status_code=303)


@router.get("/sign-in")
async def sign_in_form(request: Request, next: str | None = None) -> Response:
    """The sign-in form; a fresh CSRF token is set in a cookie and repeated in the form."""
    token = secrets.token_urlsafe(32)
    response = page(request, "sign_in.html", None, form_csrf=token, next=_safe_next(next), failed=False)
    response.set_cookie(SIGN_IN_CSRF, token, max_age=3600, httponly=True, samesite="strict", secure=_secure(request))
    return response


@router.post("/sign-in")
async def sign_in(request: Request, token: Annotated[str, Form(max_length=MAX_TOKEN_CHARS)],
                  csrf: Annotated[str, Form(max_length=100)], next: Annotated[str, Form(max_length=300)] = "") -> Response:
    """Check the token against the hashed token store and open a session; the token itself is not kept."""
    expected = request.cookies.get(SIGN_IN_CSRF, "")
    token_hash = hash_token(token.strip())
    valid = bool(expected) and hmac.compare_digest(expected.encode(), csrf.encode())
    principal = await principal_of_hash(request, request.app.state.ledger, token_hash) if valid else None
    if principal is None:
        fresh = secrets.token_urlsafe(32)
        response = page(request, "sign_in.html", None, 401, form_csrf=fresh, next=_safe_next(next),
                        failed=True, csrf_failed=not valid)
        response.set_cookie(SIGN_IN_CSRF, fresh, max_age=3600, httponly=True, samesite="strict",
                            secure=_secure(request))
        return response
    session_id, _ = await run_in_threadpool(request.app.state.sessions.open, token_hash)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(COOKIE, session_id, httponly=True, samesite="strict", secure=_secure(request), path="/")
    response.delete_cookie(SIGN_IN_CSRF)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    """Close the session (the form carries its CSRF token, so no other site can sign anyone out)."""
    session = await session_of(request)
    if session is not None and session.csrf_ok(csrf):
        await run_in_threadpool(request.app.state.sessions.close, request.cookies.get(COOKIE))
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI from the files vendored in api/web/static (no CDN)."""
    return get_swagger_ui_html(openapi_url="/openapi.json", title="Cooperation ledger – API",
                               swagger_js_url=f"{STATIC}/swagger-ui/swagger-ui-bundle.js",
                               swagger_css_url=f"{STATIC}/swagger-ui/swagger-ui.css",
                               swagger_favicon_url=f"{STATIC}/swagger-ui/favicon-32x32.png",
                               swagger_ui_parameters={"validatorUrl": None})


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    """ReDoc from the file vendored in api/web/static, without web fonts from elsewhere. Its menu shows a
    logo from the vendor's CDN; the page's policy keeps the browser from asking for it (or anything else
    from another origin), and ReDoc then leaves the logo out."""
    response = get_redoc_html(openapi_url="/openapi.json", title="Cooperation ledger – API",
                              redoc_js_url=f"{STATIC}/redoc/redoc.standalone.js",
                              redoc_favicon_url=f"{STATIC}/swagger-ui/favicon-32x32.png", with_google_fonts=False)
    response.headers["Content-Security-Policy"] = DOCS_POLICY
    return response

