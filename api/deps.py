"""Typed dependencies: the application, the caller, role checks and idempotency keys."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Annotated, Any

from time import monotonic

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.problems import ApiProblem
from api.sessions import session_of
from domain.access.tokens import MAX_TOKEN_CHARS, Principal, hash_token
from domain.kernel.idempotency import Idempotency
from domain.application import Ledger
from domain.access.tokens import ROLES

_bearer = HTTPBearer(auto_error=False, description="A token from `ledger tokens create`.")
MAX_IDEMPOTENCY_KEY = 200
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,200}$"  # visible ASCII, as the OpenAPI schema says
_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


# Dependencies that do no I/O are coroutines: FastAPI runs them on the event loop, where a plain
# function would cost a hop to the thread pool and back on every request.

async def get_ledger(request: Request) -> Ledger:
    """The application built once per process by the lifespan."""
    return request.app.state.ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]


class TokenCache:
    """Principals of tokens checked in the last ``ttl_s`` seconds, keyed by the token's hash.

    A cached token needs no query, and the check stays on the event loop. Only valid tokens are
    kept, at most ``max_size``; a token revoked elsewhere (``ledger tokens revoke``) is refused here
    within ``ttl_s``. A ``ttl_s`` of 0 checks every request against the store.
    """

    def __init__(self, ttl_s: float, max_size: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_size = max_size
        self._entries: dict[str, tuple[Principal, float]] = {}

    def get(self, token_hash: str) -> Principal | None:
        found = self._entries.get(token_hash)
        if found is None:
            return None
        if found[1] <= monotonic():
            self._entries.pop(token_hash, None)
            return None
        return found[0]

    def put(self, token_hash: str, principal: Principal) -> None:
        if not self.ttl_s:
            return
        if len(self._entries) >= self.max_size:
            now = monotonic()
            self._entries = {key: entry for key, entry in self._entries.items() if entry[1] > now}
            if len(self._entries) >= self.max_size:
                self._entries.clear()
        self._entries[token_hash] = (principal, monotonic() + self.ttl_s)


async def authenticate(request: Request, ledger: LedgerDep,
                       credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
                       ) -> Principal:
    """The caller of a valid bearer token; 401 otherwise.

    Without a bearer token, a GET may be made by a signed-in browser (the web app's session cookie):
    links to an invoice's PDF or a report's CSV then open in the browser. Writes always need the token.
    """
    principal = None
    if credentials and 0 < len(credentials.credentials) <= MAX_TOKEN_CHARS:
        principal = await principal_of_hash(request, ledger, hash_token(credentials.credentials))
    elif credentials is None and request.method in ("GET", "HEAD"):
        session = await session_of(request)
        if session is not None:
            principal = await principal_of_hash(request, ledger, session.token_hash)
    if principal is None:
        raise ApiProblem(401, "unauthorized", "a valid bearer token is required",
                         {"WWW-Authenticate": "Bearer"})
    return principal


async def principal_of_hash(request: Request, ledger: Ledger, token_hash: str) -> Principal | None:
    """The caller of the token stored under a hash, through the cache of checked tokens."""
    cache: TokenCache = request.app.state.tokens
    principal = cache.get(token_hash)
    if principal is None:
        principal = await run_in_threadpool(ledger.principal_of_hash, token_hash)
        if principal is not None:
            cache.put(token_hash, principal)
    return principal


def require(*roles: str) -> Callable[..., Principal]:
    """A dependency that lets only the given roles through (403 for the others)."""

    async def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.role not in roles:
            raise ApiProblem(403, "forbidden", f"the {principal.role} role may not do this")
        return principal

    return check


Reader = Annotated[Principal, Depends(require(*ROLES))]
Coordinator = Annotated[Principal, Depends(require("coordinator"))]
Finance = Annotated[Principal, Depends(require("finance"))]
Runner = Annotated[Principal, Depends(require("scheduler", "finance"))]
Staff = Annotated[Principal, Depends(require("coordinator", "finance", "auditor"))]
BillReader = Annotated[Principal, Depends(require("coordinator", "finance", "auditor", "party"))]


async def idempotency_key(idempotency_key: Annotated[str | None, Header(
        description="Repeat a POST safely: the same key and body return the first response. "
                    "1 to 200 visible ASCII characters (0x21-0x7E); anything else is 422 "
                    "`invalid_idempotency_key`.")] = None
                    ) -> str | None:
    """The Idempotency-Key header, checked for length and characters."""
    if idempotency_key is not None and not _KEY.match(idempotency_key):
        raise ApiProblem(422, "invalid_idempotency_key",
                         "Idempotency-Key must be 1 to 200 visible ASCII characters")
    return idempotency_key


IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]


def claim(principal: Principal, key: str | None, request: Request, body: dict[str, Any]
          ) -> Idempotency | None:
    """The idempotency claim of a write: the caller's key and a hash of what it asks for."""
    if key is None:
        return None
    canonical = json.dumps({"method": request.method, "path": request.url.path, "body": body},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return Idempotency(scope=str(principal.token_id), key=key,
                       request_hash=hashlib.sha256(canonical.encode()).hexdigest())
