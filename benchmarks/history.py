"""A realistic money history for the benchmarks, generated through the domain aggregates.

Each agreement has ten parties, four instalments invoiced to each and paid, and a year of monthly
spending: about 130 events, most of them money events. PostgreSQL is the tests' one: POSTGRES_HOST,
POSTGRES_PORT, LEDGER_TEST_POSTGRES_DBNAME (test), LEDGER_TEST_POSTGRES_USER (postgres),
LEDGER_TEST_POSTGRES_PASSWORD.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.settings import PostgresSettings, Settings  # noqa: E402
from domain.application import Ledger  # noqa: E402
from domain.invoicing.invoices import Invoice, InvoiceBook  # noqa: E402
from domain.invoicing.spending import SpendingLog, quarter_of  # noqa: E402
from tests.api.helpers import valid_business_ids  # noqa: E402

PG = {"host": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
      "port": int(os.environ.get("POSTGRES_PORT", "5432")),
      "dbname": os.environ.get("LEDGER_TEST_POSTGRES_DBNAME", "test"),
      "user": os.environ.get("LEDGER_TEST_POSTGRES_USER", "postgres"),
      "password": os.environ.get("LEDGER_TEST_POSTGRES_PASSWORD", "")}
PARTIES = 10
BIDS = valid_business_ids(PARTIES)


def agreement_with_history(ledger: Ledger, number: int) -> int:
    """One agreement: ten parties, four instalments invoiced and paid, a year of quarterly spending."""
    before = ledger.recorder.max_notification_id() or 0
    aid = ledger.create_agreement(
        code=f"BENCH-{number}", title="Benchmark network", starts_on=date(2025, 1, 1), ends_on=date(2026, 12, 31),
        coordinator={"name": "Valtori", "business_id": "2574261-7"},
        cost_sharing={"model": "equal", "total": "100000.00"},
        instalments=[{"issue_on": date(2025, 1, 15) + timedelta(days=182 * i), "share": "1/4"} for i in range(4)])["id"]
    agreement = ledger._agreement(aid)  # noqa: SLF001 - the benchmark builds history in bulk
    for n, bid in enumerate(BIDS):
        agreement.accede(name=f"Party {n}", business_id=bid, signed_on=date(2025, 1, 1))
    ledger.save(agreement)
    book = InvoiceBook(agreement_id=agreement.id, code=agreement.code, reference_prefix=str(number))
    invoices = []
    for i, inst in enumerate(agreement.plan, start=1):
        for party in agreement.parties_in_order():
            invoice = Invoice.issue(book=book, party_id=party["party_id"], kind="instalments", instalments=[i],
                                    period=None, lines=[{"description": f"Instalment {i}",
                                                         "amount": Decimal("2500.00")}],
                                    issued_on=inst.issue_on, payment_term_days=21)
            invoice.receive_payment(payment_id=uuid4(), amount=Decimal("2500.00"),
                                    paid_on=inst.issue_on + timedelta(days=20), bank_reference=None, source="invoice")
            invoices.append(invoice)
    logs: dict[str, SpendingLog] = {}
    for month in range(1, 13):
        day = date(2025, month, 28)
        log = logs.setdefault(quarter_of(day), SpendingLog(agreement_id=agreement.id, quarter=quarter_of(day)))
        log.record(amount=Decimal("3000.00"), booked_on=day, category="licences", description="Licences",
                   borne_by=None)
    ledger.save(book, *invoices[:20])
    ledger.save(*invoices[20:], *logs.values())
    return (ledger.recorder.max_notification_id() or 0) - before


def grow(ledger: Ledger, target: int, number: int) -> int:
    while (ledger.recorder.max_notification_id() or 0) < target:
        number += 1
        agreement_with_history(ledger, number)
    return number


@contextmanager
def bench_settings(**settings: object) -> Iterator[Settings]:
    """Settings for the tests' PostgreSQL in a schema of the benchmark's own, dropped afterwards."""
    schema = f"ledger_bench_{os.getpid()}"
    with psycopg.connect(autocommit=True, **PG) as conn:  # type: ignore[arg-type]
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield Settings(database="postgres", postgres=PostgresSettings(  # type: ignore[arg-type]
            host=PG["host"], port=PG["port"], dbname=PG["dbname"], user=PG["user"], password=PG["password"],
            POSTGRES_SCHEMA=schema), **settings)
    finally:
        with psycopg.connect(autocommit=True, **PG) as conn:  # type: ignore[arg-type]
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def bulk_ledger(settings: Settings) -> Ledger:
    """The Ledger on those settings, without snapshots: they are not in the notification log, and
    leaving them out only makes generating faster."""
    return Ledger(env={**settings.persistence_env(), "IS_SNAPSHOTTING_ENABLED": "n"})
