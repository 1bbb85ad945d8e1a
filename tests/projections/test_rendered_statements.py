"""The event-store library's statements rendered once (``projections/records/rendered.py``) are the same
statements, byte for byte, as the library's composed ones; and the ledger records, locks, notifies and
reads its events with them."""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import Any
from uuid import UUID

import psycopg
import pytest
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresTrackingRecorder
from psycopg.sql import SQL, Composed, Identifier

from api.settings import Settings
from domain.application import Ledger
from projections.journal.queries import balance_sums
from projections.journal.runner import JournalRunner
from projections.records.rendered import render_statements
from tests.conftest import PG

pytestmark = pytest.mark.persistence


def same_text(datastore: Any, plain: Any, rendered: Any, names: list[str]) -> None:
    with datastore.get_connection() as conn:
        for name in names:
            before, after = getattr(plain, name), getattr(rendered, name)
            pairs = zip(before, after, strict=True) if isinstance(before, list) else [(before, after)]
            for composed, text in pairs:
                assert isinstance(composed, Composed) and type(text) is SQL, name
                assert composed.as_string(conn) == text.as_string(conn), name


@pytest.mark.parametrize("settings", ["postgres"], indirect=True)  # SQLite's statements are plain text
def test_rendered_statements_are_the_librarys_statements(ledger: Ledger) -> None:
    """R-REC-1: every statement rendered equals the composed one as the connection renders it."""
    datastore = ledger.recorder.datastore  # type: ignore[attr-defined]
    table = ledger.recorder.events_table_name  # type: ignore[attr-defined]
    plain, rendered = (PostgresApplicationRecorder(datastore, events_table_name=table) for _ in range(2))
    names = render_statements(rendered)
    assert {"insert_events_statement", "select_events_statement", "lock_table_statements",
            "max_notification_id_statement"} <= set(names)
    same_text(datastore, plain, rendered, names)
    plain_tracking, tracking = (PostgresTrackingRecorder(datastore, tracking_table_name="journal_tracking")
                                for _ in range(2))
    names = render_statements(tracking)
    assert len(names) >= 2
    same_text(datastore, plain_tracking, tracking, names)
    assert type(ledger.recorder.insert_events_statement) is SQL  # type: ignore[attr-defined]


def test_a_payment_is_recorded_read_and_posted_with_the_rendered_statements(ledger: Ledger) -> None:
    """R-INV-4: an invoice paid in part, read back, and the journal following it, on either database."""
    aid = _agreement(ledger, "REND")
    ledger.accede(aid, name="Kela", business_id="0246246-0", signed_on=date(2026, 1, 1))
    invoice = UUID(ledger.run_invoicing(aid, as_of=date(2026, 1, 15))["issued"][0])
    paid = ledger.record_payment(invoice, amount="400.00", paid_on=date(2026, 1, 20), bank_reference="REND-1")
    assert paid["outstanding"] == "600.00"
    assert ledger.get_invoice(invoice, as_of=date(2026, 1, 31))["outstanding"] == "600.00"
    with JournalRunner(ledger) as runner:
        runner.catch_up()
        assert runner.store.position() == ledger.recorder.max_notification_id()
        sums, _ = balance_sums(runner.store, aid, as_of=date(2026, 1, 31))
    assert sum(amount for (account, _), amount in sums.items() if account == "receivable") == 600


@pytest.mark.parametrize("functions", ["false", "true"], ids=["default", "POSTGRES_ENABLE_DB_FUNCTIONS"])
@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
def test_the_insert_function_takes_the_tables_lock_and_notifies_its_listeners(settings: Settings,
                                                                             functions: str) -> None:
    """R-REC-1: events are inserted one transaction at a time, in the order of their notification ids,
    so a reader following the log never passes a gap filled later. A transaction holding an ordinary
    writer's lock (ROW EXCLUSIVE, which a plain insert shares) holds up a save until it ends; and the
    journal's listeners are told of every insert. Also with the library's setting for inserting by a
    database function (its own function takes no lock)."""
    ledger = Ledger(env={**settings.persistence_env(), "POSTGRES_ENABLE_DB_FUNCTIONS": functions})
    try:
        _held_up_by_the_lock(ledger)
    finally:
        ledger.close()


def _held_up_by_the_lock(ledger: Ledger) -> None:
    datastore = ledger.recorder.datastore  # type: ignore[attr-defined]
    table = ledger.recorder.events_table_name  # type: ignore[attr-defined]
    events = SQL("{}.{}").format(Identifier(datastore.schema), Identifier(table))
    channel = Identifier(ledger.recorder.channel_name)  # type: ignore[attr-defined]
    done, made = threading.Event(), []
    with psycopg.connect(autocommit=True, **PG) as listener, psycopg.connect(**PG) as writer:  # type: ignore[arg-type]
        listener.execute(SQL("LISTEN {}").format(channel))
        writer.execute(SQL("LOCK TABLE {} IN ROW EXCLUSIVE MODE").format(events))
        saving = threading.Thread(target=lambda: (made.append(_agreement(ledger, "LOCKED")), done.set()))
        saving.start()
        time.sleep(0.5)
        assert not done.is_set()  # waiting for the lock: an insert without it would be done by now
        writer.rollback()
        saving.join(10)
        assert done.is_set()
        assert list(listener.notifies(timeout=2, stop_after=1))
    assert ledger.get_agreement(made[0], as_of=date(2026, 1, 1))["code"] == "LOCKED"


def _agreement(ledger: Ledger, code: str) -> UUID:
    return UUID(ledger.create_agreement(
        code=code, title="Rendered statements", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31),
        coordinator={"name": "Valtori", "business_id": "2574261-7"},
        cost_sharing={"model": "equal", "total": "1000.00"},
        instalments=[{"issue_on": date(2026, 1, 15), "share": "1/1"}])["id"])
