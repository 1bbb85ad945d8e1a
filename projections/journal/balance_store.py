"""The balance history's tables, and its reads and writes inside the journal's batch transaction.

Three tables beside ``journal_lines`` (see ``projections/journal/balances.py`` for what they hold):
``journal_balances`` (a row per agreement, account, party and business date: the day's movement and
the balance after it), ``journal_accounts`` (each account of an agreement, with its latest date and
balance, so a figure as of a date on or after it needs no lookup at all), and ``journal_items`` (the
memorandum lines of each invoice, summed per date, and its owner). SQL for SQLite and PostgreSQL; on
PostgreSQL each read is one statement over arrays (``unnest``), whatever the batch's size, and each
table's writes one upsert from arrays, or from ``STAGED_ROWS`` rows on one binary COPY into a staging
table of the session and one upsert from it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg.rows import tuple_row

from domain.kernel.money import from_cents
from projections.journal.copy import encode_balance_rows
from projections.journal.balances import (
    ALL_PARTIES,
    NO_PARTY,
    OVERDUE,
    Changes,
    Item,
    Key,
    Move,
    Row,
    add_totals,
    item_changes,
    recompute,
    split,
)

BALANCES_TABLE, ACCOUNTS_TABLE, ITEMS_TABLE = "journal_balances", "journal_accounts", "journal_items"
FORMAT_TABLE = "journal_format"  # which layout the history's rows follow: upgraded once when it is older
# 1: balances per account and slot; 2: and each account's total over its party slots (``ALL_PARTIES``).
FORMAT = 2
_ALL, _NONE = str(ALL_PARTIES), str(NO_PARTY)  # fixed keys, written into statements as literals
STAGED_ROWS = 100  # from this many rows of a table a batch writes them by COPY (three statements, not one)

_CREATE = (
    """CREATE TABLE IF NOT EXISTS {balances} (
        agreement_id {uuid} NOT NULL, account {text} NOT NULL, party_id {uuid} NOT NULL,
        business_date {date} NOT NULL, delta_cents {int} NOT NULL, balance_cents {int} NOT NULL,
        PRIMARY KEY (agreement_id, account, party_id, business_date){include}){rowid}""",
    """CREATE TABLE IF NOT EXISTS {accounts} (
        agreement_id {uuid} NOT NULL, account {text} NOT NULL, party_id {uuid} NOT NULL,
        last_date {date} NOT NULL, balance_cents {int} NOT NULL,
        PRIMARY KEY (agreement_id, account, party_id)){rowid}""",
    """CREATE TABLE IF NOT EXISTS {items} (
        agreement_id {uuid} NOT NULL, item_id {uuid} NOT NULL, account {text} NOT NULL,
        business_date {date} NOT NULL, amount_cents {int} NOT NULL, owner_id {uuid},
        PRIMARY KEY (agreement_id, item_id, account, business_date)){rowid}""",
    "CREATE TABLE IF NOT EXISTS {format} (name {text} PRIMARY KEY, version {int} NOT NULL)",
)
# From format 1: each account's total over its party slots, by date, summed from the slots' own rows.
_UPGRADE = (
    "DELETE FROM {balances} WHERE party_id = '" + _ALL + "'",
    "DELETE FROM {accounts} WHERE party_id = '" + _ALL + "'",
    "INSERT INTO {balances} (agreement_id, account, party_id, business_date, delta_cents, balance_cents)"
    " SELECT agreement_id, account, CAST('" + _ALL + "' AS {uuid}), business_date, delta,"
    " SUM(delta) OVER (PARTITION BY agreement_id, account ORDER BY business_date) FROM"
    " (SELECT agreement_id, account, business_date, SUM(delta_cents) AS delta FROM {balances}"
    " WHERE party_id NOT IN ('" + _NONE + "', '" + _ALL + "') GROUP BY agreement_id, account, business_date) s",
    "INSERT INTO {accounts} (agreement_id, account, party_id, last_date, balance_cents)"
    " SELECT agreement_id, account, CAST('" + _ALL + "' AS {uuid}), MAX(last_date), SUM(balance_cents)"
    " FROM {accounts} WHERE party_id NOT IN ('" + _NONE + "', '" + _ALL + "') GROUP BY agreement_id, account",
)
_FORMAT_READ = "SELECT version FROM {format} WHERE name = 'balances'"
_FORMAT_WRITE = ("INSERT INTO {format} (name, version) VALUES ('balances', {p})"
                 " ON CONFLICT (name) DO UPDATE SET version = excluded.version")
# Per account: its latest balance if the date is on or after its last date, else the latest row on or
# before the date (one descent of the key). An account with no line by the date has no value (NULL).
_SUMS = ("SELECT k.account, k.party_id, CASE WHEN k.last_date <= {p} THEN k.balance_cents ELSE"
         " (SELECT b.balance_cents FROM {balances} b WHERE b.agreement_id = k.agreement_id"
         " AND b.account = k.account AND b.party_id = k.party_id AND b.business_date <= {p}"
         " ORDER BY b.business_date DESC LIMIT 1) END AS cents FROM {accounts} k WHERE k.agreement_id = {p}{party}"
         "{order}")
# Each account's sum over the rows of ``_SUMS``: its total over the party slots (one row per account), or
# that plus the lines without a party (two).
_TOTALS = "SELECT s.account, SUM(s.cents) FROM ({sums}) s GROUP BY s.account"
_ORDERED = " ORDER BY k.account, k.party_id"
_SLOTS = " AND k.party_id <> '" + _ALL + "'"  # every slot: the totals left out
_PARTIES = " AND k.party_id = '" + _ALL + "'"  # each account's total over every slot but ``NO_PARTY``
_EVERY = " AND k.party_id IN ('" + _ALL + "', '" + _NONE + "')"  # and the lines without a party
# The rows a batch may change: from the last one before its earliest date on.
_ROWS_FROM = ("SELECT business_date, delta_cents, balance_cents FROM {balances} b WHERE b.agreement_id = {a}"
              " AND b.account = {acc} AND b.party_id = {party} AND b.business_date >= COALESCE("
              "(SELECT MAX(c.business_date) FROM {balances} c WHERE c.agreement_id = {a} AND c.account = {acc}"
              " AND c.party_id = {party} AND c.business_date < {first}), {first})")
_ITEM_LINES = ("SELECT account, business_date, amount_cents, owner_id FROM {items}"
               " WHERE agreement_id = {a} AND item_id = {item}")
_UPSERT_ROWS = ("ON CONFLICT (agreement_id, account, party_id, business_date) DO UPDATE SET"
                " delta_cents = excluded.delta_cents, balance_cents = excluded.balance_cents")
_UPSERT_LATEST = ("ON CONFLICT (agreement_id, account, party_id) DO UPDATE SET"
                  " last_date = excluded.last_date, balance_cents = excluded.balance_cents")
_UPSERT_ITEMS = ("ON CONFLICT (agreement_id, item_id, account, business_date) DO UPDATE SET"
                 " amount_cents = t.amount_cents + excluded.amount_cents,"
                 " owner_id = COALESCE(t.owner_id, excluded.owner_id)")
_COLUMNS = {"rows": "agreement_id, account, party_id, business_date, delta_cents, balance_cents",
            "latest": "agreement_id, account, party_id, last_date, balance_cents",
            "items": "agreement_id, item_id, account, business_date, amount_cents, owner_id"}
_PG_TYPES = {"rows": ("uuid", "text", "uuid", "date", "bigint", "bigint"),
             "latest": ("uuid", "text", "uuid", "date", "bigint"),
             "items": ("uuid", "uuid", "text", "date", "bigint", "uuid")}


@dataclass(frozen=True)
class BalanceStatements:
    """The balance history's statements for one database."""

    create: tuple[str, ...]
    sums: str  # binds the date twice, then the agreement
    party_sums: str  # the same, then one party: its accounts alone
    slot_sums: str  # the same, then a list of party slots (``JournalStore.ids``): their accounts alone
    totals: str  # binds as ``sums``: each account's sum over every slot
    party_totals: str  # binds as ``sums``: each account's sum over every slot but ``NO_PARTY``
    rows_from: str
    item_lines: str
    upserts: dict[str, str]
    tables: tuple[str, str, str]
    staging: dict[str, tuple[str, str, str]]  # PostgreSQL, per kind: make the staging table, COPY, upsert
    format_read: str  # the history's format (``FORMAT``), if it has one
    format_write: str  # binds the format
    upgrade: tuple[str, ...]  # from format 1 to 2, in one transaction
    lock: str | None  # holds off another process's upgrade until the transaction ends (PostgreSQL)


