"""Writes at 500 parties against 10, an invoicing run of 10,000 invoices, and payments over HTTP beside raw
INSERT+COMMIT, on PostgreSQL (the tests' server), in a schema of its own dropped at the end.

Prints, from one run: payment by reference and credit note p50/p99 in an agreement of 10 parties and in one
of 500 parties with 10,000 invoices (and their ratio); the invoicing run of 10,000 invoices (seconds); payments
over HTTP (uvicorn on loopback) at 1, 8 and 32 clients with the share refused, beside raw
INSERT+COMMIT at the same client counts and beside the least a Python HTTP service does for a write
(``benchmarks/bare_write.py`` under the same uvicorn), with one server process and with two
(``--workers``); snapshot bytes against event bytes.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.history import PG, bench_settings  # noqa: E402
from domain.application import Ledger  # noqa: E402
from tests.api.helpers import valid_business_ids  # noqa: E402

INSTALMENTS = 20
START = date(2025, 1, 15)
RUN_ON = date(2026, 12, 31)
PAID_ON = date(2027, 1, 10)


def p99(values: list[float]) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * 0.99))]


def agreement(ledger: Ledger, code: str, parties: int) -> UUID:
    """An agreement of ``parties`` parties with twenty monthly instalments (so 20 invoices a party)."""
    aid = UUID(ledger.create_agreement(
        code=code, title="Benchmark network", starts_on=date(2025, 1, 1), ends_on=date(2026, 12, 31),
        coordinator={"name": "Valtori", "business_id": "2574261-7"},
        cost_sharing={"model": "equal", "total": f"{parties * 20_000}.00"},
        instalments=[{"issue_on": START + timedelta(days=30 * i), "share": f"1/{INSTALMENTS}"}
                     for i in range(INSTALMENTS)])["id"])
    bulk = ledger._agreement(aid)  # noqa: SLF001 - the benchmark builds membership in bulk
    for n, bid in enumerate(valid_business_ids(parties, start=2_000_000)):
        bulk.accede(name=f"Party {n}", business_id=bid, signed_on=date(2025, 1, 1))
    ledger.save(bulk)
    return aid


def invoices(ledger: Ledger, aid: UUID, count: int) -> list[dict[str, Any]]:
    """``count`` invoices of an agreement, spread over its number series."""
    page = ledger.list_invoices(aid, as_of=RUN_ON, limit=500)
    return [page[i * len(page) // count] for i in range(count)]


def timed(work: Callable[[], Any]) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


def in_process(ledger: Ledger, small: UUID, large: UUID, rounds: int) -> dict[str, list[float]]:
    """Payments by reference and credit notes, alternating between the two agreements."""
    picks = {size: invoices(ledger, aid, rounds) for size, aid in (("10", small), ("500", large))}
    samples: dict[str, list[float]] = {f"{what} {size}": [] for what in ("payment", "credit note")
                                       for size in ("10", "500")}
    for i in range(rounds):
        for size, aid in (("10", small), ("500", large)):
            bill = picks[size][i]
            samples[f"payment {size}"].append(timed(lambda: ledger.record_payment_by_reference(
                aid, reference=bill["reference"], amount="1.00", paid_on=PAID_ON, bank_reference=f"P{size}-{i}")))
            samples[f"credit note {size}"].append(timed(lambda: ledger.issue_credit_note(
                UUID(bill["id"]), amount="0.01", issued_on=PAID_ON, reason="Benchmark")))
    return samples


def serve(settings: Any, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    """The API on loopback (uvicorn, ``workers`` processes), on the benchmark's schema."""
    pg = settings.postgres
    env = {**os.environ, "LEDGER_DATABASE": "postgres", "LEDGER_LOG_LEVEL": "ERROR",
           "LEDGER_JOURNAL_FOLLOW": "false", "LEDGER_AUDIT_INTERVAL_S": "3600", "POSTGRES_HOST": pg.host,
           "POSTGRES_PORT": str(pg.port), "POSTGRES_DBNAME": pg.dbname, "POSTGRES_USER": pg.user,
           "POSTGRES_PASSWORD": pg.password, "POSTGRES_SCHEMA": pg.schema_name, "POSTGRES_POOL_SIZE": "16",
           "POSTGRES_MAX_OVERFLOW": "24", "LEDGER_WORKERS": str(workers), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    server = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return _started(server, port, workers)


def _cpu_ticks(pid: int) -> int:
    """CPU ticks (user and system) used so far by a process and its children that are still running."""
    total = 0
    for each in [pid, *_children(pid)]:
        try:
            total += sum(int(x) for x in Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()[11:13])
        except (OSError, ValueError):
            continue
    return total


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(child) for child in found]


