"""The erasable store of contact persons' personal data, written in the same transaction as the events.

``ledger_contacts`` (contact id, agreement id, party id, name, e-mail, phone, title, request hash) is a
plain table beside the events: on PostgreSQL in the same schema, on SQLite in the same file. It is not
an event table, so it has no append-only guard, is not in the audit hash chain and is not exported.
The ledger's application recorder is the library's, extended: a ``save(…, personal_data=change)``
inserts new rows and erases old ones (every personal column set to NULL) in the transaction that
stores the events, so an event that refers to a contact never exists without its row, nor a row
without its event. Settings select these recorders (``APPLICATION_RECORDER_TOPIC``).

Nothing here puts personal values in an error message: the columns have no constraints that could
fail and echo a row, and the values are checked in ``domain.records.contacts`` before they get here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.persistence import InterfaceError, OperationalError, ProgrammingError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Identifier

from domain.records.contacts import PERSONAL_DATA, ContactDetails, PersonalDataChange, PersonalRecord
from projections.records.event_reads import PostgresManyEvents, SQLiteManyEvents
from projections.records.rendered import binary_rows, render_statements

CONTACTS_TABLE = "ledger_contacts"
MAX_IDS = 500  # ids looked up at once: a page of contacts at most
COLUMNS = ("contact_id", "agreement_id", "party_id", "name", "email", "phone", "title", "request_hash")
PERSONAL_COLUMNS = ("name", "email", "phone", "title", "request_hash")

_PG_CREATE = ("CREATE TABLE IF NOT EXISTS {schema}.{table} (contact_id uuid PRIMARY KEY,"
              " agreement_id uuid NOT NULL, party_id uuid NOT NULL, name text, email text, phone text,"
              " title text, request_hash text)")
_SQLITE_CREATE = (f"CREATE TABLE IF NOT EXISTS {CONTACTS_TABLE} (contact_id TEXT PRIMARY KEY,"
                  " agreement_id TEXT NOT NULL, party_id TEXT NOT NULL, name TEXT, email TEXT, phone TEXT,"
                  " title TEXT, request_hash TEXT)")
# The library's insert as one function, in one statement (autocommit: its own transaction): the same
# lock on the events table, so notification ids are committed in their order, the same notification to
# its listeners, the same insert. (The library's own function leaves the lock out, so it is not used.)
INSERT_FUNCTION = "ledger_insert_events"
_PG_INSERT_FUNCTION = (
    "CREATE OR REPLACE FUNCTION {schema}.{function}(events {schema}.{event}[]) RETURNS SETOF bigint"
    " LANGUAGE plpgsql AS $BODY$ BEGIN"
    " SET LOCAL lock_timeout = '{lock_timeout}s';"
    " LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE;"
    " NOTIFY {channel};"
    " RETURN QUERY INSERT INTO {schema}.{table} AS t (originator_id, originator_version, topic, state)"
    " SELECT originator_id, originator_version, topic, state FROM unnest(events) RETURNING notification_id;"
    " END; $BODY$")
_ERASE = ("UPDATE {table} SET " + ", ".join(f"{c} = NULL" for c in PERSONAL_COLUMNS)
          + " WHERE contact_id = {p}")
_SQLITE_INSERT = (f"INSERT INTO {CONTACTS_TABLE} ({', '.join(COLUMNS)})"
                  f" VALUES ({', '.join('?' * len(COLUMNS))})")

log = structlog.get_logger("personal_data")


def _change(kwargs: dict[str, Any]) -> PersonalDataChange | None:
    change = kwargs.get(PERSONAL_DATA)
    assert change is None or isinstance(change, PersonalDataChange)
    return change


def _row(record: PersonalRecord, uuid: Any) -> tuple[Any, ...]:
    details = record.details
    assert details is not None, "a new contact has its details"
    return (uuid(record.contact_id), uuid(record.agreement_id), uuid(record.party_id), details.name,
            details.email, details.phone, details.title, record.request_hash)


def _record(row: Sequence[Any]) -> PersonalRecord:
    contact_id, agreement_id, party_id, name, email, phone, title, request_hash = row
    details = None if name is None else ContactDetails(name=name, email=email, phone=phone, title=title)
    return PersonalRecord(UUID(str(contact_id)), UUID(str(agreement_id)), UUID(str(party_id)), details,
                          request_hash)


def _check_ids(contact_ids: Sequence[UUID]) -> list[UUID]:
    ids = list(dict.fromkeys(contact_ids))
    assert len(ids) <= MAX_IDS, f"at most {MAX_IDS} contacts at once"
    return ids


class SQLiteLedgerRecorder(SQLiteManyEvents, SQLiteApplicationRecorder):
    """The library's SQLite application recorder with the erasable contacts table in the same file."""

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), _SQLITE_CREATE]

    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
                       ) -> Sequence[int] | None:
        change = _change(kwargs)
        if change is not None:
            if change.added:
                c.executemany(_SQLITE_INSERT, [_row(record, str) for record in change.added])
            if change.erased:
                c.execute("PRAGMA secure_delete = ON")  # freed space is overwritten with zeros
                c.executemany(_ERASE.format(table=CONTACTS_TABLE, p="?"), [(str(i),) for i in change.erased])
        return super()._insert_events(c, stored_events, **kwargs)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        ids = super().insert_events(stored_events, **kwargs)
        change = _change(kwargs)
        if change is not None and change.erased:
            self._truncate_wal()
        return ids

    def _truncate_wal(self) -> None:
        # The write-ahead log still holds the pages as they were before the erasure until it is
        # checkpointed and reset; do that now rather than when SQLite gets round to it.
        with self.datastore.get_connection(commit=True) as conn:  # type: ignore[call-arg]
            cursor = conn.cursor()
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            row = cursor.fetchone()
        if row is not None and row[0]:
            log.warning("erasure_wal_checkpoint_busy", detail="the log is reset at a later checkpoint")

    def personal_records(self, contact_ids: Sequence[UUID]) -> dict[UUID, PersonalRecord]:
        """The stored records of these contacts (unknown ids are left out)."""
        ids = _check_ids(contact_ids)
        if not ids:
            return {}
        statement = (f"SELECT {', '.join(COLUMNS)} FROM {CONTACTS_TABLE}"
                     f" WHERE contact_id IN ({', '.join('?' * len(ids))})")
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, [str(i) for i in ids])
            return {record.contact_id: record for record in map(_record, c.fetchall())}


