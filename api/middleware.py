"""Pure ASGI middleware: a request id on every log line and response, and a request body limit."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import PROBLEM_JSON

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
log = structlog.get_logger("api")


class RequestContext:
    """Binds a request id, buffers the body up to a limit (413 beyond it) and logs each request."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, limits_by_path: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.limits_by_path = dict(limits_by_path or {})  # routes that take files: their own, larger limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = {"code": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", [])
                elapsed_ms = (time.perf_counter() - started) * 1000
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode()),
                                      (b"server-timing", f"app;dur={elapsed_ms:.2f}".encode())]
            await send(message)

        limit = self.limits_by_path.get(scope["path"], self.max_body_bytes)
        body = await self._read_body(receive, headers, limit)
        if body is None:
            await self._too_large(send_with_id, limit)
        else:
            await self.app(scope, _replay(body, receive), send_with_id)
        log.info("request", method=scope["method"], path=scope["path"], status=status["code"],
                 duration_ms=round((time.perf_counter() - started) * 1000, 2))

    async def _read_body(self, receive: Receive, headers: dict[str, str], limit: int) -> bytes | None:
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _too_large(self, send: Send, limit: int) -> None:
        body = json.dumps({"type": "/problems/payload_too_large", "title": "Payload too large",
                           "status": 413, "code": "payload_too_large",
                           "detail": f"request bodies are limited to {limit} bytes"})
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", PROBLEM_JSON.encode()),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body.encode()})


def _replay(body: bytes, receive: Receive) -> Receive:
    """The buffered body once, then the client's own messages: a streamed response (a static file, say)
    listens for ``http.disconnect`` while it sends, and must hear only a real one."""
    sent = {"done": False}

    async def replayed() -> Message:
        if sent["done"]:
            return await receive()
        sent["done"] = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed
