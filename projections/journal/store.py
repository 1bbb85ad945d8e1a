"""The journal's tables and tracking, on PostgreSQL beside the events and on SQLite in a sibling file.

Each batch of lines is written in one transaction together with the tracking position of the last
event in the batch, so a batch is either wholly applied and tracked or not at all. Tracking is the
eventsourcing library's tracking recorder (one row per followed application, which only moves
forward); before writing, the transaction checks that the position is still the one the batch was
read after, so two runners, or a rebuild racing a runner, can never apply an event twice.
"""

from __future__ import annotations

import json
import sqlite3
import weakref
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, OperationalError, Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresFactory, PostgresTrackingRecorder
from eventsourcing.sqlite import (
    SQLiteConnectionPool,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteFactory,
    SQLiteTrackingRecorder,
)
import psycopg.errors
from psycopg.rows import tuple_row
from psycopg_pool import ConnectionPool
from psycopg.sql import SQL

from projections.journal.balance_store import (
    FORMAT,
    BalanceIO,
    BalanceStatements,
    postgres_balance_statements,
    purge_statements,
    sqlite_balance_statements,
)
from projections.journal.balances import Move, surviving
from projections.journal.copy import COPY_SIGNATURE, COPY_TRAILER, encode_copy_entry
from projections.journal.entries import JournalEntry
from projections.journal.sql import PG_TRACKING_TABLE, Statements, postgres_statements, quote, sqlite_statements
from projections.records.rendered import render_statements

# A line as the runner hands it over: position, line_no, entry_id, agreement_id, party_id, account,
# amount_cents, business_date, recorded_at, event_type.
Row = tuple[int, int, UUID, UUID, UUID | None, str, int, date, datetime, str]
# An agreement whose records are purged (R-REC-1), and the position of its purge: its lines posted
# before that position are removed in the transaction that applies the purge.
Purge = tuple[UUID, int]


class JournalFormatOutdated(Exception):
    """The journal's tables are of an older format that this process is not allowed to upgrade."""


class TrackingMoved(Exception):
    """The tracked position is not the one a batch was read after: another runner or a rebuild moved it."""


