"""Render times of the web app's pages at 10,000 and 100,000 events, on PostgreSQL (goal: under 200 ms).

The history is `benchmarks/history.py`'s, in a schema of its own. A finance session is opened through the
sign-in form; each page of one agreement is then fetched in-process (FastAPI's test client) and its
time in the service read from the Server-Timing header: p50 and p99 per page.
"""

from __future__ import annotations

import argparse
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
from tests.web.browser import sign_in_with_form  # noqa: E402

PAGES = ("", "/invoices", "/payments", "/funding", "/reports")


def timings(client: TestClient, path: str, rounds: int) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        response = client.get(path)
        assert response.status_code == 200, response.text[:500]
        samples.append(float(response.headers["server-timing"].split("dur=")[1]))
    return statistics.median(samples), sorted(samples)[min(len(samples) - 1, int(len(samples) * 0.99))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="event counts to measure at")
    parser.add_argument("--rounds", type=int, default=30, help="requests per page and size")
    args = parser.parse_args()
    with bench_settings(journal_follow=False, log_level="ERROR") as settings, \
            TestClient(create_app(settings)) as client:
        ledger: Ledger = client.app.state.ledger
        agreement_with_history(ledger, 1)
        number, probe = 1, ledger.agreement_ids()[0]
        sign_in_with_form(client, ledger.issue_token(role="finance", business_id=None, label="bench",
                                                     issued_on=date(2025, 1, 1))[1])
        print(f"{'events':>8} {'page':<14} {'p50 ms':>8} {'p99 ms':>8}")
        for size in (int(s) for s in args.sizes.split(",")):
            number = grow(ledger, size, number)
            started = time.perf_counter()
            client.app.state.journal.catch_up()
            client.app.state.audit.catch_up()
            print(f"caught up in {time.perf_counter() - started:.1f} s")
            events = ledger.recorder.max_notification_id()
            for page in (*PAGES, "agreements"):
                path = "/agreements" if page == "agreements" else f"/agreements/{probe}{page}"
                timings(client, path, 3)  # warm the caches
                p50, p99 = timings(client, path, args.rounds)
                print(f"{events:>8} {page or 'overview':<14} {p50:>8.1f} {p99:>8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