class PostgresLedgerRecorder(PostgresManyEvents, PostgresApplicationRecorder):
    """The library's PostgreSQL application recorder with the erasable contacts table in the same schema."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.contacts_table = SQL("{schema}.{table}").format(schema=Identifier(datastore.schema),
                                                            table=Identifier(CONTACTS_TABLE))
        self.sql_create_statements.append(SQL(_PG_CREATE).format(  # type: ignore[arg-type]
            schema=Identifier(datastore.schema), table=Identifier(CONTACTS_TABLE)))
        self.notify_statement = SQL("NOTIFY {0}").format(Identifier(self.channel_name))
        names = {"schema": Identifier(datastore.schema), "function": Identifier(INSERT_FUNCTION),
                 "table": Identifier(self.events_table_name), "event": Identifier(self.stored_event_type_name),
                 "channel": Identifier(self.channel_name)}
        self.sql_create_statements.append(SQL(_PG_INSERT_FUNCTION).format(  # type: ignore[arg-type]
            lock_timeout=datastore.lock_timeout, **names))
        self.insert_by_function = SQL("SELECT * FROM {schema}.{function}(%b)").format(**names)
        render_statements(self)
        self.insert_events_statement = binary_rows(self.insert_events_statement)

    def _notify_channel(self, curs: Cursor[DictRow]) -> None:
        curs.execute(self.notify_statement)  # the library composes it anew on every insert

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if _change(kwargs) is not None:
            if self.datastore.enable_db_functions:
                # That path stores the events by a database function and would leave the rows out.
                raise ProgrammingError("personal data needs POSTGRES_ENABLE_DB_FUNCTIONS off")
            return super().insert_events(stored_events, **kwargs)  # the rows in the events' transaction
        if not stored_events:
            return super().insert_events(stored_events, **kwargs)
        # Also with POSTGRES_ENABLE_DB_FUNCTIONS: the library's own function would insert without the lock.
        return self._insert_by_function(stored_events)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)  # as the library's insert
    def _insert_by_function(self, stored_events: Sequence[StoredEvent]) -> list[int]:
        """Lock, notify and insert in one statement (``ledger_insert_events``), one round trip and no
        transaction or pipeline to manage: what the library's insert does in four statements."""
        rows = [self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
                for e in stored_events]
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as cursor:
            assert conn.autocommit, "the statement is its own transaction: it commits as it ends"
            cursor.execute(self.insert_by_function, (rows,), prepare=True)
            return [row[0] for row in cursor.fetchall()]

    def _insert_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
                       ) -> None:
        # Runs inside the transaction (and pipeline) that then stores the events.
        change = _change(kwargs)
        if change is not None:
            if change.added:
                insert = SQL("INSERT INTO {table} ({columns}) VALUES ({values})").format(
                    table=self.contacts_table, columns=SQL(", ").join(map(Identifier, COLUMNS)),
                    values=SQL(", ").join(SQL("%s") for _ in COLUMNS))
                curs.executemany(insert, [_row(record, lambda u: u) for record in change.added])
            if change.erased:
                erase = SQL(_ERASE.format(table="{table}", p="%s")).format(  # type: ignore[arg-type]
                    table=self.contacts_table)
                curs.executemany(erase, [(i,) for i in change.erased])
        super()._insert_events(curs, stored_events, **kwargs)

    def personal_records(self, contact_ids: Sequence[UUID]) -> dict[UUID, PersonalRecord]:
        """The stored records of these contacts (unknown ids are left out)."""
        ids = _check_ids(contact_ids)
        if not ids:
            return {}
        statement = SQL("SELECT {columns} FROM {table} WHERE contact_id = ANY(%s)").format(
            columns=SQL(", ").join(map(Identifier, COLUMNS)), table=self.contacts_table)
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as cursor:
            cursor.execute(statement, (ids,))
            return {record.contact_id: record for record in map(_record, cursor.fetchall())}


SQLITE_TOPIC = f"{__name__}:{SQLiteLedgerRecorder.__name__}"
POSTGRES_TOPIC = f"{__name__}:{PostgresLedgerRecorder.__name__}"
