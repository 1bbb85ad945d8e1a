"""Latency of `GET /balances?as_of=` at 10,000 and 100,000 events, and the journal rebuild rate, on PostgreSQL.

Generates agreements with a realistic money history (ten parties, four instalments invoiced and
paid, quarterly spending) through the domain aggregates, saved in batches, in a schema of its own
(dropped at the end). At each size it brings the journal up to date, then times the balances route
in-process (FastAPI's test client, so routing, validation, the agreement, the invoice book and the
journal query are all in it) for one agreement at several dates, and prints p50 and p99. At the end
it times reading and decoding every notification against rebuilding the journal with the real
money postings, and prints both rates and their ratio.

PostgreSQL is the tests' one: POSTGRES_HOST, POSTGRES_PORT, LEDGER_TEST_POSTGRES_DBNAME (test),
LEDGER_TEST_POSTGRES_USER (postgres), LEDGER_TEST_POSTGRES_PASSWORD.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from api.settings import PostgresSettings, Settings  # noqa: E402
from domain.application import Ledger  # noqa: E402
from domain.invoice import Invoice, InvoiceBook  # noqa: E402
from domain.spending import SpendingLog, quarter_of  # noqa: E402
from projections.runner import JournalRunner  # noqa: E402
from tests.api.helpers import valid_business_ids  # noqa: E402

PG = {"host": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
      "port": int(os.environ.get("POSTGRES_PORT", "5432")),
      "dbname": os.environ.get("LEDGER_TEST_POSTGRES_DBNAME", "test"),
      "user": os.environ.get("LEDGER_TEST_POSTGRES_USER", "postgres"),
      "password": os.environ.get("LEDGER_TEST_POSTGRES_PASSWORD", "")}
PARTIES = 10
DATES = [date(2025, 3, 31), date(2025, 9, 30), date(2026, 3, 31), date(2026, 12, 31)]
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


def latencies(client: TestClient, token: str, agreement_id: str, rounds: int) -> tuple[float, float, float, float]:
    """p50 and p99 in the service (its Server-Timing header), then as the in-process client saw them."""
    samples, server = [], []
    for i in range(rounds):
        day = DATES[i % len(DATES)]
        started = time.perf_counter()
        response = client.get(f"/v1/agreements/{agreement_id}/balances", params={"as_of": day.isoformat()},
                              headers={"Authorization": f"Bearer {token}"})
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
        server.append(float(response.headers["server-timing"].split("dur=")[1]))

    def p99(values: list[float]) -> float:
        return sorted(values)[min(len(values) - 1, int(len(values) * 0.99))]

    return statistics.median(server), p99(server), statistics.median(samples), p99(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="event counts to measure at")
    parser.add_argument("--rounds", type=int, default=400, help="requests per size")
    args = parser.parse_args()
    schema = f"ledger_bench_{os.getpid()}"
    with psycopg.connect(autocommit=True, **PG) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    settings = Settings(database="postgres", journal_follow=False, log_level="ERROR", postgres=PostgresSettings(
        host=PG["host"], port=PG["port"], dbname=PG["dbname"], user=PG["user"], password=PG["password"],
        POSTGRES_SCHEMA=schema))
    try:
        with TestClient(create_app(settings)) as client:
            ledger: Ledger = client.app.state.ledger
            runner: JournalRunner = client.app.state.journal
            token = ledger.issue_token(role="finance", business_id=None, label="bench", issued_on=date(2025, 1, 1))[1]
            agreement_with_history(ledger, 1)
            number = 1
            probe = ledger.agreement_ids()[0]
            print(f"{'events':>8} {'catch-up s':>10} {'p50 ms':>8} {'p99 ms':>8} {'client p50':>11} {'client p99':>11}")
            for size in (int(s) for s in args.sizes.split(",")):
                number = grow(ledger, size, number)
                started = time.perf_counter()
                runner.catch_up()
                caught = time.perf_counter() - started
                latencies(client, token, str(probe), 20)  # warm the pools and caches
                if os.environ.get("BENCH_PROFILE"):
                    from projections.queries import balance_sums
                    for name, work in (("authenticate", lambda: ledger.authenticate(token)),
                                       ("list_parties", lambda: ledger.list_parties(probe, limit=500, as_of=DATES[0])),
                                       ("balance_sums", lambda: balance_sums(runner.store, probe, as_of=DATES[0])),
                                       ("catch_up", runner.catch_up), ("wait_for", runner.wait_for)):
                        started = time.perf_counter()
                        for _ in range(50):
                            work()
                        print(f"  {name}: {(time.perf_counter() - started) * 20:.2f} ms")
                p50, p99, client_p50, client_p99 = latencies(client, token, str(probe), args.rounds)
                events = ledger.recorder.max_notification_id()
                print(f"{events:>8} {caught:>10.1f} {p50:>8.2f} {p99:>8.2f} {client_p50:>11.2f} {client_p99:>11.2f}")
            events = ledger.recorder.max_notification_id() or 0
            started = time.perf_counter()
            position = 0
            while batch := ledger.recorder.select_notifications(start=position + 1, limit=500):
                for notification in batch:
                    ledger.mapper.to_domain_event(notification)
                position = batch[-1].id
            read_rate = events / (time.perf_counter() - started)
            started = time.perf_counter()
            runner.rebuild()
            rebuild_rate = events / (time.perf_counter() - started)
            print(f"read and decode: {read_rate:,.0f} events/s; rebuild with the money postings: "
                  f"{rebuild_rate:,.0f} events/s; ratio {rebuild_rate / read_rate:.0%} (goal ≥ 60 %)")
    finally:
        with psycopg.connect(autocommit=True, **PG) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