def _fill(template: str, names: dict[str, str], **more: str) -> str:
    return template.format(**names, **more)


def _reads(names: dict[str, str], p: str, slots: str, uuid: str) -> dict[str, Any]:
    """The statements both databases write alike, with their parameter mark and their list of slots."""
    return {"sums": _fill(_SUMS, names, p=p, party=_SLOTS, order=_ORDERED),
            "party_sums": _fill(_SUMS, names, p=p, party=f" AND k.party_id = {p}", order=_ORDERED),
            "slot_sums": _fill(_SUMS, names, p=p, party=slots, order=_ORDERED),
            "totals": _TOTALS.format(sums=_fill(_SUMS, names, p=p, party=_EVERY, order="")),
            "party_totals": _TOTALS.format(sums=_fill(_SUMS, names, p=p, party=_PARTIES, order="")),
            "format_read": _fill(_FORMAT_READ, names), "format_write": _fill(_FORMAT_WRITE, names, p=p),
            "upgrade": tuple(_fill(s, names, uuid=uuid) for s in _UPGRADE)}


def postgres_balance_statements(prefix: str) -> BalanceStatements:
    """Statements for the tables in a PostgreSQL schema (``prefix``: the quoted schema and a dot)."""
    names = {"balances": prefix + BALANCES_TABLE, "accounts": prefix + ACCOUNTS_TABLE, "items": prefix + ITEMS_TABLE,
             "format": prefix + FORMAT_TABLE}
    create = tuple(_fill(s, names, uuid="uuid", text="text", date="date", int="bigint", rowid="",
                         include=" INCLUDE (delta_cents, balance_cents)") for s in _CREATE)
    create += tuple(f"ALTER TABLE {names[t]} SET (parallel_workers = 0)" for t in ("balances", "accounts", "items"))
    lateral = _fill(_ROWS_FROM, names, a="r.a", acc="r.acc", party="r.p", first="r.first")
    # A few rows are upserted from arrays in one statement. Many (a catch-up's batch) go by binary COPY
    # into a staging table of the session (emptied when the transaction ends) and from there in one
    # upsert: no value passes through the driver's dumpers one by one.
    upserts, staging = {}, {}
    for kind, table in (("rows", "balances"), ("latest", "accounts"), ("items", "items")):
        stage = f"journal_stage_{kind}"
        conflict = _fill({"rows": _UPSERT_ROWS, "latest": _UPSERT_LATEST, "items": _UPSERT_ITEMS}[kind], names)
        arrays = ", ".join(f"%b::{t}[]" for t in _PG_TYPES[kind])
        upserts[kind] = f"INSERT INTO {names[table]} AS t ({_COLUMNS[kind]}) SELECT * FROM unnest({arrays}) {conflict}"
        staging[kind] = (f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {names[table]}) ON COMMIT DELETE ROWS",
                         f"COPY {stage} ({_COLUMNS[kind]}) FROM STDIN (FORMAT BINARY)",
                         f"INSERT INTO {names[table]} AS t ({_COLUMNS[kind]}) SELECT {_COLUMNS[kind]} FROM {stage} "
                         + conflict)
    return BalanceStatements(
        create=create, **_reads(names, "%s", " AND k.party_id = ANY(%s::uuid[])", "uuid"), staging=staging,
        lock=f"LOCK TABLE {names['format']} IN SHARE ROW EXCLUSIVE MODE",
        rows_from=("SELECT r.a, r.acc, r.p, b.business_date, b.delta_cents, b.balance_cents FROM"
                   " unnest(%b::uuid[], %b::text[], %b::uuid[], %b::date[]) AS r(a, acc, p, first)"
                   f" CROSS JOIN LATERAL ({lateral}) b"),
        item_lines=("SELECT r.a, r.i, x.account, x.business_date, x.amount_cents, x.owner_id FROM"
                    " unnest(%b::uuid[], %b::uuid[]) AS r(a, i) CROSS JOIN LATERAL ("
                    + _fill(_ITEM_LINES, names, a="r.a", item="r.i") + ") x"),
        upserts=upserts, tables=(names["balances"], names["accounts"], names["items"]))


