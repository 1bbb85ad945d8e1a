"""The audit chain's tables and the append-only guards, in the events' own database.

The chain (``ledger_audit_chain``: position, hash) and the signed checkpoints
(``ledger_audit_checkpoints``) sit beside the events, on PostgreSQL in the same schema and on SQLite
in the same file, so the evidence travels with what it covers. Triggers refuse UPDATE and DELETE
(and TRUNCATE on PostgreSQL) on the event, snapshot, chain and checkpoint tables. On PostgreSQL rows
are added only through the sealing functions (projections.audit.sealing), which a service role without
INSERT rights on these tables may execute; on SQLite whoever can write the file can write any table,
so the same checks are made here, in the transaction that adds the rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError
from eventsourcing.postgres import PostgresDatastore, PostgresFactory
from eventsourcing.sqlite import SQLiteDatastore, SQLiteFactory
from psycopg.rows import tuple_row

from domain.records.audit import GENESIS
from projections.audit import sealing
from projections.audit.signing import stamp
from projections.journal.sql import quote
from projections.journal.store import write_immediately

CHAIN_TABLE = "ledger_audit_chain"
CHECKPOINT_TABLE = "ledger_audit_checkpoints"
MAX_ROWS = 5_000
GUARD_MESSAGE = "the audit log is append-only"
_LOCK_KEY = 0x1ED6E5  # advisory lock so two processes starting at once do not race on the DDL

_PG_CREATE = (
    "CREATE TABLE IF NOT EXISTS {chain} (position bigint PRIMARY KEY, hash char(64) NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {checkpoints} (position bigint PRIMARY KEY, hash char(64) NOT NULL,"
    " signature text NOT NULL, public_key text NOT NULL, signed_at timestamptz NOT NULL DEFAULT now())",
)
_SQLITE_CREATE = (
    "CREATE TABLE IF NOT EXISTS {chain} (position INTEGER PRIMARY KEY, hash TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {checkpoints} (position INTEGER PRIMARY KEY, hash TEXT NOT NULL,"
    " signature TEXT NOT NULL, public_key TEXT NOT NULL,"
    " signed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))",
)
_PG_GUARD_FUNCTION = """CREATE OR REPLACE FUNCTION {schema}.ledger_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{message}: % on %.% is refused', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$"""
# CREATE OR REPLACE TRIGGER needs PostgreSQL 14 or later.
_PG_GUARD_TRIGGERS = (
    "CREATE OR REPLACE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON {table}"
    " FOR EACH ROW EXECUTE FUNCTION {schema}.ledger_refuse_change()",
    "CREATE OR REPLACE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON {table}"
    " FOR EACH STATEMENT EXECUTE FUNCTION {schema}.ledger_refuse_change()",
)
_SQLITE_GUARD_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS {name}_no_update BEFORE UPDATE ON {table}"
    " BEGIN SELECT RAISE(ABORT, '{message}'); END",
    "CREATE TRIGGER IF NOT EXISTS {name}_no_delete BEFORE DELETE ON {table}"
    " BEGIN SELECT RAISE(ABORT, '{message}'); END",
)


class ChainMoved(Exception):
    """The chain's head is not the one a batch was computed after: another process extended it."""


