"""Helpers for the contact-person tests: a person's data, and a search of every stored byte for it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient

from api.settings import Settings
from projections.journal.store import journal_path
from tests.api.helpers import auth
from tests.conftest import PG

PERSON = {"name": "Zelda Quarrington-Ylönen", "email": "zelda.quarrington@ylonen-testi.fi",
          "phone": "+358 40 765 4321", "title": "Lisenssiasiantuntija Xanthippe"}
# Distinctive pieces of each field, in ASCII so they are found whatever escaping a store uses.
TRACES = ("Zelda", "Quarrington", "zelda.quarrington", "ylonen-testi", "765 4321", "Xanthippe")


def add_contact(client: TestClient, token: str, agreement_id: str, party_id: str,
                body: dict[str, Any] | None = None, key: str | None = None) -> Any:
    headers = auth(token) | ({"Idempotency-Key": key} if key else {})
    return client.post(f"/v1/agreements/{agreement_id}/parties/{party_id}/contacts", json=body or PERSON,
                       headers=headers)


def contacts(client: TestClient, token: str, agreement_id: str, party_id: str, **params: Any) -> Any:
    return client.get(f"/v1/agreements/{agreement_id}/parties/{party_id}/contacts", params=params,
                      headers=auth(token))


def erase(client: TestClient, token: str, contact_id: str, key: str | None = None) -> Any:
    headers = auth(token) | ({"Idempotency-Key": key} if key else {})
    return client.post(f"/v1/contacts/{contact_id}/erasure", headers=headers)


def traces_in_tables(settings: Settings) -> set[tuple[str, str]]:
    """(table, trace) for every trace of PERSON found in any value of any table of the store."""
    found = set()
    for table, value in _values(settings):
        found |= {(table, trace) for trace in TRACES if trace.encode() in value}
    return found


def traces_in_files(paths: list[Path]) -> set[tuple[str, str]]:
    """(file, trace) for every trace of PERSON found in the raw bytes of these files, where they exist."""
    found = set()
    for path in paths:
        data = path.read_bytes() if path.exists() else b""
        found |= {(path.name, trace) for trace in TRACES if trace.encode() in data}
    return found


def sqlite_files(settings: Settings) -> list[Path]:
    """The SQLite files of the store: events (with its write-ahead log) and journal (with its log)."""
    events, journal = settings.sqlite_path, journal_path(str(settings.sqlite_path))
    return [events, Path(f"{events}-wal"), journal, Path(f"{journal}-wal")]


def _values(settings: Settings) -> Iterator[tuple[str, bytes]]:
    if settings.database == "postgres":
        schema = settings.postgres.schema_name
        with psycopg.connect(autocommit=True, **PG) as conn:
            tables = conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                                  (schema,)).fetchall()
            assert {"ledger_events", "ledger_contacts", "journal_lines"} <= {t for (t,) in tables}
            for (table,) in tables:
                for row in conn.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall():
                    yield table, _as_bytes(row)
        return
    for path in sqlite_files(settings)[::2]:
        conn = sqlite3.connect(path)
        try:
            for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                for row in conn.execute(f'SELECT * FROM "{table}"').fetchall():
                    yield table, _as_bytes(row)
        finally:
            conn.close()


def _as_bytes(row: tuple[Any, ...]) -> bytes:
    return b"\x00".join(bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in row)