class JournalStore(ABC):
    """The journal lines and their tracking in one database."""

    statements: Statements
    balance_statements: BalanceStatements
    balance_io: BalanceIO

    def __init__(self, app_name: str) -> None:
        self.app_name = app_name

    @abstractmethod
    def position(self) -> int:
        """The notification id of the last event applied (0 before any)."""

    def heads(self, recorder: Any) -> tuple[int, int]:
        """The journal's position and the log's last notification id (``recorder``'s), read together."""
        return self.position(), recorder.max_notification_id() or 0

    @abstractmethod
    def add_entry(self, rows: list[Any], position: int, first_line_no: int, entry: JournalEntry,
                  recorded_at: datetime) -> None:
        """Append an entry's lines to a batch, encoded as this database takes them.

        Lines are encoded as they are posted, so a batch waiting for its commit holds no Python objects.
        """

    @abstractmethod
    def commit(self, rows: Sequence[Any], tracking: Tracking, after: int,
               purges: Sequence[Purge] = (), moves: Sequence[Move] = ()) -> None:
        """Write a batch's encoded lines and its tracking in one transaction, if still at ``after``.

        ``purges`` then remove each purged agreement's lines from before its purge's position, and its
        balance history; ``moves`` (the batch's lines as the balance history takes them) update it.
        """

    @abstractmethod
    def reset(self) -> None:
        """Remove every line and the tracking position, in one transaction."""

    @abstractmethod
    def upgrade(self) -> bool:
        """Bring a balance history written in an older format to the current one, in one transaction
        (on opening the store); True if it was rewritten."""

    @abstractmethod
    def fetch(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """The rows of one query (values already converted with ``param``)."""

    def tidy(self) -> None:  # noqa: B027 - most stores have nothing to do
        """After a bulk load: refresh what the database knows of the lines (nothing to do by default)."""

    def fetch_together(self, queries: Sequence[tuple[str, Sequence[Any]]]) -> list[list[tuple[Any, ...]]]:
        """The rows of several queries, in one round trip where the database allows."""
        return [self.fetch(statement, params) for statement, params in queries]

    def param(self, value: Any) -> Any:
        """A Python value as this database takes it as a parameter."""
        return value

    def ids(self, values: Sequence[UUID]) -> Any:
        """A list of ids as this database takes it as one parameter (an array)."""
        return list(values)

    def line(self, row: Sequence[Any]) -> Row:
        """A stored line as Python values."""
        return tuple(row)  # type: ignore[return-value]

    def count_lines(self, agreement_id: UUID | None = None) -> int:
        """How many lines the journal holds, in all or of one agreement."""
        if agreement_id is None:
            return int(self.fetch(self.statements.count_lines, ())[0][0])
        return int(self.fetch(self.statements.count_agreement_lines, (self.param(agreement_id),))[0][0])

    @abstractmethod
    def close(self) -> None:
        """Release what the store opened itself."""


# PostgreSQL ---------------------------------------------------------------------------------------

class PostgresJournalRecorder(PostgresTrackingRecorder):
    """The library's tracking recorder, with the journal's table created beside its tracking table."""

    def __init__(self, datastore: PostgresDatastore, statements: Sequence[str]) -> None:
        super().__init__(datastore, tracking_table_name=PG_TRACKING_TABLE)
        creates = [SQL(statement) for statement in statements]  # type: ignore[arg-type]
        self.sql_create_statements.extend(creates)
        render_statements(self)


class PostgresJournalStore(JournalStore):
    """The journal in the application's own database and schema, sharing its connection pool."""

    def __init__(self, datastore: PostgresDatastore, app_name: str, *, create_table: bool = True,
                 events_table: str | None = None) -> None:
        super().__init__(app_name)
        self.datastore = datastore
        self.statements = postgres_statements(datastore.schema, events_table)
        self.balance_statements = postgres_balance_statements(quote(datastore.schema) + ".")
        self.balance_io = BalanceIO(self.balance_statements, postgres=True)
        self.recorder = PostgresJournalRecorder(datastore, [*self.statements.create,
                                                            *self.balance_statements.create])
        if datastore.pre_ping:
            sweep_on_failed_check(datastore.pool)
        if create_table:  # CREATE_TABLE=false: a service role without DDL rights; the owner made them
            self.recorder.create_table()
            self.upgrade()
        else:
            self.check_format()

    def check_format(self) -> None:
        """Refuse a balance history of an older format when this process may not upgrade it (no DDL
        rights): its totals would read as missing, so every page's totals would be wrong."""
        try:
            found = self.fetch(self.balance_statements.format_read, ())
        except Exception as exc:  # the library's datastore wraps the driver's errors in its own
            cause = exc if isinstance(exc, psycopg.Error) else exc.__cause__
            if isinstance(cause, psycopg.errors.InsufficientPrivilege):
                raise JournalFormatOutdated(
                    "this role may not read the journal's format (journal_format): grant it SELECT, as for"
                    " the restricted service role in docs/audit.md") from exc
            if not isinstance(cause, psycopg.errors.UndefinedTable):
                raise
            found = []  # made by an earlier version: format 1
        version = int(found[0][0]) if found else 1
        if version < FORMAT:
            raise JournalFormatOutdated(
                f"the journal's balance history is in format {version} and this version reads format {FORMAT}:"
                " start the service once as the tables' owner (CREATE_TABLE=true) to upgrade it")

    def upgrade(self) -> bool:
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as cursor:
            return self.balance_io.upgrade(cursor)

    def position(self) -> int:
        return self.recorder.max_tracking_id(self.app_name) or 0

    def heads(self, recorder: Any) -> tuple[int, int]:
        if self.statements.heads is None:
            return super().heads(recorder)
        # One round trip: a reader checks the journal has caught up before every figure.
        reached, head = self.fetch(self.statements.heads, (self.app_name,))[0]
        return reached or 0, head or 0

    def add_entry(self, rows: list[Any], position: int, first_line_no: int, entry: JournalEntry,
                  recorded_at: datetime) -> None:
        rows.append(encode_copy_entry(position, first_line_no, entry, recorded_at))

    def commit(self, rows: Sequence[Any], tracking: Tracking, after: int,
               purges: Sequence[Purge] = (), moves: Sequence[Move] = ()) -> None:
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as cursor:
            cursor.execute(self.statements.relax_durability)
            cursor.execute(self.statements.tracked_for_update, (self.app_name,))
            found = cursor.fetchone()
            _check_position(found["notification_id"] if found else None, after)
            if rows:
                # One binary COPY block for the whole batch: no row inserts, no text parsing.
                with cursor.copy(self.statements.insert_lines) as copy:
                    copy.write(b"".join((COPY_SIGNATURE, *rows, COPY_TRAILER)))
            for purge in purges:
                cursor.execute(self.statements.purge_lines, purge)
                for statement in purge_statements(self.balance_statements, "%s"):
                    cursor.execute(statement, (purge[0],))
            self.balance_io.apply(cursor, surviving(moves, purges))
            self.recorder._insert_tracking(cursor, tracking)

    def reset(self) -> None:
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as cursor:
            cursor.execute(self.statements.reset_lines)
            cursor.execute(f"TRUNCATE {', '.join(self.balance_statements.tables)}")
            cursor.execute(self.statements.reset_tracking, (self.app_name,))

    def fetch(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as cursor:
            cursor.execute(statement, params)
            return cursor.fetchall()

    def tidy(self) -> None:
        # Freshly loaded pages are not yet marked all-visible, so a figure would read the table as well
        # as its key until autovacuum came by; VACUUM marks them now, and ANALYZE updates the statistics.
        with self.datastore.get_connection() as conn:
            conn.execute(self.statements.tidy)

    def fetch_together(self, queries: Sequence[tuple[str, Sequence[Any]]]) -> list[list[tuple[Any, ...]]]:
        # Pipeline mode: every query is sent before the first answer is awaited.
        with self.datastore.get_connection() as conn:
            with conn.pipeline():
                cursors = [conn.cursor(row_factory=tuple_row) for _ in queries]
                for cursor, (statement, params) in zip(cursors, queries, strict=True):
                    cursor.execute(statement, params)
            return [cursor.fetchall() for cursor in cursors]

    def line(self, row: Sequence[Any]) -> Row:
        return (*row[:6], int(row[6]), row[7], row[8].astimezone(UTC), row[9])  # type: ignore[return-value]

    def close(self) -> None:
        """Nothing to release: the pool is the application's."""


def sweep_on_failed_check(pool: ConnectionPool) -> None:
    """Check connections before use as POSTGRES_PRE_PING does, and when one is dead, all idle ones.

    A restart or ``pg_terminate_backend`` kills every pooled connection at once. The pool discards a
    connection that fails its check, then pauses about a second before it takes the next, so finding
    the dead ones one by one would hold a request for up to its connect timeout; the pool's ``check()``
    replaces every dead idle connection at once, and the request gets a fresh one after the pause.
    """
    owner = weakref.ref(pool)  # no cycle through the pool's own callback

    def check(conn: Any) -> None:
        try:
            ConnectionPool.check_connection(conn)
        except Exception:
            found = owner()
            if found is not None:
                found.check()
            raise

    pool._check = check  # the library passes its check to the pool's constructor, with no other way in


# SQLite -------------------------------------------------------------------------------------------

class SQLiteJournalRecorder(SQLiteTrackingRecorder):
    """The library's tracking recorder, with the journal's table in the same file."""

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *sqlite_statements().create,
                *sqlite_balance_statements().create]


class SQLiteJournalStore(JournalStore):
    """The journal in a file of its own beside the events: ``ledger.sqlite``, ``ledger.journal.sqlite``.

    SQLite lets one writer at a time into a file: in a file of its own the projection never holds up
    a command, and a rebuild of the whole journal does not lock the events.
    """

    def __init__(self, datastore: SQLiteDatastore, app_name: str, *, owned: bool) -> None:
        super().__init__(app_name)
        self.datastore = datastore
        self.owned = owned
        self.statements = sqlite_statements()
        self.balance_statements = sqlite_balance_statements()
        self.balance_io = BalanceIO(self.balance_statements, postgres=False)
        self.recorder = SQLiteJournalRecorder(datastore)
        self.recorder.create_table()
        self.upgrade()

    def upgrade(self) -> bool:
        done: list[bool] = []
        self._write(lambda cursor: done.append(self.balance_io.upgrade(cursor)))
        return done[0]

    def position(self) -> int:
        return self.recorder.max_tracking_id(self.app_name) or 0

    def add_entry(self, rows: list[Any], position: int, first_line_no: int, entry: JournalEntry,
                  recorded_at: datetime) -> None:
        entry_id, agreement_id = str(entry.entry_id), str(entry.agreement_id)
        business_date, instant = entry.business_date.isoformat(), _instant(recorded_at)
        for line_no, (account, party_id, _, cents) in enumerate(entry.lines, first_line_no):
            rows.append((position, line_no, entry_id, agreement_id, None if party_id is None else str(party_id),
                         account, cents, business_date, instant, entry.event_type))

    def commit(self, rows: Sequence[Any], tracking: Tracking, after: int,
               purges: Sequence[Purge] = (), moves: Sequence[Move] = ()) -> None:
        def write(cursor: SQLiteCursor) -> None:
            cursor.execute(self.statements.tracked_for_update, (self.app_name,))
            found = cursor.fetchone()
            _check_position(found[0] if found else None, after)
            cursor.executemany(self.statements.insert_lines, rows)
            for agreement_id, position in purges:
                cursor.execute(self.statements.purge_lines, (str(agreement_id), position))
                for statement in purge_statements(self.balance_statements, "?"):
                    cursor.execute(statement, (str(agreement_id),))
            self.balance_io.apply(cursor, surviving(moves, purges))
            self.recorder._insert_tracking(cursor, tracking)

        self._write(write)

    def reset(self) -> None:
        def write(cursor: SQLiteCursor) -> None:
            cursor.execute(self.statements.reset_lines)
            for table in self.balance_statements.tables:
                cursor.execute(f"DELETE FROM {table}")
            cursor.execute(self.statements.reset_tracking, (self.app_name,))

        self._write(write)

    def _write(self, work: Any) -> None:
        # BEGIN IMMEDIATE takes the write lock before reading the position, so the check and the
        # writes see the same state (a deferred transaction could fail to upgrade its lock).
        # never relax the events' own file, when the journal shares it
        write_immediately(self.datastore, work, self.statements.relax_durability if self.owned else None)

    def fetch(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, params)
            return [tuple(row) for row in cursor.fetchall()]

    def ids(self, values: Sequence[UUID]) -> Any:
        return json.dumps([str(value) for value in values])  # read with json_each

    def param(self, value: Any) -> Any:
        if isinstance(value, UUID):
            return str(value)
        if isinstance(value, datetime):
            return _instant(value)
        if isinstance(value, date):
            return value.isoformat()
        return value

    def line(self, row: Sequence[Any]) -> Row:
        return (row[0], row[1], UUID(row[2]), UUID(row[3]), None if row[4] is None else UUID(row[4]),
                row[5], row[6], date.fromisoformat(row[7]), datetime.fromisoformat(row[8]), row[9])

    def close(self) -> None:
        if self.owned:
            self.datastore.close()


def _instant(value: datetime) -> str:
    # One fixed-width UTC form, so instants stored as text compare correctly as text.
    assert value.tzinfo is not None, f"{value} has no time zone"
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _check_position(found: int | None, after: int) -> None:
    if (found or 0) != after:
        raise TrackingMoved(f"the journal is at position {found or 0}, not {after}")


def journal_path(events_path: str) -> Path:
    """The journal's SQLite file beside the events' file."""
    path = Path(events_path)
    return path.with_name(f"{path.stem}.journal{path.suffix or '.sqlite'}")


def write_immediately(datastore: SQLiteDatastore, work: Any, first: str | None = None) -> None:
    """Run ``work(cursor)`` in one SQLite transaction that holds the write lock from its start.

    BEGIN IMMEDIATE takes the lock before anything is read, so a check and the writes that follow it
    see the same state; SQLite's errors come out as the library's persistence errors.
    """
    with datastore.get_connection(commit=True) as conn:  # type: ignore[call-arg]
        cursor = conn.cursor()
        try:
            if first is not None:
                cursor.execute(first)
            cursor.execute("BEGIN IMMEDIATE")
            work(cursor)
            conn.commit()
        except BaseException as exc:
            conn.rollback()
            if isinstance(exc, sqlite3.IntegrityError):
                raise IntegrityError(str(exc)) from exc
            if isinstance(exc, sqlite3.OperationalError):
                raise OperationalError(str(exc)) from exc
            raise


def open_store(app: Application[Any]) -> JournalStore:
    """The journal store for an application, in the database its settings name."""
    factory = app.factory
    if isinstance(factory, PostgresFactory):
        return PostgresJournalStore(factory.datastore, app.name, create_table=factory.env_create_table(),
                                    events_table=getattr(app.recorder, "events_table_name", None))
    if isinstance(factory, SQLiteFactory):
        events_path = app.env.get(SQLiteFactory.SQLITE_DBNAME) or ""
        if SQLiteConnectionPool.detect_memory_mode(events_path):
            # An in-memory store has no file to be beside; the journal shares the events' database.
            return SQLiteJournalStore(factory.datastore, app.name, owned=False)
        lock_timeout = int(app.env.get(SQLiteFactory.SQLITE_LOCK_TIMEOUT) or "10")
        datastore = SQLiteDatastore(str(journal_path(events_path)), lock_timeout=lock_timeout)
        return SQLiteJournalStore(datastore, app.name, owned=True)
    raise TypeError(f"no journal store for {type(factory).__name__}")