def sqlite_balance_statements() -> BalanceStatements:
    """Statements for the tables in the journal's SQLite file."""
    names = {"balances": BALANCES_TABLE, "accounts": ACCOUNTS_TABLE, "items": ITEMS_TABLE, "format": FORMAT_TABLE}
    create = tuple(_fill(s, names, uuid="TEXT", text="TEXT", date="TEXT", int="INTEGER", rowid=" WITHOUT ROWID",
                         include="") for s in _CREATE)
    marks = {kind: ", ".join(["?"] * len(types)) for kind, types in _PG_TYPES.items()}
    upserts = {kind: f"INSERT INTO {names[table]} AS t ({_COLUMNS[kind]}) VALUES ({marks[kind]}) "
               + _fill({"rows": _UPSERT_ROWS, "latest": _UPSERT_LATEST, "items": _UPSERT_ITEMS}[kind], names)
               for kind, table in (("rows", "balances"), ("latest", "accounts"), ("items", "items"))}
    return BalanceStatements(
        create=create, **_reads(names, "?", " AND k.party_id IN (SELECT value FROM json_each(?))", "TEXT"), staging={},
        lock=None, rows_from=_fill(_ROWS_FROM, names, a="?1", acc="?2", party="?3", first="?4"),
        item_lines=_fill(_ITEM_LINES, names, a="?", item="?"),
        upserts=upserts, tables=(names["balances"], names["accounts"], names["items"]))


