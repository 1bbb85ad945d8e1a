"""Fixtures: every persistence test runs on SQLite and on PostgreSQL, each test in its own store.

PostgreSQL is at POSTGRES_HOST:POSTGRES_PORT (default 127.0.0.1:5432), database
LEDGER_TEST_POSTGRES_DBNAME (default ``test``), user LEDGER_TEST_POSTGRES_USER (default
``postgres``). Each test gets a schema of its own, named after this run, dropped afterwards. If
PostgreSQL cannot be reached the run stops with an error (in CI and elsewhere), unless
LEDGER_TESTS_WITHOUT_POSTGRES=1 is set outside CI, which skips those cases and says so.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.sql import SQL, Identifier
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import PostgresSettings, Settings
from domain.application import Ledger

RUN_ID = f"ledger_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
_schemas = itertools.count(1)
PG = {
    "host": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
    "port": int(os.environ.get("POSTGRES_PORT", "5432")),
    "dbname": os.environ.get("LEDGER_TEST_POSTGRES_DBNAME", "test"),
    "user": os.environ.get("LEDGER_TEST_POSTGRES_USER", "postgres"),
    "password": os.environ.get("LEDGER_TEST_POSTGRES_PASSWORD", ""),
}
_postgres_down: str | None = None


def _connect() -> psycopg.Connection:
    return psycopg.connect(connect_timeout=5, autocommit=True, **PG)


def pytest_sessionstart(session: pytest.Session) -> None:
    global _postgres_down
    try:
        with _connect() as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        reason = (f"PostgreSQL at {PG['host']}:{PG['port']} (database {PG['dbname']}, user "
                  f"{PG['user']}) cannot be reached: {exc}".strip())
        ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
        if ci or os.environ.get("LEDGER_TESTS_WITHOUT_POSTGRES") != "1":
            print(f"\nFAILED: {reason}\nStart it with: pg_ctlcluster --skip-systemctl-redirect "
                  "$(ls /etc/postgresql) main start")
            pytest.exit(reason, returncode=3)
        _postgres_down = reason


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _postgres_down is not None:
        return
    with _connect() as conn:
        rows = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
                            (RUN_ID + "%",)).fetchall()
        for (name,) in rows:
            conn.execute(SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(name)))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    counts: Counter[tuple[str, str]] = Counter()
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if getattr(report, "when", "call") != "call" and outcome == "passed":
                continue
            backend = "postgres" if "[postgres" in nodeid else "sqlite" if "[sqlite" in nodeid else None
            if backend:
                counts[(backend, outcome)] += 1
    terminalreporter.write_sep("-", "persistence cases per database")
    for backend in ("sqlite", "postgres"):
        line = ", ".join(f"{counts[(backend, o)]} {o}" for o in ("passed", "failed", "skipped", "error"))
        terminalreporter.write_line(f"{backend}: {line}")


def _postgres_settings(tmp_path: Path) -> Settings:
    schema = f"{RUN_ID}_{next(_schemas)}"
    with _connect() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return Settings(database="postgres", postgres=PostgresSettings(
        host=PG["host"], port=PG["port"], dbname=PG["dbname"], user=PG["user"],
        password=PG["password"], POSTGRES_SCHEMA=schema, pool_size=4, max_overflow=4), journal_follow=False,
        audit_interval_s=0, audit_key_path=tmp_path / "audit-signing.key")


# The API's background journal runner (and the audit chain's follower) is off in most tests (figures then catch up on read, which is
# quicker to set up and tear down); tests/api/test_read_your_writes.py runs it on both databases.
@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for a fresh, empty store on each database."""
    if request.param == "sqlite":
        return Settings(database="sqlite", sqlite_path=tmp_path / "ledger.sqlite", journal_follow=False,
                        audit_interval_s=0, audit_key_path=tmp_path / "audit-signing.key")
    if _postgres_down is not None:
        pytest.skip(_postgres_down)
    return _postgres_settings(tmp_path)


@pytest.fixture
def ledger(settings: Settings) -> Iterator[Ledger]:
    """The application on a fresh store."""
    app = Ledger(env=settings.persistence_env())
    yield app
    app.close()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The HTTP API on a fresh store."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def tokens(client: TestClient) -> dict[str, str]:
    """A token for each role; the party token is Kela's (0246246-0)."""
    from datetime import date

    ledger: Ledger = client.app.state.ledger
    made = {}
    for role in ("coordinator", "finance", "scheduler", "auditor"):
        made[role] = ledger.issue_token(role=role, business_id=None, label="test",
                                        issued_on=date(2025, 8, 1))[1]
    made["party"] = ledger.issue_token(role="party", business_id="0246246-0", label="test",
                                       issued_on=date(2025, 8, 1))[1]
    return made
