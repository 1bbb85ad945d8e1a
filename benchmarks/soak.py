"""Soak: mixed reads and writes against `ledger serve` on loopback and PostgreSQL, minute by minute.

Several clients (SOAK_CLIENTS, 4) each loop over a mix: payments by reference with a bank archive id
and an Idempotency-Key (matched, and unmatched with an unknown reference), invoice lists, one invoice,
balances, funding, the agreement, its parties, a party's own invoices, a 404 and a 401. Meanwhile the
ledger grows: a new agreement with three invoices every SOAK_GROW_SECONDS (2; 0 for none), whose
invoices the payments then go to (see ``Load``). Every minute it prints the server's RSS and the
requests' p50 and p99 that minute; SOAK_MINUTES (10) sets the length. On a PostgreSQL server without
autovacuum (the tests' server) it vacuums the soak's tables every SOAK_VACUUM_MINUTES (1; 0 never). With
SOAK_TRACEMALLOC=1 the server traces its allocations and writes, every minute, the 15 source lines
whose memory grew most since the first minute into its log (shown at the end).

    PYTHONPATH=. SOAK_MINUTES=10 .venv/bin/python benchmarks/soak.py
"""

from __future__ import annotations

import collections
import os
import random
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx2 as httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.service import Server, Service, add_agreement, auth, issue_tokens, seed, service  # noqa: E402


def _serve_instrumented(port: int) -> None:
    """The server (child process) with tracemalloc (SOAK_TRACEMALLOC=1): every minute, the growth by
    source line since the first minute; or sampling its threads' stacks (SOAK_PROFILE=1): every
    minute, the functions most often on a stack, by share of samples. Both are written to its log."""
    import collections
    import tracemalloc

    from api.cli import main

    traced = os.environ.get("SOAK_TRACEMALLOC") == "1"
    if traced:
        tracemalloc.start(10)
    seen: collections.Counter[str] = collections.Counter()
    samples = [0]

    def sample() -> None:
        me = threading.get_ident()
        while True:
            time.sleep(0.005)
            samples[0] += 1
            for ident, frame in sys._current_frames().items():  # noqa: SLF001 - a sampling profiler
                names = set()
                while frame is not None and ident != me:
                    code = frame.f_code
                    names.add(f"{Path(code.co_filename).name}:{code.co_name}")
                    frame = frame.f_back
                seen.update(names)

    def dump() -> None:
        time.sleep(60)
        first = tracemalloc.take_snapshot() if traced else None
        first_total = tracemalloc.get_traced_memory()[0] if traced else 0
        while True:
            time.sleep(60)
            if first is not None:
                top = tracemalloc.take_snapshot().compare_to(first, "traceback")[:15]
                traced_now = tracemalloc.get_traced_memory()[0]
                lines = [f"tracemalloc: {traced_now / 2**20:.1f} MiB traced now, {first_total / 2**20:.1f} MiB "
                         "after the first minute"]
                lines += [f"tracemalloc: {stat.size_diff / 1024:+.0f} KiB {stat.count_diff:+d} blocks\n    "
                          + "\n    ".join(stat.traceback.format()[-6:]) for stat in top]
            else:
                lines = [f"profile: {count / max(samples[0], 1):6.1%} {name}" for name, count in seen.most_common(40)]
                seen.clear()
                samples[0] = 0
            print("\n".join(["instrumented ---", *lines]), file=sys.stderr, flush=True)

    if not traced:
        threading.Thread(target=sample, daemon=True).start()
    threading.Thread(target=dump, daemon=True).start()
    main(["serve", "--port", str(port)])


