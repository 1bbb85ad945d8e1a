"""Figures at the size users reach: an agreement of 500 parties, 10,000 invoices and 100,000 journal lines
beside one of 10 parties and 200 invoices, measured in the same run on PostgreSQL.

Both agreements are written through the domain aggregates (as ``benchmarks/history.py`` does: the
invoice book numbers every invoice, each invoice is issued and paid by its own events), saved a
few hundred invoices at a time, so the journal is posted by the runner from the events exactly as in
service. Each party gets 20 invoices over a year and pays 19 of them in full and the last in part,
so both agreements have overdue invoices; the big one's journal holds 100,048 lines.

Printed: ``GET …/balances`` and ``GET …/funding`` p50 and p99 for each agreement (the service's own
``Server-Timing``, in-process through FastAPI's test client), whole and a page of 10 parties (``limit=10``,
with every party's totals), a party's own balances, the journal's
part of balances alone (``balance_sums``: every account's sum and overdue), and the ratio big / small; then, with a server process of its own (uvicorn, ``ledger serve``), requests per second
at 16 clients for ``/health`` and for the big agreement's balances. Figures only: nothing is
asserted on time.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4


sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from benchmarks.history import PG, bench_settings  # noqa: E402
from domain.application import Ledger  # noqa: E402
from domain.invoicing.invoices import Invoice, InvoiceBook  # noqa: E402
from domain.invoicing.spending import SpendingLog, quarter_of  # noqa: E402
from projections.journal.queries import balance_sums  # noqa: E402
from tests.api.helpers import valid_business_ids  # noqa: E402

INVOICES_PER_PARTY = 20
SAVE_EVERY = 200  # invoices per save: each save stays well under a megabyte of events
AS_OF = (date(2025, 6, 30), date(2025, 12, 31), date(2026, 6, 30))


def agreement(ledger: Ledger, code: str, parties: int, prefix: str,
              per_party: int = INVOICES_PER_PARTY) -> tuple[UUID, list[str]]:
    """An agreement of ``parties`` parties, ``per_party`` invoices each from 2025 on (17 days apart, or
    daily when there are more than 20), all but one paid, and two years of monthly spending; returns its
    id and the parties' business ids."""
    bids = valid_business_ids(parties)
    aid = ledger.create_agreement(
        code=code, title="Benchmark network", starts_on=date(2025, 1, 1), ends_on=date(2026, 12, 31),
        coordinator={"name": "Valtori", "business_id": "2574261-7"},
        cost_sharing={"model": "equal", "total": f"{parties * 50_000}.00"},
        instalments=[{"issue_on": date(2025, 1, 15) + timedelta(days=182 * i), "share": "1/4"}
                     for i in range(4)])["id"]
    held = ledger._agreement(aid)  # noqa: SLF001 - the benchmark builds history in bulk
    for n, bid in enumerate(bids):
        held.accede(name=f"Party {n}", business_id=bid, signed_on=date(2025, 1, 1))
    ledger.save(held)
    book = InvoiceBook(agreement_id=held.id, code=held.code, reference_prefix=prefix)
    pending: list[Invoice] = []
    for k in range(per_party):
        issued_on = date(2025, 1, 15) + timedelta(days=(17 if per_party <= INVOICES_PER_PARTY else 1) * k)
        for party in held.parties_in_order():
            invoice = Invoice.issue(book=book, party_id=party["party_id"], kind="instalments", instalments=[k + 1],
                                    period=None, lines=[{"description": f"Instalment {k + 1}",
                                                         "amount": Decimal("2500.00")}],
                                    issued_on=issued_on, payment_term_days=21)
            paid = Decimal("2500.00") if k < per_party - 1 else Decimal("1000.00")
            invoice.receive_payment(payment_id=uuid4(), amount=paid, paid_on=issued_on + timedelta(days=20),
                                    bank_reference=None, source="invoice")
            pending.append(invoice)
            if len(pending) == SAVE_EVERY:
                ledger.save(book, *pending)
                pending = []
    logs: dict[str, SpendingLog] = {}
    for month in range(24):
        day = date(2025 + month // 12, month % 12 + 1, 28)
        log = logs.setdefault(quarter_of(day), SpendingLog(agreement_id=held.id, quarter=quarter_of(day)))
        log.record(amount=Decimal("3000.00"), booked_on=day, category="licences", description="Licences",
                   borne_by=None)
    ledger.save(book, *pending, *logs.values())
    return aid, bids


def p99(values: list[float]) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * 0.99))]


def timed(client: TestClient, path: str, token: str, rounds: int, **extra: object) -> tuple[float, float]:
    """p50 and p99 in ms of the service's own time (Server-Timing) over ``rounds`` requests at three dates."""
    server = []
    for i in range(rounds):
        response = client.get(path, params={"as_of": AS_OF[i % len(AS_OF)].isoformat(), **extra},
                              headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        server.append(float(response.headers["server-timing"].split("dur=")[1]))
    return statistics.median(server), p99(server)


def journal_query(store: object, agreement_id: UUID, rounds: int) -> tuple[float, float]:
    """p50 and p99 in ms of the journal's part of balances alone: every account's sum and overdue."""
    samples = []
    for i in range(rounds):
        started = time.perf_counter()
        balance_sums(store, agreement_id, as_of=AS_OF[i % len(AS_OF)])
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), p99(samples)


