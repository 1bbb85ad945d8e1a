"""Every SQL statement of the journal, for SQLite and PostgreSQL, in one place.

Values are always bound parameters; the only names formatted into statements are the fixed table
names and the PostgreSQL schema from the settings, quoted as an identifier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from projections.journal.balance_store import ACCOUNTS_TABLE, BALANCES_TABLE, ITEMS_TABLE
from projections.journal.copy import COPY_COLUMNS

BALANCE_TABLES = (BALANCES_TABLE, ACCOUNTS_TABLE, ITEMS_TABLE)

LINE_COLUMNS = ("position", "line_no", "entry_id", "agreement_id", "party_id", "account", "amount_cents",
                "business_date", "recorded_at", "event_type")
LINES_TABLE = "journal_lines"
PG_TRACKING_TABLE = "journal_tracking"
# The library's SQLite tracking recorder always names its table so; the journal's own file holds it.
SQLITE_TRACKING_TABLE = "tracking"

# One index and no more, as every index costs every insert: the primary key orders an agreement's
# lines by business date, then log order, and carries every column the sums read, so a figure as of
# a date is one index-only range scan, a page of lines is a range of the same index, and a line can
# never be stored twice.
PG_CREATE = (
    """CREATE TABLE IF NOT EXISTS {lines} (
        position bigint NOT NULL,
        line_no integer NOT NULL,
        entry_id uuid NOT NULL,
        agreement_id uuid NOT NULL,
        party_id uuid,
        account text NOT NULL,
        amount_cents bigint NOT NULL,
        business_date date NOT NULL,
        recorded_at timestamptz NOT NULL,
        event_type text NOT NULL,
        PRIMARY KEY (agreement_id, business_date, position, line_no)
            INCLUDE (recorded_at, account, party_id, amount_cents))""",
    # Every read is one agreement's range of the key: a parallel plan never pays for starting its
    # workers (several milliseconds), yet the planner picks one once the table is large.
    "ALTER TABLE {lines} SET (parallel_workers = 0)",
)

# A WITHOUT ROWID table is stored in its primary key's order: the table is its own covering index.
SQLITE_CREATE = (
    """CREATE TABLE IF NOT EXISTS {lines} (
        position INTEGER NOT NULL,
        line_no INTEGER NOT NULL,
        entry_id TEXT NOT NULL,
        agreement_id TEXT NOT NULL,
        party_id TEXT,
        account TEXT NOT NULL,
        amount_cents INTEGER NOT NULL,
        business_date TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        event_type TEXT NOT NULL,
        PRIMARY KEY (agreement_id, business_date, position, line_no)) WITHOUT ROWID""",
)

_SUMS = ("SELECT account, party_id, SUM(amount_cents) FROM {lines}"
         " WHERE agreement_id = {p} AND business_date <= {p}{known}"
         " GROUP BY account, party_id ORDER BY account, party_id")
# Overdue per party, invoice by invoice, from the memorandum accounts (see `projections/journal/postings.py`):
# an invoice's open item and past-due sums, keyed by invoice, and its owner from the receivable line
# of the entry that opened the item (the same business date and position: a prefix of the key).
_OVERDUE = ("SELECT owner.party_id, SUM(item.unpaid) FROM ("
            "SELECT party_id AS invoice_id,"
            " SUM(CASE WHEN account = 'open_items' THEN amount_cents ELSE 0 END) AS unpaid,"
            " SUM(CASE WHEN account = 'past_due' THEN amount_cents ELSE 0 END) AS due,"
            " MIN(CASE WHEN account = 'open_items' AND amount_cents > 0 THEN business_date END) AS opened_on,"
            " MIN(CASE WHEN account = 'open_items' AND amount_cents > 0 THEN position END) AS opened_at"
            " FROM {lines} WHERE agreement_id = {p} AND business_date <= {p}{known}"
            " AND account IN ('open_items', 'past_due') GROUP BY party_id) item"
            " JOIN {lines} owner ON owner.agreement_id = {p} AND owner.business_date = item.opened_on"
            " AND owner.position = item.opened_at AND owner.account = 'receivable'"
            " WHERE item.unpaid > 0 AND item.due > 0 GROUP BY owner.party_id")
_PAGE = ("SELECT " + ", ".join(LINE_COLUMNS) + " FROM {lines}"
         " WHERE agreement_id = {p} AND (business_date, position, line_no) > ({p}, {p}, {p})"
         " ORDER BY business_date, position, line_no LIMIT {p}")
_TRACKED = "SELECT notification_id FROM {tracking} WHERE application_name = {p}"
_INSERT = ("INSERT INTO {lines} (" + ", ".join(LINE_COLUMNS) + ") VALUES ("
           + ", ".join(["{p}"] * len(LINE_COLUMNS)) + ")")


def quote(identifier: str) -> str:
    """A PostgreSQL identifier in double quotes, any quote inside doubled."""
    # No % (the driver's placeholders), no braces (this module's templates), at most 63 bytes.
    assert re.fullmatch(r"[^\x00%{}]{1,63}", identifier) and len(identifier.encode()) <= 63, \
        f"schema name {identifier!r} is not supported"
    return '"' + identifier.replace('"', '""') + '"'


@dataclass(frozen=True)
class Statements:
    """The journal's statements for one database."""

    create: tuple[str, ...]
    sums: str
    sums_known_at: str
    overdue: str  # a row per party with invoices past due: its unpaid rest on them
    overdue_known_at: str
    page: str
    tracked_for_update: str
    insert_lines: str  # SQLite: one row per execution; PostgreSQL: a binary COPY of all rows of a batch
    relax_durability: str
    reset_lines: str
    reset_tracking: str
    count_lines: str
    count_agreement_lines: str
    purge_lines: str  # an agreement's lines posted before its purge (R-REC-1)
    heads: str | None = None  # PostgreSQL: the tracked position and the events' last notification id
    tidy: str | None = None  # PostgreSQL: after a bulk load