def settle(server: subprocess.Popen[bytes], timeout_s: float = 300.0) -> float:
    """Wait until the server's processes are idle (under a tenth of a CPU for a second): what it does on
    starting (sealing the audit chain over the history just written, filling its caches) is not a
    payment's cost. Returns the seconds waited."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout_s:
        before = _cpu_ticks(server.pid)
        time.sleep(1.0)
        if _cpu_ticks(server.pid) - before < os.sysconf("SC_CLK_TCK") // 10:
            break
    return time.perf_counter() - started


def _started(server: subprocess.Popen[bytes], port: int, workers: int) -> subprocess.Popen[bytes]:
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            time.sleep(1.0 if workers > 1 else 0)  # the other workers may still be starting
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the server did not start")


def serve_bare(schema: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    """The bare write application (``benchmarks/bare_write.py``) under the same uvicorn, on its own table."""
    table = f'"{schema}".bare_writes'
    with psycopg.connect(autocommit=True, **PG) as conn:  # type: ignore[arg-type]
        conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (id bigserial PRIMARY KEY, body text)")
    conninfo = psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in PG.items()})
    env = {**os.environ, "BARE_CONNINFO": conninfo, "BARE_TABLE": table,
           "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "benchmarks.bare_write:app", "--port", str(port),
                               "--workers", str(workers), "--log-level", "error", "--no-access-log"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return _started(server, port, workers)


def http_payments(port: int, token: str, bills: list[dict[str, Any]], clients: int, seconds: float,
                  tag: str) -> dict[str, float]:
    """Clients paying distinct invoices of one agreement for ``seconds``: rate, p50, p99, share refused."""
    lock, latencies, refused, stop = threading.Lock(), [], [0], time.perf_counter() + seconds

    def client(number: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        own, sent = [], 0
        while time.perf_counter() < stop:
            bill = bills[(number + sent * clients) % len(bills)]
            body = json.dumps({"amount": "0.01", "paid_on": PAID_ON.isoformat(),
                               "bank_reference": f"{tag}-{number}-{sent}"})
            started = time.perf_counter()
            conn.request("POST", f"/v1/invoices/{bill['id']}/payments", body=body,
                         headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                                  "Idempotency-Key": f"{tag}-{number}-{sent}"})
            response = conn.getresponse()
            response.read()
            own.append((time.perf_counter() - started) * 1000)
            sent += 1
            if response.status != 201:
                with lock:
                    refused[0] += 1
        with lock:
            latencies.extend(own)
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"rate": len(latencies) / seconds, "p50": statistics.median(latencies), "p99": p99(latencies),
            "refused": refused[0] / max(1, len(latencies))}


def raw_inserts(schema: str, clients: int, seconds: float) -> float:
    """INSERT+COMMIT of a small row per transaction by ``clients`` connections: rows a second."""
    with psycopg.connect(autocommit=True, **PG) as conn:  # type: ignore[arg-type]
        conn.execute(f'CREATE TABLE IF NOT EXISTS "{schema}".raw_bench (id bigserial primary key, body text)')
    counts, stop = [0] * clients, time.perf_counter() + seconds

    def client(number: int) -> None:
        with psycopg.connect(**PG) as conn:  # type: ignore[arg-type]
            while time.perf_counter() < stop:
                conn.execute(f'INSERT INTO "{schema}".raw_bench (body) VALUES (%s)', ("x" * 300,))
                conn.commit()
                counts[number] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


def stored_bytes(schema: str) -> tuple[int, int]:
    """Bytes of event state and of snapshot state in the benchmark's schema."""
    with psycopg.connect(autocommit=True, **PG) as conn:  # type: ignore[arg-type]
        tables = [row[0] for row in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,))]
        sizes = {table: conn.execute(f'SELECT coalesce(sum(octet_length(state)), 0) FROM "{schema}"."{table}"')
                 .fetchone()[0] for table in tables if table.endswith(("_events", "_snapshots"))}
    return (sum(size for table, size in sizes.items() if table.endswith("_events")),
            sum(size for table, size in sizes.items() if table.endswith("_snapshots")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parties", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=200, help="payments and credit notes per agreement")
    parser.add_argument("--seconds", type=float, default=5.0, help="per client count over HTTP")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", default="1,2", help="server processes to measure HTTP payments with")
    args = parser.parse_args()
    with bench_settings(journal_follow=False, log_level="ERROR") as settings:
        ledger = Ledger(env=settings.persistence_env())
        small, large = agreement(ledger, "W10", 10), agreement(ledger, "W500", args.parties)
        started = time.perf_counter()
        issued_small = len(ledger.run_invoicing(small, as_of=RUN_ON)["issued"])
        small_s = time.perf_counter() - started
        started = time.perf_counter()
        issued = len(ledger.run_invoicing(large, as_of=RUN_ON)["issued"])
        run_s = time.perf_counter() - started
        print(f"invoicing run: {issued_small} invoices in {small_s:.2f} s; {issued} invoices in {run_s:.2f} s "
              f"({issued / run_s:,.0f} invoices/s)")
        samples = in_process(ledger, small, large, args.rounds)
        print(f"{'in-process':<14} {'p50 ms':>8} {'p99 ms':>8}   (10 parties / 500 parties)")
        for what in ("payment", "credit note"):
            a, b = samples[f"{what} 10"], samples[f"{what} 500"]
            print(f"{what:<14} {statistics.median(a):>8.2f} {p99(a):>8.2f}   10 parties")
            print(f"{'':<14} {statistics.median(b):>8.2f} {p99(b):>8.2f}   {args.parties} parties: p50 "
                  f"{statistics.median(b) / statistics.median(a):.2f}x, p99 {p99(b) / p99(a):.2f}x")
        token = ledger.issue_token(role="finance", business_id=None, label="bench", issued_on=date(2025, 1, 1))[1]
        bills = ledger.list_invoices(large, as_of=RUN_ON, limit=500)
        ledger.close()
        print(f"{'workers':>7} {'clients':>7} {'payments/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'refused':>8} "
              f"{'raw/s':>8} {'ratio':>6} {'bare/s':>8} {'of bare':>7}")
        schema = settings.postgres.schema_name
        settled: dict[int, float] = {}
        for workers in (int(w) for w in args.workers.split(",")):
            found: dict[int, dict[str, float]] = {}
            bare: dict[int, float] = {}
            server = serve(settings, args.port, workers)
            try:
                settled[workers] = settle(server)
                http_payments(args.port, token, bills, 4, 1.0, f"warm{workers}")
                settle(server)
                for clients in (1, 8, 32):
                    found[clients] = http_payments(args.port, token, bills, clients, args.seconds,
                                                   f"w{workers}h{clients}")
            finally:
                server.terminate()
                server.wait(30)
            server = serve_bare(schema, args.port, workers)
            try:
                http_payments(args.port, token, bills, 4, 1.0, f"bare{workers}")
                for clients in (1, 8, 32):
                    bare[clients] = http_payments(args.port, token, bills, clients, args.seconds,
                                                  f"b{workers}h{clients}")["rate"]
            finally:
                server.terminate()
                server.wait(30)
            for clients in (1, 8, 32):
                raw, got = raw_inserts(schema, clients, args.seconds), found[clients]
                print(f"{workers:>7} {clients:>7} {got['rate']:>10.0f} {got['p50']:>8.1f} {got['p99']:>8.1f} "
                      f"{got['refused']:>8.1%} {raw:>8.0f} {got['rate'] / raw:>6.2f} {bare[clients]:>8.0f} "
                      f"{got['rate'] / bare[clients]:>7.2f}")
        print("servers idle after starting in " + ", ".join(f"{s:.0f} s ({w} process{'es' if w > 1 else ''})"
                                                          for w, s in settled.items()))
        events, snapshots = stored_bytes(settings.postgres.schema_name)
        print(f"stored: events {events / 1e6:.1f} MB, snapshots {snapshots / 1e6:.1f} MB "
              f"(snapshots/events {snapshots / max(1, events):.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
