"""Latency of `GET /balances?as_of=` at 10,000 and 100,000 events, and the journal rebuild rate, on PostgreSQL.

Generates agreements with a realistic money history in a schema of its own (dropped at the end). At each size it brings the journal up to date, then times the balances route
in-process (FastAPI's test client, so authentication, routing, validation, the freshness check, the
agreement and the journal query are all in it) for one agreement at several dates, and prints p50
and p99. The history is `benchmarks/history.py`'s; the rebuild rate is `projection_rebuild.py`'s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from benchmarks.history import agreement_with_history, bench_settings, grow  # noqa: E402
from domain.application import Ledger  # noqa: E402
from projections.journal.runner import JournalRunner  # noqa: E402

DATES = [date(2025, 3, 31), date(2025, 9, 30), date(2026, 3, 31), date(2026, 12, 31)]


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
    with bench_settings(journal_follow=False, log_level="ERROR") as settings:
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
                client.app.state.audit.catch_up()  # steady state: the chain follower has nothing left to hash
                latencies(client, token, str(probe), 20)  # warm the pools and caches
                if os.environ.get("BENCH_PROFILE"):
                    from projections.journal.queries import balance_sums
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