class AuditStore:
    """The chain and checkpoint tables of one application, on PostgreSQL or SQLite."""

    def __init__(self, app: Application[Any]) -> None:
        factory = app.factory
        self.postgres = isinstance(factory, PostgresFactory)
        if not self.postgres and not isinstance(factory, SQLiteFactory):
            raise TypeError(f"no audit store for {type(factory).__name__}")
        self.datastore: PostgresDatastore | SQLiteDatastore = factory.datastore  # type: ignore[attr-defined]
        self.p = "%s" if self.postgres else "?"
        self.schema = quote(self.datastore.schema) if self.postgres else ""  # type: ignore[union-attr]
        prefix = self.schema + "." if self.postgres else ""
        self.chain_table, self.checkpoint_table = prefix + CHAIN_TABLE, prefix + CHECKPOINT_TABLE
        event_tables = [app.recorder.events_table_name]  # type: ignore[attr-defined]
        if app.snapshots is not None:
            event_tables.append(app.snapshots.recorder.events_table_name)  # type: ignore[attr-defined]
        self.event_tables = [prefix + (quote(t) if self.postgres else t) for t in event_tables]
        create = [s.format(chain=self.chain_table, checkpoints=self.checkpoint_table)
                  for s in (_PG_CREATE if self.postgres else _SQLITE_CREATE)]
        # With CREATE_TABLE=false (a service role without DDL rights) the owner has made the tables.
        self.ddl = bool(factory.env_create_table())
        if self.ddl and self.postgres:
            functions = sealing.statements(self.schema, self.chain_table, self.checkpoint_table,
                                           self.event_tables[0])
            self.execute([f"SELECT pg_advisory_xact_lock({_LOCK_KEY})", *create, *functions])
        elif self.ddl:
            self.execute(create)

    # Guards ------------------------------------------------------------------------------------

    def install_guards(self) -> None:
        """Create (idempotently) the triggers that refuse changes to the stored history."""
        if not self.ddl:
            return  # the owner role installed them; a role without DDL rights cannot
        tables = [*self.event_tables, self.chain_table, self.checkpoint_table]
        if self.postgres:
            statements = [f"SELECT pg_advisory_xact_lock({_LOCK_KEY})",
                          _PG_GUARD_FUNCTION.format(schema=self.schema, message=GUARD_MESSAGE)]
            statements += [t.format(table=table, schema=self.schema)
                           for table in tables for t in _PG_GUARD_TRIGGERS]
        else:
            statements = [t.format(table=table, name=table, message=GUARD_MESSAGE)
                          for table in tables for t in _SQLITE_GUARD_TRIGGERS]
        self.execute(statements)

    # The chain ---------------------------------------------------------------------------------

    def head(self) -> tuple[int, str]:
        """The last chained position and its hash ((0, GENESIS) before any)."""
        rows = self.fetch(f"SELECT position, hash FROM {self.chain_table} ORDER BY position DESC LIMIT 1", ())
        return (int(rows[0][0]), str(rows[0][1])) if rows else (0, GENESIS)

    def append(self, rows: Sequence[tuple[int, str]], after: int) -> None:
        """Store a batch of (position, hash) in one transaction, if the head is still at ``after``."""
        assert 0 < len(rows) <= MAX_ROWS, f"a batch holds 1 to {MAX_ROWS} rows"
        if self.postgres:
            seal = f"SELECT {self.schema}.{sealing.SEAL_FUNCTION}(%s, %s::bigint[], %s::text[])"
            self._write(lambda cursor: cursor.execute(seal, (after, [p for p, _ in rows], [h for _, h in rows])))
            return
        head_sql = f"SELECT MAX(position) FROM {self.chain_table}"
        insert = f"INSERT INTO {self.chain_table} (position, hash) VALUES (?, ?)"
        events = (f"SELECT rowid FROM {self.event_tables[0]} WHERE rowid > ? AND rowid <= ? ORDER BY rowid")

        def work(cursor: Any) -> None:
            cursor.execute(head_sql)
            found = cursor.fetchone()[0] or 0
            if found != after:
                raise ChainMoved(f"the chain is at {found}, not {after}")
            cursor.execute(events, (after, rows[-1][0]))
            if [row[0] for row in cursor.fetchall()] != [position for position, _ in rows]:
                raise ValueError(f"the positions are not the stored events after {after}")
            cursor.executemany(insert, list(rows))

        self._write(work)

    def chain(self, after: int, limit: int) -> list[tuple[int, str]]:
        """Stored (position, hash) after a position, ascending, at most ``limit``."""
        assert 0 < limit <= MAX_ROWS
        return [(int(p), str(h)) for p, h in self.fetch(
            f"SELECT position, hash FROM {self.chain_table} WHERE position > {self.p}"
            f" ORDER BY position LIMIT {self.p}", (after, limit))]

    def iter_chain(self, batch: int = 1_000) -> Iterator[tuple[int, str]]:
        """Every stored (position, hash), ascending, read a batch at a time."""
        after = 0
        while rows := self.chain(after, batch):
            yield from rows
            after = rows[-1][0]

    def hash_before(self, position: int) -> str:
        """The stored hash of the last chained position before ``position`` (GENESIS if none)."""
        rows = self.fetch(f"SELECT hash FROM {self.chain_table} WHERE position < {self.p}"
                          " ORDER BY position DESC LIMIT 1", (position,))
        return str(rows[0][0]) if rows else GENESIS

    # Checkpoints -------------------------------------------------------------------------------

    def add_checkpoint(self, position: int, digest: str, signature: str, public_key: str,
                       signed_at: datetime) -> bool:
        """Store a signed head of the chain after the last checkpoint; False if one is at or after it."""
        if self.postgres:
            sign = f"SELECT {self.schema}.{sealing.SIGN_FUNCTION}(%s, %s, %s, %s, %s)"
            done: list[bool] = []

            def call(cursor: Any) -> None:
                cursor.execute(sign, (position, digest, signature, public_key, signed_at))
                done.append(bool(cursor.fetchone()[0]))

            self._write(call)
            return done[0]
        meets = f"SELECT 1 FROM {self.chain_table} WHERE position = ? AND hash = ?"
        later = f"SELECT 1 FROM {self.checkpoint_table} WHERE position >= ?"
        insert = (f"INSERT INTO {self.checkpoint_table} (position, hash, signature, public_key, signed_at)"
                  " VALUES (?, ?, ?, ?, ?)")
        added: list[bool] = []

        def work(cursor: Any) -> None:
            cursor.execute(meets, (position, digest))
            if not cursor.fetchall():
                raise ValueError(f"{digest} is not the chain's hash at position {position}")
            cursor.execute(later, (position,))
            added.append(not cursor.fetchall())
            if added[0]:
                cursor.execute(insert, (position, digest, signature, public_key, stamp(signed_at)))

        self._write(work)
        return added[0]

    def checkpoints(self, after: int = 0, limit: int = MAX_ROWS) -> list[tuple[int, str, str, str, str]]:
        """Stored checkpoints (position, hash, signature, public key, signed at) after a position,
        ascending, at most ``limit``; the time as signed (see projections.audit.signing.stamp)."""
        assert 0 < limit <= MAX_ROWS
        return [(int(p), str(h), str(s), str(k), t if isinstance(t, str) else stamp(t)) for p, h, s, k, t in
                self.fetch(f"SELECT position, hash, signature, public_key, signed_at FROM"
                           f" {self.checkpoint_table} WHERE position > {self.p} ORDER BY position LIMIT {self.p}",
                           (after, limit))]

    def iter_checkpoints(self) -> Iterator[tuple[int, str, str, str, str]]:
        """Every stored checkpoint, ascending, read a batch at a time."""
        after = 0
        while rows := self.checkpoints(after):
            yield from rows
            after = rows[-1][0]

    def last_checkpoint(self) -> tuple[int, float] | None:
        """The last checkpoint's position and its age in seconds by the database's clock, if any."""
        age = ("EXTRACT(EPOCH FROM now() - signed_at)" if self.postgres
               else "(julianday('now') - julianday(signed_at)) * 86400.0")
        rows = self.fetch(f"SELECT position, {age} FROM {self.checkpoint_table} ORDER BY position DESC LIMIT 1",
                          ())
        return (int(rows[0][0]), float(rows[0][1])) if rows else None

    # Plumbing ----------------------------------------------------------------------------------

    def fetch(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """The rows of one query."""
        if self.postgres:
            with self.datastore.get_connection() as conn, \
                    conn.cursor(row_factory=tuple_row) as cursor:  # type: ignore[call-arg]
                cursor.execute(statement, params)
                return cursor.fetchall()
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, params)
            return [tuple(row) for row in cursor.fetchall()]

    def execute(self, statements: Sequence[str]) -> None:
        """Run statements in one transaction."""
        def work(cursor: Any) -> None:
            for statement in statements:
                cursor.execute(statement)

        self._write(work)

    def _write(self, work: Any) -> None:
        if self.postgres:
            # The sealing functions take the chain's advisory lock (LOCK TABLE would need UPDATE rights the
            # service role must not have): a second writer waits, then sees the head moved.
            try:
                with self.datastore.get_connection() as conn, conn.transaction(), \
                        conn.cursor(row_factory=tuple_row) as cursor:  # type: ignore[call-arg]
                    work(cursor)
            except Exception as exc:
                # The library wraps the driver's errors: read the SQLSTATE of either.
                state = getattr(exc, "sqlstate", None) or getattr(exc.__cause__, "sqlstate", None)
                if type(exc).__name__ == "UniqueViolation" or state == "23505":
                    raise IntegrityError(str(exc)) from exc
                if state == "40001":
                    raise ChainMoved(str(exc)) from exc
                if state == "22023":  # refused by a sealing function
                    raise ValueError(str(exc).splitlines()[0]) from exc
                raise
            return
        # BEGIN IMMEDIATE takes SQLite's write lock before the head is read, like the journal does.
        write_immediately(self.datastore, work)