class Load:
    """The clients' mix and the latencies they saw, per minute.

    The ledger grows as a real one does: every ``grow_seconds`` a new agreement accedes its parties and
    invoices them (the grower), payments go to the latest ``PAYABLE`` invoices (so each invoice is paid
    while it is new, as bills are, and then left alone), and reads go to the latest ``RECENT``
    agreements or the first one. With ``grow_seconds`` 0 nothing grows and every payment goes to one of
    the seeded invoices, until each has its 1,000."""

    PAYABLE = 60
    RECENT = 20

    def __init__(self, svc: Service, url: str, grow_seconds: float) -> None:
        self.svc, self.url, self.tokens, self.aid = svc, url, svc.tokens, svc.agreement_id
        self.grow_seconds = grow_seconds
        self.lock = threading.Lock()
        self.samples: list[tuple[float, float, int]] = []  # (finished at, ms, status)
        self.stop = threading.Event()
        self.refused = 0
        self.agreements = len({invoice["agreement_id"] for invoice in svc.invoices})
        self.payable: collections.deque[dict] = collections.deque(svc.invoices[-self.PAYABLE:],
                                                                  maxlen=self.PAYABLE)
        self.recent: collections.deque[str] = collections.deque(
            dict.fromkeys(invoice["agreement_id"] for invoice in svc.invoices), maxlen=self.RECENT)

    def grower(self) -> None:
        """A new agreement with its invoices every ``grow_seconds``."""
        with httpx.Client(base_url=self.url, timeout=60) as http:
            while self.grow_seconds and not self.stop.wait(self.grow_seconds):
                try:
                    aid, invoices = add_agreement(self.svc, http, self.agreements)
                except httpx.HTTPError:
                    continue  # counted by the clients' own requests if the service is failing
                with self.lock:
                    self.agreements += 1
                    self.payable.extend(invoices)
                    self.recent.append(aid)

    def client(self, seed_value: int) -> None:
        rng = random.Random(seed_value)
        finance, party = auth(self.tokens["finance"]), auth(self.tokens["party"])
        with httpx.Client(base_url=self.url, timeout=30) as http:
            while not self.stop.is_set():
                roll = rng.random()
                archive = uuid.uuid4().hex[:30]
                with self.lock:
                    invoice = rng.choice(self.payable)
                    recent = rng.choice(self.recent)
                base = f"/v1/agreements/{recent if rng.random() < 0.7 else self.aid}"
                if roll < 0.25:
                    request = ("POST", f"/v1/agreements/{invoice['agreement_id']}/payments", finance, {
                        "reference": invoice["reference"], "amount": f"{rng.randrange(1, 500)}.00",
                        "paid_on": "2025-10-15", "bank_reference": archive})
                elif roll < 0.30:
                    request = ("POST", f"{base}/payments", finance, {
                        "reference": f"9{rng.randrange(10**9)}", "amount": "2.00", "paid_on": "2025-10-15",
                        "bank_reference": archive})
                else:
                    request = rng.choice([
                        ("GET", f"{base}/invoices", finance, None),
                        ("GET", f"{base}/balances?as_of=2025-12-31", finance, None),
                        ("GET", f"{base}/funding?as_of=2025-12-31", finance, None),
                        ("GET", base, finance, None), ("GET", f"{base}/parties", finance, None),
                        ("GET", f"{base}/invoices", party, None),
                        ("GET", f"/v1/invoices/{invoice['id']}", finance, None),
                        ("GET", f"/v1/agreements/{uuid.uuid4()}", finance, None),
                        ("GET", f"/v1/invoices/{uuid.uuid4()}", {"Authorization": "Bearer nope"}, None)])
                method, path, headers, body = request
                if body is not None:
                    headers = {**headers, "Idempotency-Key": archive}
                started = time.perf_counter()
                try:
                    status = http.request(method, path, headers=headers, json=body).status_code
                except httpx.HTTPError:
                    status = 0
                with self.lock:
                    self.samples.append((time.monotonic(), (time.perf_counter() - started) * 1000, status))
                    if body is not None and 400 <= status < 500:
                        self.refused += 1

    def minute(self, since: float) -> tuple[int, float, float, int]:
        """Requests since then, their p50 and p99 (ms), and how many were 5xx or got no answer."""
        count, p50, p99, errors, _refused = self.figures(since)
        return count, p50, p99, errors

    def figures(self, since: float) -> tuple[int, float, float, int, int]:
        """As ``minute``, and the writes refused (4xx; the soak's reads of 404 and 401 not counted)."""
        with self.lock:
            recent = [sample for sample in self.samples if sample[0] >= since]
            self.samples = recent
            self.refused, refused = 0, self.refused
        window = sorted(ms for _, ms, _ in recent)
        errors = sum(1 for _, _, status in recent if status >= 500 or not status)
        if not window:
            return 0, 0.0, 0.0, errors, refused
        return (len(window), window[len(window) // 2], window[min(len(window) - 1, int(len(window) * 0.99))],
                errors, refused)


def vacuum_if_autovacuum_is_off(svc: Service) -> bool:
    """``VACUUM (ANALYZE)`` the soak's tables when the server runs without autovacuum (as the tests'
    server does, for speed), standing in for it: without it the journal's balance tables, updated by
    every payment, grow dead rows without end and the planner has no statistics, so what a soak would
    measure is a server no production would run. True if it vacuumed."""
    with svc.connect() as conn:
        if conn.execute("SHOW autovacuum").fetchone()[0] == "on":  # type: ignore[index]
            return False
        tables = [row[0] for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (svc.schema,)).fetchall()]
        for table in tables:
            conn.execute(f'VACUUM (ANALYZE) "{svc.schema}"."{table}"')
    return True


