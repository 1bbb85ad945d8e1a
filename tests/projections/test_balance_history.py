"""The balance history gives exactly what summing every line gives, on randomized histories.

Seeded random histories in the ledger's chart of accounts (invoices with their memorandum items and
past-due lines, payments, credit notes, unmatched payments and their allocation, spending, entries
whose lines cancel on one account), posted in random order of business date so most entries are
back-dated against the ones before, committed in batches of random size, with purges (R-REC-1). At
many dates the history's sums and overdue are compared with the line-summing queries the journal
used before (``line_sums``, ``line_balance_sums``); then after a rebuild in one batch, and after a
resumed commit that was refused.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore
from psycopg.sql import SQL, Identifier

from api.settings import Settings
from tests.conftest import PG

from domain.application import Ledger
from domain.kernel.money import from_cents
from projections.journal import balance_store
from projections.journal.balances import ALL_PARTIES, moves_of, overdue_by_date, step_changes
from projections.journal.entries import JournalEntry, JournalLine
from projections.journal.queries import FromLines, balance_sums, line_balance_sums, line_sums, slot_sums, sums
from projections.journal.store import (
    JournalFormatOutdated,
    JournalStore,
    PostgresJournalStore,
    TrackingMoved,
    open_store,
    write_immediately,
)

D, C = JournalLine.debit, JournalLine.credit
START = date(2025, 1, 1)
pytestmark = pytest.mark.persistence


@pytest.fixture
def store(ledger: Ledger) -> Iterator[JournalStore]:
    journal = open_store(ledger)
    yield journal
    journal.close()


class History:
    """A random money history of two agreements of four parties each, as journal entries per event."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.agreements = [uuid4(), uuid4()]
        self.parties = {a: [uuid4() for _ in range(4)] for a in self.agreements}
        self.invoices: list[tuple[UUID, UUID, UUID]] = []  # agreement, invoice, party
        self.events: list[list[JournalEntry]] = []

    def day(self) -> date:
        return START + timedelta(days=self.rng.randrange(365))

    def amount(self) -> Decimal:
        return from_cents(self.rng.randrange(1, 500_000))

    def entry(self, agreement: UUID, day: date, lines: list[JournalLine], n: int = 0) -> JournalEntry:
        return JournalEntry(uuid4(), agreement, day, tuple(lines), f"Test.Event{n}")

    def next_event(self) -> list[JournalEntry]:
        rng = self.rng
        agreement = rng.choice(self.agreements)
        party = rng.choice(self.parties[agreement])
        kind = rng.choice(("invoice", "invoice", "payment", "payment", "credit", "unmatched", "allocation",
                           "spending", "cancelling"))
        if kind != "invoice" and kind in ("payment", "credit") and not self.invoices:
            kind = "invoice"
        day, amount = self.day(), self.amount()
        if kind == "invoice":
            invoice = uuid4()
            self.invoices.append((agreement, invoice, party))
            due = day + timedelta(days=rng.choice((0, 14, 21, 60)))
            return [self.entry(agreement, day, [D("receivable", amount, party), C("shares_invoiced", amount, party),
                                                D("open_items", amount, invoice),
                                                C("open_items_control", amount, invoice)]),
                    self.entry(agreement, due + timedelta(days=1), [D("past_due", amount, invoice),
                                                                    C("past_due_control", amount, invoice)], 1)]
        if kind in ("payment", "credit"):
            agreement, invoice, party = rng.choice(self.invoices)
            account = "cash_received" if kind == "payment" else "credit_notes"
            return [self.entry(agreement, day, [D(account, amount, party), C("receivable", amount, party),
                                                C("open_items", amount, invoice),
                                                D("open_items_control", amount, invoice)])]
        if kind == "unmatched":
            return [self.entry(agreement, day, [D("cash_received", amount), C("unallocated", amount)])]
        if kind == "allocation":
            return [self.entry(agreement, day, [D("unallocated", amount), C("receivable", amount, party),
                                                D("cash_received", amount, party), C("cash_received", amount)])]
        if kind == "spending":
            borne = rng.choice((None, party))
            return [self.entry(agreement, day, [D("spending", amount, borne), C("cash_paid", amount)])]
        return [self.entry(agreement, day, [D("transfers", amount, party), C("transfers", amount, party)])]


