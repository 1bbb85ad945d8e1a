"""Histories for the replay and retention tests, and the live journal table reached with plain SQL."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from typing import Any
from uuid import UUID

import psycopg

from api.settings import Settings
from domain.application import Ledger
from projections.journal.store import journal_path
from tests.conftest import PG
from tests.projections.test_figures_rebuild import history

KELA = "0246246-0"


class Raw:
    """A direct connection to the event table, as a superuser with a console would have."""

    def __init__(self, settings: Settings) -> None:
        self.postgres = settings.database == "postgres"
        if self.postgres:
            schema = settings.postgres.schema_name
            self.conn: Any = psycopg.connect(autocommit=True, **PG)
            self.events, self.chain = f'"{schema}".ledger_events', f'"{schema}".ledger_audit_chain'
            self.checkpoints = f'"{schema}".ledger_audit_checkpoints'
            self.pos = "notification_id"
        else:
            self.conn = sqlite3.connect(settings.sqlite_path, isolation_level=None)
            self.events, self.chain, self.pos = "stored_events", "ledger_audit_chain", "rowid"
            self.checkpoints = "ledger_audit_checkpoints"

    def run(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement (written with ? placeholders) and return its rows."""
        if self.postgres:
            statement = statement.replace("?", "%s")
        cursor = self.conn.execute(statement, params)
        return list(cursor.fetchall()) if cursor.description else []

    def bypass_guards(self) -> None:
        """What a superuser can do: switch the triggers off (PostgreSQL) or drop them (SQLite)."""
        if self.postgres:
            for table in (self.events, self.chain, self.checkpoints):
                self.run(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
            return
        for table in (self.events, self.chain, self.checkpoints):
            for kind in ("update", "delete"):
                self.run(f"DROP TRIGGER IF EXISTS {table}_no_{kind}")

    def state(self, position: int) -> bytes:
        return bytes(self.run(f"SELECT state FROM {self.events} WHERE {self.pos} = ?", (position,))[0][0])

    def edit(self, position: int) -> None:
        state = json.loads(self.state(position))
        state["tampered"] = True
        self.run(f"UPDATE {self.events} SET state = ? WHERE {self.pos} = ?",
                 (json.dumps(state).encode(), position))

    def move(self, old: int, new: int) -> None:
        self.run(f"UPDATE {self.events} SET {self.pos} = ? WHERE {self.pos} = ?", (new, old))

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of the chain and checkpoint tables, to show that something wrote nothing."""
        return {table: self.run(f"SELECT * FROM {table} ORDER BY position")
                for table in (self.chain, self.checkpoints)}

    def truncate_after(self, position: int) -> None:
        """Delete every event, chain row and checkpoint after a position (the guards bypassed)."""
        self.run(f"DELETE FROM {self.events} WHERE {self.pos} > ?", (position,))
        for table in (self.chain, self.checkpoints):
            self.run(f"DELETE FROM {table} WHERE position > ?", (position,))

    def close(self) -> None:
        self.conn.close()


def money_history(ledger: Ledger) -> dict[str, UUID]:
    """The demo agreements invoiced to 2026-02-01, with payments, credit notes, spending and a payment
    whose reference names no invoice (kept unmatched)."""
    ids = history(ledger)
    ledger.record_payment_by_reference(ids["LYHTY"], reference="12345", amount="99.00",
                                       paid_on=date(2026, 2, 10))
    return ids


def ended_agreement(ledger: Ledger, code: str, *, ends_on: date, retention_years: int = 10) -> UUID:
    """A three-party agreement that started five years before ``ends_on``, invoiced in its first year,
    paid in part, credited in part and spent from."""
    starts_on = date(ends_on.year - 4, 1, 1)
    agreement_id = UUID(ledger.create_agreement(
        code=code, title=f"Ended {code}", starts_on=starts_on, ends_on=ends_on,
        coordinator={"name": "Valtori", "business_id": "2574261-7"},
        cost_sharing={"model": "fixed_by_category",
                      "categories": {"a": "600.00", "b": "300.00", "c": "100.00"}},
        instalments=[{"issue_on": date(starts_on.year, 3, 1), "share": "1"}],
        terms={"retention_years": retention_years})["id"])
    ledger.accede(agreement_id, name="Pohjois-Pohjanmaan hyvinvointialue", business_id="3221326-2",
                  signed_on=starts_on, category="a")
    ledger.accede(agreement_id, name="Kansaneläkelaitos", business_id=KELA, signed_on=starts_on, category="b")
    ledger.accede(agreement_id, name="Helsingin kaupunki", business_id="0201256-6", signed_on=starts_on,
                  category="c")
    ledger.run_invoicing(agreement_id, as_of=date(starts_on.year, 3, 1))
    bills = ledger.list_invoices(agreement_id, as_of=date(starts_on.year, 3, 1), limit=10)
    ledger.record_payment(UUID(bills[0]["id"]), amount=bills[0]["amount"],
                          paid_on=date(starts_on.year, 3, 15))
    ledger.record_payment(UUID(bills[1]["id"]), amount="100.00", paid_on=date(starts_on.year, 3, 20))
    ledger.issue_credit_note(UUID(bills[2]["id"]), amount="10.00", issued_on=date(starts_on.year, 4, 1),
                             reason="discount")
    ledger.record_spending(agreement_id, amount="250.00", booked_on=date(starts_on.year, 6, 30),
                           category="licences", description="Licences")
    return agreement_id


class Console:
    """The store's tables reached with plain SQL, as a database administrator (a superuser) reaches them:
    the live journal's file, or with ``events=True`` the events' file (the same database on PostgreSQL)."""

    def __init__(self, settings: Settings, *, events: bool = False) -> None:
        self.postgres = settings.database == "postgres"
        if self.postgres:
            self.conn: Any = psycopg.connect(autocommit=True, **PG)
            self.prefix = f'"{settings.postgres.schema_name}".'
        else:
            path = settings.sqlite_path if events else journal_path(str(settings.sqlite_path))
            self.conn = sqlite3.connect(path, isolation_level=None)
            self.prefix = ""

    def run(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement written with ? placeholders and {lines} for the journal table (``{table}`` is
        another table of the schema); return its rows."""
        statement = statement.replace("{lines}", self.prefix + "journal_lines")
        if self.postgres:
            statement = statement.replace("?", "%s")
        else:
            params = tuple(str(p) if isinstance(p, UUID) else p for p in params)
        cursor = self.conn.execute(statement, params)
        return list(cursor.fetchall()) if cursor.description else []

    def one_line(self, agreement_id: UUID, account: str, party_id: UUID) -> tuple[int, int]:
        """The position and line number of the first line of an account and party in an agreement."""
        rows = self.run("SELECT position, line_no FROM {lines} WHERE agreement_id = ? AND account = ?"
                        " AND party_id = ? ORDER BY business_date, position, line_no LIMIT 1",
                        (agreement_id, account, party_id))
        assert rows, f"no {account} line of {party_id}"
        return int(rows[0][0]), int(rows[0][1])

    def table(self, name: str) -> str:
        """A table of the store, qualified by its schema on PostgreSQL."""
        return self.prefix + name

    def bypass_guards(self, table: str) -> None:
        """What a superuser can do: switch the append-only triggers off (PostgreSQL) or drop them (SQLite)."""
        if self.postgres:
            self.run(f"ALTER TABLE {self.table(table)} DISABLE TRIGGER ALL")
            return
        for kind in ("update", "delete"):
            self.run(f"DROP TRIGGER IF EXISTS {table}_no_{kind}")

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()
