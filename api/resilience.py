"""Pure ASGI middleware: a database hiccup gives a read one more try, and otherwise a 503, never a 500.

PostgreSQL connections are checked before use (``POSTGRES_PRE_PING``), but one can still die between
the check and the query. A GET or HEAD changes nothing, so it is run once more on a fresh connection;
anything else is answered 503 ``database_unavailable`` with Retry-After, and the client repeats it
with its Idempotency-Key.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import database_unavailable, unavailable

IDEMPOTENT = frozenset({"GET", "HEAD"})
ATTEMPTS = 2  # a read is tried at most twice


class DatabaseHiccups:
    """Retries an idempotent request once when the database did not answer; otherwise 503."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        attempts = ATTEMPTS if scope["method"] in IDEMPOTENT else 1
        started = {"yes": False}

        async def tracking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                started["yes"] = True
            await send(message)

        for attempt in range(1, attempts + 1):
            try:
                await self.app(scope, receive if attempt == 1 else _empty_body(receive), tracking_send)
                return
            except Exception as exc:
                if started["yes"] or not database_unavailable(exc):
                    raise
                if attempt == attempts:
                    await unavailable(exc)(scope, receive, send)
                    return


def _empty_body(receive: Receive) -> Receive:
    # A read has no body; the first attempt consumed the request, so the second gets an empty one.
    sent = {"done": False}

    async def again() -> dict[str, Any]:
        if sent["done"]:
            return await receive()
        sent["done"] = True
        return {"type": "http.request", "body": b"", "more_body": False}

    return again
