"""Web sessions: a random id in an HttpOnly cookie, and on the server the hash of the token it was opened with.

The browser never holds the token after signing in. Each request looks the token up by its hash, through
the same cache the bearer check uses, so a revoked token closes its sessions within
``LEDGER_TOKEN_CACHE_S``. Sessions live in the process's memory: a restart signs everyone out, and a
service run as several processes needs sticky sessions (``ledger serve`` runs one).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from time import monotonic

from starlette.requests import HTTPConnection

COOKIE = "ledger_session"
MAX_SESSIONS = 10_000
IDLE_S = 8 * 3600  # a working day without a request signs out
MAX_SESSION_ID = 64


@dataclass
class Session:
    """One signed-in browser: the token's hash, the form token (CSRF) and when it lapses."""

    token_hash: str
    csrf: str
    expires_at: float

    def csrf_ok(self, given: str | None) -> bool:
        """Whether a form carries this session's CSRF token (compared in constant time)."""
        return bool(given) and hmac.compare_digest(self.csrf.encode(), str(given).encode())


class Sessions:
    """The open sessions, at most ``max_size``, each lapsing ``idle_s`` after its last request."""

    def __init__(self, idle_s: float = IDLE_S, max_size: int = MAX_SESSIONS) -> None:
        self.idle_s = idle_s
        self.max_size = max_size
        self._open: dict[str, Session] = {}

    def open(self, token_hash: str) -> tuple[str, Session]:
        """A new session for a checked token; returns its id (for the cookie) and the session."""
        if len(self._open) >= self.max_size:
            now = monotonic()
            self._open = {sid: s for sid, s in self._open.items() if s.expires_at > now}
            if len(self._open) >= self.max_size:  # still full: the oldest half goes
                for sid in list(self._open)[: self.max_size // 2]:
                    del self._open[sid]
        session_id = secrets.token_urlsafe(32)
        session = Session(token_hash, secrets.token_urlsafe(32), monotonic() + self.idle_s)
        self._open[session_id] = session
        return session_id, session

    def get(self, session_id: str | None) -> Session | None:
        """The live session of an id, its idle time restarted; None if unknown or lapsed."""
        if not session_id or len(session_id) > MAX_SESSION_ID:
            return None
        session = self._open.get(session_id)
        if session is None:
            return None
        now = monotonic()
        if session.expires_at <= now:
            del self._open[session_id]
            return None
        session.expires_at = now + self.idle_s
        return session

    def close(self, session_id: str | None) -> None:
        """Sign out: the id is forgotten."""
        if session_id:
            self._open.pop(session_id, None)


def session_of(connection: HTTPConnection) -> Session | None:
    """The request's live session, if its cookie names one."""
    sessions: Sessions = connection.app.state.sessions
    return sessions.get(connection.cookies.get(COOKIE))