def main() -> int:
    minutes = float(os.environ.get("SOAK_MINUTES", "10"))
    clients = int(os.environ.get("SOAK_CLIENTS", "4"))
    agreements = int(os.environ.get("SOAK_AGREEMENTS", "20"))
    grow = float(os.environ.get("SOAK_GROW_SECONDS", "2"))
    vacuum = int(os.environ.get("SOAK_VACUUM_MINUTES", "1"))
    traced = os.environ.get("SOAK_TRACEMALLOC") == "1" or os.environ.get("SOAK_PROFILE") == "1"
    with service("soak", log_level=os.environ.get("SOAK_LOG_LEVEL", "WARNING")) as svc:
        issue_tokens(svc)
        port_argv = None
        if traced:
            from benchmarks.service import free_port
            port = free_port()
            port_argv = [sys.executable, __file__, "--serve", str(port)]
        server = Server(svc, port=port if traced else None, argv=port_argv)
        try:
            seed(svc, server.url, agreements)
            load = Load(svc, server.url, grow)
            threads = [threading.Thread(target=load.client, args=(n,), daemon=True) for n in range(clients)]
            threads.append(threading.Thread(target=load.grower, daemon=True))
            for thread in threads:
                thread.start()
            print(f"soak: {clients} clients, {minutes:g} min, {agreements} agreements seeded "
                  f"({len(svc.invoices)} invoices), a new one every {grow:g} s, server pid {server.process.pid}",
                  flush=True)
            print(f"{'minute':>6} {'RSS MiB':>8} {'requests':>9} {'p50 ms':>7} {'p99 ms':>7} {'5xx':>4} "
                  f"{'writes refused':>14} {'agreements':>10}", flush=True)
            started = time.monotonic()
            for n in range(1, int(minutes) + 1):
                since = started + (n - 1) * 60
                time.sleep(max(0.0, started + n * 60 - time.monotonic()))
                count, p50, p99, errors, refused = load.figures(since)
                print(f"{n:>6} {server.rss_kib() / 1024:>8.1f} {count:>9} {p50:>7.1f} {p99:>7.1f} {errors:>4} "
                      f"{refused:>14} {load.agreements:>10}", flush=True)
                if vacuum and n % vacuum == 0 and vacuum_if_autovacuum_is_off(svc) and n == vacuum:
                    print(f"(autovacuum is off on this server: the soak vacuums its tables every {vacuum} min)",
                          flush=True)
            load.stop.set()
            for thread in threads:
                thread.join(timeout=30)
        finally:
            server.stop()
            if os.environ.get("SOAK_KEEP_LOG"):
                kept = Path(os.environ["SOAK_KEEP_LOG"])
                kept.write_bytes(server.log_path.read_bytes())
            if traced:
                text = server.log_path.read_text()
                print(text[text.rfind("instrumented ---"):][:6000])
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        _serve_instrumented(int(sys.argv[2]))
    else:
        raise SystemExit(main())
