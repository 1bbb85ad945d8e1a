"""The events of many aggregates in one query, for a command that reads one small aggregate per party
(an invoicing run's batch reads each party's list of invoices): one round trip instead of hundreds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from psycopg.sql import SQL, Identifier

MAX_ORIGINATORS = 1_000  # ids in one read: a batch of a run reads at most one aggregate per party


def _grouped(rows: Any, convert: Any) -> dict[UUID, list[StoredEvent]]:
    found: dict[UUID, list[StoredEvent]] = {}
    for row in rows:
        originator = convert(row["originator_id"])
        found.setdefault(originator, []).append(StoredEvent(
            originator_id=originator, originator_version=row["originator_version"], topic=row["topic"],
            state=row["state"]))
    return found


class _ManyEvents:
    def select_events_of(self, originator_ids: Sequence[UUID]) -> dict[UUID, list[StoredEvent]]:
        """Every stored event of each aggregate, in version order (ids without events are left out)."""
        ids = list(dict.fromkeys(originator_ids))
        if len(ids) > MAX_ORIGINATORS:
            raise ValueError(f"at most {MAX_ORIGINATORS} aggregates in one read")
        return self._rows_of(ids) if ids else {}

    def _rows_of(self, ids: list[UUID]) -> dict[UUID, list[StoredEvent]]:
        raise NotImplementedError


class SQLiteManyEvents(_ManyEvents):
    """``select_events_of`` for the SQLite recorder."""

    datastore: Any
    events_table_name: str
    convert_originator_id: Any

    def _rows_of(self, ids: list[UUID]) -> dict[UUID, list[StoredEvent]]:
        marks = ", ".join("?" * len(ids))
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM {self.events_table_name} WHERE originator_id IN ({marks})"
                      " ORDER BY originator_id, originator_version", [i.hex for i in ids])
            return _grouped(c.fetchall(), self.convert_originator_id)


class PostgresManyEvents(_ManyEvents):
    """``select_events_of`` for the PostgreSQL recorder."""

    datastore: Any
    events_table_name: str

    def _rows_of(self, ids: list[UUID]) -> dict[UUID, list[StoredEvent]]:
        statement = SQL("SELECT * FROM {schema}.{table} WHERE originator_id = ANY(%s) "
                        "ORDER BY originator_id, originator_version").format(
            schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, [ids])
            return _grouped(curs.fetchall(), lambda value: value)