def post(store: JournalStore, history: History, events: int, *, first: int = 1, purge_at: int | None = None,
         batch: tuple[int, int] = (1, 25)) -> int:
    """Post ``events`` random events in batches of random size; returns the last position."""
    position, rng = first - 1, history.rng
    while position < first - 1 + events:
        rows: list[object] = []
        moves: list = []
        purges: list[tuple[UUID, int]] = []
        after = position
        for _ in range(rng.randint(*batch)):
            position += 1
            if position == purge_at:
                purges.append((history.agreements[1], position))
                continue
            entries = history.next_event()
            history.events.append(entries)
            line_no = 1
            recorded = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=position)
            for entry in entries:
                store.add_entry(rows, position, line_no, entry, recorded)
                line_no += len(entry.lines)
            moves += moves_of(position, entries)
        store.commit(rows, Tracking("ledger", position), after, purges, moves)
    return position


def dates(history: History) -> list[date]:
    days = [START - timedelta(days=1), START, date(2025, 12, 31), date(2026, 3, 1)]
    return days + sorted(history.day() for _ in range(12))


def nonzero(totals: dict[str, Decimal]) -> dict[str, Decimal]:
    """Totals with the accounts at zero left out (an account not yet moved by the date reads as none)."""
    return {account: amount for account, amount in totals.items() if amount}


def assert_same_as_lines(store: JournalStore, history: History) -> int:
    """Every agreement's sums and overdue at every date equal the line-summing ones; returns how many
    non-zero overdue figures were compared (so a history without arrears cannot pass unnoticed)."""
    owed = 0
    for agreement in history.agreements:
        for day in dates(history):
            found, overdue = balance_sums(store, agreement, as_of=day)
            assert (found, overdue) == line_balance_sums(store, agreement, as_of=day), (agreement, day)
            assert sums(store, agreement, as_of=day) == line_sums(store, agreement, as_of=day) == found
            # Each account's total over the parties, and over every line, is the history's running total.
            slots = history.parties[agreement][:2]
            page = slot_sums(store, agreement, as_of=day, slots=slots, every=True)
            summed = slot_sums(FromLines(store), agreement, as_of=day, slots=slots, every=True)
            assert (page.sums, page.overdue, page.every) == (summed.sums, summed.overdue, summed.every)
            assert nonzero(page.totals) == nonzero(summed.totals), (agreement, day)
            owed += len(overdue)
    return owed


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_balance_history_equals_the_sum_of_the_lines_on_back_dated_histories(
        store: JournalStore, seed: int) -> None:
    """R-FUND-1, R-INV-6: balances and overdue from the history equal the line sums at every date."""
    history = History(seed)
    post(store, history, 160, purge_at=90)
    assert assert_same_as_lines(store, history) > 0
    # The purged agreement (R-REC-1) keeps only what was posted after its purge.
    purged = history.agreements[1]
    assert sums(store, purged, as_of=date(2026, 3, 1)) == line_sums(store, purged, as_of=date(2026, 3, 1))
    zero_sum = [(account, party) for (account, party), amount in sums(store, history.agreements[0],
                                                                        as_of=date(2026, 3, 1)).items()
                if account == "transfers"]
    assert zero_sum and all(sums(store, history.agreements[0], as_of=date(2026, 3, 1))[key] == 0
                            for key in zero_sum)  # an account whose lines cancel is still there, at 0.00


