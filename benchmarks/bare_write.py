"""The least a Python HTTP service can do for a write: the yardstick beside the ledger's payments.

A bare ASGI application, served by the same uvicorn (uvloop, httptools, the same number of processes)
as the ledger: each ``POST`` reads its JSON body, inserts it as one row and commits (psycopg's
asynchronous pool, no framework, no validation, no log), and answers 201 with a small JSON body.
``benchmarks/writes.py`` drives it with the same clients as the ledger's payments, so the ratio of
the ledger to this floor says how much of the gap to raw INSERT+COMMIT is the ledger's own work and
how much any Python service on this machine would pay.

Configured by ``BARE_CONNINFO`` (a libpq connection string) and ``BARE_TABLE`` (a quoted, qualified
table name that ``writes.py`` creates).
"""

from __future__ import annotations

import json
import os
from typing import Any

from psycopg_pool import AsyncConnectionPool

_pool: AsyncConnectionPool | None = None
_TABLE = os.environ.get("BARE_TABLE", "bare_writes")
_ANSWER = b'{"status":"recorded"}'


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Insert each POST's JSON body as a row, one transaction each; answer 201."""
    global _pool
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                _pool = AsyncConnectionPool(os.environ["BARE_CONNINFO"], min_size=8, max_size=16, open=False)
                await _pool.open()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if _pool is not None:
                    await _pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    payload = json.loads(body or b"{}")
    assert _pool is not None
    async with _pool.connection() as conn:  # commits when the block ends
        await conn.execute(f"INSERT INTO {_TABLE} (body) VALUES (%s)", (json.dumps(payload),))
    await send({"type": "http.response.start", "status": 201,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(_ANSWER)).encode())]})
    await send({"type": "http.response.body", "body": _ANSWER})