def throughput(base: str, path: str, token: str, clients: int, seconds: float) -> float:
    """Requests per second that ``clients`` threads, each with a connection of its own, get answered."""
    done = [0] * clients
    stop = time.perf_counter() + seconds

    def work(n: int) -> None:
        conn = http.client.HTTPConnection(base, timeout=30)
        try:
            while time.perf_counter() < stop:
                conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
                response = conn.getresponse()
                response.read()
                assert response.status == 200, response.status
                done[n] += 1
        finally:
            conn.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - started)


def serve(schema: str, port: int) -> subprocess.Popen[bytes]:
    """``ledger serve`` on the benchmark's schema, in a process of its own."""
    env = {**os.environ, "LEDGER_DATABASE": "postgres", "LEDGER_LOG_LEVEL": "ERROR", "POSTGRES_HOST": PG["host"],
           "POSTGRES_PORT": str(PG["port"]), "POSTGRES_DBNAME": PG["dbname"], "POSTGRES_USER": PG["user"],
           "POSTGRES_PASSWORD": PG["password"], "POSTGRES_SCHEMA": schema,
           "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    process = subprocess.Popen([sys.executable, "-c", "from api.cli import main; raise SystemExit(main())",
                                "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL)
    for _ in range(600):
        try:
            conn = http.client.HTTPConnection(f"127.0.0.1:{port}", timeout=1)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parties", type=int, default=500, help="parties of the big agreement")
    parser.add_argument("--invoices-per-party", type=int, default=INVOICES_PER_PARTY,
                        help="invoices of each party of the big agreement")
    parser.add_argument("--rounds", type=int, default=100, help="requests per figure and agreement")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each throughput run")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    with bench_settings(journal_follow=False, log_level="ERROR") as settings:
        with TestClient(create_app(settings)) as client:
            ledger: Ledger = client.app.state.ledger
            token = ledger.issue_token(role="finance", business_id=None, label="bench", issued_on=date(2025, 1, 1))[1]
            started = time.perf_counter()
            small, _ = agreement(ledger, "SMALL", 10, "1")
            big, big_bids = agreement(ledger, "BIG", args.parties, "2", args.invoices_per_party)
            built = time.perf_counter() - started
            started = time.perf_counter()
            client.app.state.journal.catch_up()
            caught = time.perf_counter() - started
            client.app.state.audit.catch_up()
            lines = {name: client.app.state.journal.store.count_lines(aid) for name, aid in (("small", small),
                                                                                         ("big", big))}
            print(f"events {ledger.recorder.max_notification_id()}, written in {built:.1f} s; journal caught up "
                  f"in {caught:.1f} s; lines: small {lines['small']}, big {lines['big']}", flush=True)
            party = ledger.issue_token(role="party", business_id=big_bids[250 % len(big_bids)], label="bench",
                                       issued_on=date(2025, 1, 1))[1]
            small_party = ledger.issue_token(role="party", business_id=valid_business_ids(10)[5], label="bench",
                                             issued_on=date(2025, 1, 1))[1]
            print(f"{'figure':<26} {'10 p50':>8} {'10 p99':>8} {'big p50':>10} {'big p99':>10} "
                  f"{'ratio p50':>10}", flush=True)
            measures = [(f"/v1/agreements/{{}}/{figure}", figure, token, token, {}) for figure in ("balances", "funding")]
            measures += [(f"/v1/agreements/{{}}/{figure}", f"{figure}, a page of 10", token, token, {"limit": 10})
                         for figure in ("balances", "funding")]
            measures.append(("/v1/agreements/{}/balances", "balances, a party's own", small_party, party, {}))
            for path, figure, small_token, big_token, extra in measures:
                for aid, tok in ((small, small_token), (big, big_token)):
                    timed(client, path.format(aid), tok, 20, **extra)  # warm the pools and caches
                (s50, s99), (b50, b99) = (timed(client, path.format(aid), tok, args.rounds, **extra)
                                          for aid, tok in ((small, small_token), (big, big_token)))
                print(f"{figure:<26} {s50:>8.2f} {s99:>8.2f} {b50:>10.2f} {b99:>10.2f} {b50 / s50:>9.1f}×",
                      flush=True)
            store = client.app.state.journal.store
            (s50, s99), (b50, b99) = (journal_query(store, aid, args.rounds) for aid in (small, big))
            print(f"{'journal query alone':<26} {s50:>8.2f} {s99:>8.2f} {b50:>10.2f} {b99:>10.2f} "
                  f"{b50 / s50:>9.1f}×", flush=True)
        schema = settings.postgres.schema_name
        server = serve(schema, args.port)
        try:
            base = f"127.0.0.1:{args.port}"
            throughput(base, f"/v1/agreements/{big}/balances", token, args.clients, 2)  # warm up
            health = throughput(base, "/health", token, args.clients, args.seconds)
            balances = throughput(base, f"/v1/agreements/{big}/balances", token, args.clients, args.seconds)
            print(f"at {args.clients} clients: /health {health:.0f}/s, balances of the big agreement "
                  f"{balances:.0f}/s = {balances / health:.2f} of /health")
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