def purge_statements(statements: BalanceStatements, p: str) -> list[str]:
    """Remove every balance, account and item of an agreement (its lines go in the same transaction)."""
    return [f"DELETE FROM {table} WHERE agreement_id = {p}" for table in statements.tables]


class BalanceIO:
    """Reads and writes of the balance history on one database's cursor, inside a batch's transaction."""

    def __init__(self, statements: BalanceStatements, *, postgres: bool) -> None:
        self.statements = statements
        self.postgres = postgres

    def apply(self, cursor: Any, moves: Sequence[Move]) -> None:
        """Fold a batch's moves into the history (the purges already applied, their moves left out)."""
        if not moves:
            return
        keyed, items = split(moves)
        stored_items = self._item_lines(cursor, list(items)) if items else {}
        item_writes = item_changes(items, stored_items, keyed)
        add_totals(keyed)
        firsts = {key: min(moved) for key, moved in keyed.items()}
        changes = recompute(keyed, self._rows(cursor, firsts))
        self._write(cursor, Changes(changes.rows, changes.latest, item_writes))

    def upgrade(self, cursor: Any) -> bool:
        """Bring a history of an older format to ``FORMAT`` inside the caller's transaction (every
        account's running total over its party slots, summed from the slots' rows); True if it did. A
        history already at the format, or another process's upgrade, is left alone."""
        if self.statements.lock is not None:
            cursor.execute(self.statements.lock)
        cursor.execute(self.statements.format_read)
        found = cursor.fetchone()
        version = None if found is None else found["version"] if isinstance(found, dict) else found[0]
        if version is not None and int(version) >= FORMAT:
            return False
        for statement in self.statements.upgrade:
            cursor.execute(statement)
        cursor.execute(self.statements.format_write, (FORMAT,))
        return True

    # Reads ---------------------------------------------------------------------------------------

    def _rows(self, cursor: Any, firsts: dict[Key, date]) -> dict[Key, list[Row]]:
        found: dict[Key, list[Row]] = defaultdict(list)
        if self.postgres:
            columns = list(zip(*((a, acc, p, first) for (a, acc, p), first in firsts.items()), strict=True))
            with cursor.connection.cursor(row_factory=tuple_row) as reader:
                reader.execute(self.statements.rows_from, [list(c) for c in columns])
                for a, acc, p, day, delta, balance in reader.fetchall():
                    found[(a, acc, p)].append(Row(day, int(delta), int(balance)))
            return found
        for key, first in firsts.items():
            a, acc, p = key
            cursor.execute(self.statements.rows_from, (str(a), acc, str(p), first.isoformat()))
            for day, delta, balance in cursor.fetchall():
                found[key].append(Row(date.fromisoformat(day), delta, balance))
        return found

    def _item_lines(self, cursor: Any, wanted: list[Item]) -> dict[Item, list[tuple[str, date, int, UUID | None]]]:
        found: dict[Item, list[tuple[str, date, int, UUID | None]]] = defaultdict(list)
        if self.postgres:
            with cursor.connection.cursor(row_factory=tuple_row) as reader:
                reader.execute(self.statements.item_lines, [[a for a, _ in wanted], [i for _, i in wanted]])
                for a, i, account, day, cents, owner in reader.fetchall():
                    found[(a, i)].append((account, day, int(cents), owner))
            return found
        for item in wanted:
            cursor.execute(self.statements.item_lines, (str(item[0]), str(item[1])))
            for account, day, cents, owner in cursor.fetchall():
                found[item].append((account, date.fromisoformat(day), cents, None if owner is None else UUID(owner)))
        return found

    # Writes --------------------------------------------------------------------------------------

    def _write(self, cursor: Any, changes: Changes) -> None:
        tables = {"rows": [(*key, *row) for key, row in changes.rows],
                  "latest": [(*key, row.business_date, row.balance_cents) for key, row in changes.latest],
                  "items": [(*item, account, day, cents, owner) for item, account, day, cents, owner in changes.items]}
        for kind, rows in tables.items():
            if not rows:
                continue
            if self.postgres and len(rows) >= STAGED_ROWS:
                create, copy, upsert = self.statements.staging[kind]
                cursor.execute(create)
                with cursor.copy(copy) as writer:
                    writer.write(encode_balance_rows(kind, rows))
                cursor.execute(upsert)
            elif self.postgres:
                cursor.execute(self.statements.upserts[kind], [list(c) for c in zip(*rows, strict=True)])
            else:
                cursor.executemany(self.statements.upserts[kind], [tuple(_sqlite(v) for v in row) for row in rows])


def _sqlite(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def sums_rows(rows: Sequence[tuple[Any, Any, Any]]) -> tuple[dict[tuple[str, UUID | None], Decimal],
                                                              dict[UUID, Decimal]]:
    """The history's answer split into the accounts' balances and each party's overdue, in one pass."""
    balances: dict[tuple[str, UUID | None], Decimal] = {}
    overdue: dict[UUID, Decimal] = {}
    for account, party, cents in rows:
        if cents is None:
            continue  # no line of this account by the date
        party_id = party if isinstance(party, UUID) else UUID(party)
        if account == OVERDUE:
            if cents:
                overdue[party_id] = from_cents(int(cents))
            continue
        balances[(account, None if party_id == NO_PARTY else party_id)] = from_cents(int(cents))
    return balances, overdue
