"""Domain errors and HTTP errors as RFC 9457 problem responses with a stable code."""

from __future__ import annotations

from typing import Any

import psycopg
import structlog
from eventsourcing.persistence import InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.schemas import STABLE_ERROR_CODES
from domain.kernel.errors import Conflict, DomainError, Gone, InvalidInput, NotFound, VersionConflict, Withheld

PROBLEM_JSON = "application/problem+json"
MAX_ERRORS = 20
_TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
           405: "Method not allowed", 409: "Conflict", 410: "Gone", 413: "Payload too large",
           415: "Unsupported media type", 422: "Unprocessable content", 500: "Internal error",
           503: "Service unavailable"}
_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 410: "gone", 413: "payload_too_large",
          415: "unsupported_media_type", 422: "validation_error", 500: "internal_error",
          503: "unavailable"}

log = structlog.get_logger("api")
# A database that did not answer (a terminated or dropped connection, a full pool, a locked file): the
# request may be repeated, so it is a 503 with Retry-After, never a 500.
UNAVAILABLE = (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)
RETRY_AFTER_S = 1
MAX_CAUSES = 8  # how far down a chain of causes to look for one


class ApiProblem(Exception):
    """An HTTP-level refusal (authentication, authorisation, limits) with a stable code."""

    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers


def problem(status: int, code: str, detail: str, headers: dict[str, str] | None = None,
            **extra: Any) -> JSONResponse:
    """A problem+json response."""
    body = {"type": f"/problems/{code}", "title": _TITLES.get(status, "Error"), "status": status,
            "detail": detail, "code": code, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def database_unavailable(exc: BaseException) -> bool:
    """Whether an error, or one of its causes, is the database not answering."""
    cause: BaseException | None = exc
    for _ in range(MAX_CAUSES):
        if cause is None:
            return False
        if isinstance(cause, UNAVAILABLE):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def unavailable(exc: BaseException) -> JSONResponse:
    """The 503 problem for a database that did not answer."""
    log.warning("database_unavailable", error_type=type(exc).__name__, error=str(exc)[:200])
    return problem(503, "database_unavailable", "the database did not answer; repeat the request "
                   "(a write with the same Idempotency-Key is applied at most once)",
                   {"Retry-After": str(RETRY_AFTER_S)})


def status_of(error: DomainError) -> int:
    """The HTTP status of a domain error."""
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, Withheld):
        return 403
    if isinstance(error, Conflict):
        return 409
    if isinstance(error, Gone):
        return 410
    if isinstance(error, InvalidInput):
        return 422
    return 400


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem response."""

    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        # A write that lost its race on every internal attempt may simply be sent again (with its key).
        headers = {"Retry-After": str(RETRY_AFTER_S)} if isinstance(exc, VersionConflict) else None
        return problem(status_of(exc), exc.code, exc.detail, headers, **exc.extra)

    @app.exception_handler(ApiProblem)
    async def api_problem(_: Request, exc: ApiProblem) -> JSONResponse:
        return problem(exc.status, exc.code, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": [str(part) for part in err.get("loc", ())], "msg": err.get("msg", ""),
                   "type": err.get("type", "")} for err in exc.errors()[:MAX_ERRORS]]
        # A request refused only for dates or amounts out of range gets that stable code instead.
        kinds = {err["type"] for err in errors}
        code = kinds.pop() if len(kinds) == 1 and kinds <= STABLE_ERROR_CODES else "validation_error"
        detail = errors[0]["msg"] if code != "validation_error" else "the request does not match the schema"
        return problem(422, code, detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _CODES.get(exc.status_code, "error")
        return problem(exc.status_code, code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled_error", error_type=type(exc).__name__, exc_info=exc)
        return problem(500, "internal_error", "an unexpected error; nothing was changed by it")