@pytest.mark.parametrize("staged", [1, 10**9], ids=["copied", "from arrays"])
def test_batches_written_by_copy_and_from_arrays_give_the_same_history(store: JournalStore, staged: int,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """R-FUND-1, R-INV-6: on PostgreSQL a batch's balance rows go by binary COPY from ``STAGED_ROWS`` rows
    on, and from arrays below: each way, every figure equals the line sums (items without an owner, and
    back-dated rows, included)."""
    monkeypatch.setattr(balance_store, "STAGED_ROWS", staged)
    history = History(13)
    post(store, history, 120, batch=(1, 40))
    assert assert_same_as_lines(store, history) > 0


def test_a_rebuild_in_one_batch_and_a_refused_batch_leave_the_same_history(store: JournalStore) -> None:
    """Exactly once: a batch refused for a moved position leaves nothing; a rebuild in one batch gives
    the same figures as many small batches."""
    history = History(7)
    last = post(store, history, 120)
    before = {(a, d): balance_sums(store, a, as_of=d) for a in history.agreements for d in dates(history)}
    rows: list[object] = []
    late = history.next_event()
    store.add_entry(rows, last + 1, 1, late[0], datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(TrackingMoved):
        store.commit(rows, Tracking("ledger", last + 1), last - 1, (), moves_of(last + 1, late[:1]))
    assert {(a, d): balance_sums(store, a, as_of=d) for a, d in before} == before
    # The same events again, from zero, in one batch.
    events = history.events
    store.reset()
    rows, moves = [], []
    for position, entries in enumerate(events, 1):
        line_no = 1
        for entry in entries:
            store.add_entry(rows, position, line_no, entry, datetime(2025, 1, 1, tzinfo=UTC))
            line_no += len(entry.lines)
        moves += moves_of(position, entries)
    store.commit(rows, Tracking("ledger", len(events)), 0, (), moves)
    assert {(a, d): balance_sums(store, a, as_of=d) for a, d in before} == before


def test_a_history_of_the_first_format_is_upgraded_to_the_totals_the_runner_writes(store: JournalStore) -> None:
    """R-REC-1: a history written before the accounts' totals (format 1) gets them on opening, summed
    from the parties' rows: row for row what posting the same events writes, once, whatever the
    number of openings; the figures then equal the line sums again."""
    history = History(11)
    last = post(store, history, 140, purge_at=70)
    balances, accounts, _ = store.balance_statements.tables
    p = "%s" if "." in balances else "?"
    wanted = [(table, f"SELECT * FROM {table} WHERE party_id = {p} ORDER BY 1, 2, 4") for table in (balances, accounts)]
    written = [store.fetch(query, [store.param(ALL_PARTIES)]) for _, query in wanted]
    assert len(written[0]) > 50 and len(written[1]) > 8
    format_table = balances.replace("journal_balances", "journal_format")

    def format_1(cursor: object) -> None:
        for table, _ in wanted:
            cursor.execute(f"DELETE FROM {table} WHERE party_id = {p}", (store.param(ALL_PARTIES),))  # type: ignore[attr-defined]
        cursor.execute(f"UPDATE {format_table} SET version = 1")  # type: ignore[attr-defined]

    rewrite(store, format_1)
    assert [store.fetch(query, [store.param(ALL_PARTIES)]) for _, query in wanted] == [[], []]
    assert store.upgrade() is True
    assert [store.fetch(query, [store.param(ALL_PARTIES)]) for _, query in wanted] == written
    assert store.upgrade() is False
    assert [store.fetch(query, [store.param(ALL_PARTIES)]) for _, query in wanted] == written
    assert_same_as_lines(store, history)
    # Posting goes on from the upgraded totals.
    post(store, history, 30, first=last + 1)
    assert_same_as_lines(store, history)


@pytest.mark.parametrize("settings", ["postgres"], indirect=True)  # SQLite always opens as the file's owner
def test_a_process_that_may_not_upgrade_refuses_a_history_of_the_first_format(store: JournalStore) -> None:
    """R-REC-1: without DDL rights (CREATE_TABLE=false) a process cannot upgrade the history, and
    reading it as it is would give every page empty totals: it refuses to start, saying what to do."""
    history = History(5)
    post(store, history, 30)
    datastore = store.datastore  # type: ignore[attr-defined]
    PostgresJournalStore(datastore, store.app_name, create_table=False)  # the current format: opens
    format_table = store.balance_statements.tables[0].replace("journal_balances", "journal_format")
    rewrite(store, lambda cursor: cursor.execute(f"UPDATE {format_table} SET version = 1"))  # type: ignore[attr-defined]
    with pytest.raises(JournalFormatOutdated, match="CREATE_TABLE=true"):
        PostgresJournalStore(datastore, store.app_name, create_table=False)
    assert store.upgrade() is True
    PostgresJournalStore(datastore, store.app_name, create_table=False)
    assert_same_as_lines(store, history)
    # Tables made by a version before the format was recorded: no journal_format at all.
    rewrite(store, lambda cursor: cursor.execute(f"DROP TABLE {format_table}"))  # type: ignore[attr-defined]
    with pytest.raises(JournalFormatOutdated, match="format 1"):
        PostgresJournalStore(datastore, store.app_name, create_table=False)
    PostgresJournalStore(datastore, store.app_name)  # the owner: makes the table and upgrades
    PostgresJournalStore(datastore, store.app_name, create_table=False)
    assert_same_as_lines(store, history)


@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
def test_a_role_that_may_not_read_the_format_is_told_which_grant_it_lacks(ledger: Ledger, store: JournalStore,
                                                                          settings: Settings) -> None:
    """The restricted service role (docs/audit.md) opens the journal with CREATE_TABLE=false: without
    SELECT on journal_format it is refused with the grant to give, with it the journal opens."""
    role = f"ledger_fmt_{uuid4().hex[:12]}"
    schema = Identifier(settings.postgres.schema_name)
    with psycopg.connect(autocommit=True, **PG) as conn:  # type: ignore[arg-type]
        conn.execute(SQL("CREATE ROLE {} LOGIN").format(Identifier(role)))
        try:
            conn.execute(SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, Identifier(role)))
            conn.execute(SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(schema, Identifier(role)))
            conn.execute(SQL("REVOKE SELECT ON {}.journal_format FROM {}").format(schema, Identifier(role)))
            env = {**settings.persistence_env(), "POSTGRES_USER": role, "CREATE_TABLE": "false"}
            service = Ledger(env=env)
            try:
                with pytest.raises(JournalFormatOutdated, match="grant it SELECT"):
                    open_store(service)
                conn.execute(SQL("GRANT SELECT ON {}.journal_format TO {}").format(schema, Identifier(role)))
                opened = open_store(service)
                assert opened.position() == store.position()
                opened.close()
            finally:
                service.close()
        finally:
            conn.execute(SQL("DROP OWNED BY {}").format(Identifier(role)))
            conn.execute(SQL("DROP ROLE {}").format(Identifier(role)))


def rewrite(store: JournalStore, work: object) -> None:
    """Run ``work(cursor)`` in one transaction of the journal's database."""
    datastore = store.datastore  # type: ignore[attr-defined]
    if isinstance(datastore, PostgresDatastore):
        with datastore.get_connection() as conn, conn.transaction(), conn.cursor() as cursor:
            work(cursor)  # type: ignore[operator]
    else:
        write_immediately(datastore, work)


def test_overdue_steps_follow_an_invoice_paid_late_in_part() -> None:
    """R-INV-6: issued 1 March for 100.00, due after 15 March; 30.00 paid on 20 March, the rest on 1 April."""
    lines = [("open_items", date(2025, 3, 1), 10_000), ("past_due", date(2025, 3, 16), 10_000)]
    assert overdue_by_date(lines) == {date(2025, 3, 1): 0, date(2025, 3, 16): 10_000}
    paid = [*lines, ("open_items", date(2025, 3, 20), -3_000), ("open_items", date(2025, 4, 1), -7_000)]
    assert overdue_by_date(paid) == {date(2025, 3, 1): 0, date(2025, 3, 16): 10_000, date(2025, 3, 20): 7_000,
                                     date(2025, 4, 1): 0}
    # A payment back-dated before the due date: the owner's overdue changes from the due date on.
    assert step_changes(overdue_by_date(lines), overdue_by_date([*lines, ("open_items", date(2025, 3, 10), -10_000)])
                        ) == {date(2025, 3, 16): -10_000}
