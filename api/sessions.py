"""Web sessions: a random id in an HttpOnly cookie, and on the server the hash of the token it was opened with.

The browser never holds the token after signing in. Each request looks the token up by its hash, through
the same cache the bearer check uses, so a revoked token closes its sessions within
``LEDGER_TOKEN_CACHE_S``.

Sessions are kept in the events' database (``ledger_web_sessions``, beside the events: on PostgreSQL in
the same schema, on SQLite in the same file), so every process of the service (``LEDGER_WORKERS``, or
replicas behind a load balancer) knows every session, and a restart signs no one out. A session is not a
fact of the ledger, so it is a plain row, not an event: it is removed when it lapses or is closed. The
row holds the SHA-256 of the cookie's id, never the id itself, so a copy of the table opens no session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.postgres import PostgresFactory
from eventsourcing.sqlite import SQLiteFactory
from psycopg.rows import tuple_row
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from domain.application import Ledger
from projections.journal.sql import quote

COOKIE = "ledger_session"
TABLE = "ledger_web_sessions"
MAX_SESSIONS = 10_000
IDLE_S = 8 * 3600  # a working day without a request signs out
TOUCH_S = 60.0  # a session's idle time is restarted at most once a minute: one write a minute, not per request
MAX_SESSION_ID = 64

_CREATE = {
    "postgres": ("CREATE TABLE IF NOT EXISTS {table} (id_hash char(64) PRIMARY KEY, token_hash char(64) NOT NULL,"
                 " csrf varchar(64) NOT NULL, expires_at double precision NOT NULL)",
                 "CREATE INDEX IF NOT EXISTS {index} ON {table} (expires_at)"),
    "sqlite": ("CREATE TABLE IF NOT EXISTS {table} (id_hash TEXT PRIMARY KEY, token_hash TEXT NOT NULL,"
               " csrf TEXT NOT NULL, expires_at REAL NOT NULL) WITHOUT ROWID",
               "CREATE INDEX IF NOT EXISTS {index} ON {table} (expires_at)"),
}


@dataclass
class Session:
    """One signed-in browser: the token's hash, the form token (CSRF) and when it lapses (epoch seconds)."""

    token_hash: str
    csrf: str
    expires_at: float

    def csrf_ok(self, given: str | None) -> bool:
        """Whether a form carries this session's CSRF token (compared in constant time)."""
        return bool(given) and hmac.compare_digest(self.csrf.encode(), str(given).encode())


def _id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionTable:
    """The sessions' table in the ledger's own database, on PostgreSQL or SQLite."""

    def __init__(self, ledger: Ledger) -> None:
        factory = ledger.factory
        self.postgres = isinstance(factory, PostgresFactory)
        if not self.postgres and not isinstance(factory, SQLiteFactory):
            raise TypeError(f"no session table for {type(factory).__name__}")
        self.datastore: Any = factory.datastore  # type: ignore[attr-defined]
        p = "%s" if self.postgres else "?"
        table = f"{quote(self.datastore.schema)}.{TABLE}" if self.postgres else TABLE
        self.statements = {
            "insert": f"INSERT INTO {table} (id_hash, token_hash, csrf, expires_at) VALUES ({p}, {p}, {p}, {p})",
            "select": f"SELECT token_hash, csrf, expires_at FROM {table} WHERE id_hash = {p}",
            "touch": f"UPDATE {table} SET expires_at = {p} WHERE id_hash = {p}",
            "delete": f"DELETE FROM {table} WHERE id_hash = {p}",
            "lapse": f"DELETE FROM {table} WHERE expires_at <= {p}",
            "count": f"SELECT count(*) FROM {table}",
            "trim": f"DELETE FROM {table} WHERE id_hash IN (SELECT id_hash FROM {table}"
                    f" ORDER BY expires_at LIMIT {p})",
        }
        # CREATE_TABLE=false: a service role without DDL rights; the owner made the table.
        if factory.env_create_table():
            kind = "postgres" if self.postgres else "sqlite"
            self.run([(s.format(table=table, index=f"{TABLE}_expires"), ()) for s in _CREATE[kind]])

    def run(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[tuple[Any, ...]]]:
        """Statements in one transaction; the rows each returned (none for a write)."""
        found: list[list[tuple[Any, ...]]] = []
        if self.postgres:
            with self.datastore.get_connection() as conn, conn.transaction(), \
                    conn.cursor(row_factory=tuple_row) as cursor:
                for statement, params in statements:
                    cursor.execute(statement, params)
                    found.append(cursor.fetchall() if statement.startswith("SELECT") else [])
            return found
        writes = any(not statement.startswith("SELECT") for statement, _ in statements)
        with self.datastore.transaction(commit=writes) as cursor:  # a read takes no write lock on the file
            for statement, params in statements:
                cursor.execute(statement, params)
                found.append([tuple(row) for row in cursor.fetchall()] if statement.startswith("SELECT") else [])
        return found


class Sessions:
    """The open sessions, at most ``max_size``, each lapsing ``idle_s`` after its last request."""

    def __init__(self, table: SessionTable, idle_s: float = IDLE_S, max_size: int = MAX_SESSIONS,
                 clock: Callable[[], float] = time.time) -> None:
        self.table = table
        self.idle_s = idle_s
        self.max_size = max_size
        self.clock = clock
        self.s = table.statements

    def open(self, token_hash: str) -> tuple[str, Session]:
        """A new session for a checked token; returns its id (for the cookie) and the session.

        Lapsed sessions are removed first; if the table is still full, the half nearest to lapsing goes."""
        now = self.clock()
        session_id = secrets.token_urlsafe(32)
        session = Session(token_hash, secrets.token_urlsafe(32), now + self.idle_s)
        count = self.table.run([(self.s["lapse"], (now,)), (self.s["count"], ())])[1][0][0]
        trim = [(self.s["trim"], (max(1, self.max_size // 2),))] if count >= self.max_size else []
        self.table.run([*trim, (self.s["insert"], (_id_hash(session_id), token_hash, session.csrf,
                                                   session.expires_at))])
        return session_id, session

    def get(self, session_id: str | None) -> Session | None:
        """The live session of an id, its idle time restarted; None if unknown or lapsed."""
        if not session_id or len(session_id) > MAX_SESSION_ID:
            return None
        id_hash = _id_hash(session_id)
        rows = self.table.run([(self.s["select"], (id_hash,))])[0]
        if not rows:
            return None
        token_hash, csrf, expires_at = rows[0]
        now = self.clock()
        if expires_at <= now:
            self.table.run([(self.s["delete"], (id_hash,))])
            return None
        session = Session(token_hash.strip(), csrf, float(expires_at))
        if now + self.idle_s - session.expires_at >= TOUCH_S:
            session.expires_at = now + self.idle_s
            self.table.run([(self.s["touch"], (session.expires_at, id_hash))])
        return session

    def close(self, session_id: str | None) -> None:
        """Sign out: the session is removed, for every process of the service."""
        if session_id and len(session_id) <= MAX_SESSION_ID:
            self.table.run([(self.s["delete"], (_id_hash(session_id),))])


async def session_of(connection: HTTPConnection) -> Session | None:
    """The request's live session, if its cookie names one (looked up off the event loop)."""
    session_id = connection.cookies.get(COOKIE)
    if not session_id:
        return None
    sessions: Sessions = connection.app.state.sessions
    return await run_in_threadpool(sessions.get, session_id)