def _statements(create: tuple[str, ...], p: str, lines: str, tracking: str, *, postgres: bool) -> Statements:
    def fill(template: str, known: str = "") -> str:
        return template.format(p=p, lines=lines, tracking=tracking, known=known)

    return Statements(
        create=tuple(fill(statement) for statement in create),
        sums=fill(_SUMS),
        sums_known_at=fill(_SUMS, known=f" AND recorded_at <= {p}"),
        overdue=fill(_OVERDUE),
        overdue_known_at=fill(_OVERDUE, known=f" AND recorded_at <= {p}"),
        page=fill(_PAGE),
        # On PostgreSQL the row lock makes a second runner wait, then see the position move and back off.
        tracked_for_update=fill(_TRACKED) + (" FOR UPDATE" if postgres else ""),
        insert_lines=(f"COPY {lines} ({', '.join(COPY_COLUMNS)}) FROM STDIN (FORMAT BINARY)" if postgres
                      else fill(_INSERT)),
        # TRUNCATE is instant on PostgreSQL; SQLite turns an unfiltered DELETE into a truncation too.
        reset_lines=f"TRUNCATE {lines}" if postgres else f"DELETE FROM {lines}",
        reset_tracking=fill("DELETE FROM {tracking} WHERE application_name = {p}"),
        count_lines=f"SELECT COUNT(*) FROM {lines}",
        count_agreement_lines=fill("SELECT COUNT(*) FROM {lines} WHERE agreement_id = {p}"),
        purge_lines=fill("DELETE FROM {lines} WHERE agreement_id = {p} AND position < {p}"),
        # A journal batch need not wait for its commit to reach the disk: if the server or machine
        # fails first, the batch and its tracking are lost together and the runner applies it again.
        relax_durability="SET LOCAL synchronous_commit = off" if postgres else "PRAGMA synchronous = NORMAL",
    )


def postgres_statements(schema: str, events_table: str | None = None) -> Statements:
    """Statements for the tables in a PostgreSQL schema (``events_table``: the log the journal follows)."""
    prefix = quote(schema) + "."
    statements = _statements(PG_CREATE, "%s", prefix + LINES_TABLE, prefix + PG_TRACKING_TABLE, postgres=True)
    tables = ", ".join(prefix + name for name in (LINES_TABLE, *BALANCE_TABLES))
    statements = replace(statements, tidy=f"VACUUM (ANALYZE) {tables}")
    if events_table is None:
        return statements
    heads = (f"SELECT (SELECT notification_id FROM {prefix}{PG_TRACKING_TABLE} WHERE application_name = %s),"
             f" (SELECT MAX(notification_id) FROM {prefix}{quote(events_table)})")
    return replace(statements, heads=heads)


def sqlite_statements() -> Statements:
    """Statements for the tables in the journal's SQLite file."""
    return _statements(SQLITE_CREATE, "?", LINES_TABLE, SQLITE_TRACKING_TABLE, postgres=False)
