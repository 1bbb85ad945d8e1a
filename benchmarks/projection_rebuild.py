"""Journal rebuild rate against merely reading and decoding the same notifications, on PostgreSQL.

Generates a history of accessions with the Ledger in a schema of its own (dropped at the end), then
times, in the same run and alternately: (a) reading and decoding every notification with the
library (select_notifications + the application's mapper), (b) rebuilding the journal with the
test posting (two lines per accession), (c) the same from zero by the background runner (which
catches up by the same pull loop, then follows with the library's subscription; the time runs until
it has applied the last event) and, to show where the time goes, (d) a rebuild
whose posting posts nothing (reading, decoding and tracking only). Prints events/s and the ratios
to (a).

PostgreSQL is the tests' one: POSTGRES_HOST, POSTGRES_PORT, LEDGER_TEST_POSTGRES_DBNAME (test),
LEDGER_TEST_POSTGRES_USER (postgres), LEDGER_TEST_POSTGRES_PASSWORD.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg
import structlog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.settings import PostgresSettings, Settings  # noqa: E402
from domain.agreement import Agreement  # noqa: E402
from domain.application import Ledger  # noqa: E402
from projections.runner import DEFAULT_BATCH, MAX_WAIT_S, JournalRunner, ProjectionLagging  # noqa: E402
from tests.api.helpers import valid_business_ids  # noqa: E402
from tests.projections.postings import commitments  # noqa: E402

# Well under the ~1 MB per insert at which the PostgreSQL write path can hang (psycopg issue 685).
MAX_SAVE_BYTES = 256 * 1024
PARTIES_PER_AGREEMENT = 200
MAX_EVENTS = 2_000_000
PG = {"host": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
      "port": int(os.environ.get("POSTGRES_PORT", "5432")),
      "dbname": os.environ.get("LEDGER_TEST_POSTGRES_DBNAME", "test"),
      "user": os.environ.get("LEDGER_TEST_POSTGRES_USER", "postgres"),
      "password": os.environ.get("LEDGER_TEST_POSTGRES_PASSWORD", "")}


def generate(ledger: Ledger, events: int) -> int:
    """Agreements of 200 accessions each until ``events`` are recorded, saved in capped batches."""
    bids = valid_business_ids(PARTIES_PER_AGREEMENT)
    batch: list[Agreement] = []
    batch_bytes, batch_events, saved, number = 0, 0, 0, 0
    while saved + batch_events < events:
        number += 1
        agreement = Agreement.open(
            code=f"BENCH-{number}", title="Benchmark",
            coordinator={"name": "Valtori", "business_id": "2574261-7"},
            starts_on=date(2025, 1, 1), ends_on=date(2026, 12, 31),
            cost_sharing={"model": "proportional", "metric": "pupils", "rate": "50.00"},
            instalments=[{"issue_on": date(2025, 3, 1), "share": "1"}], terms=None)
        for n, bid in enumerate(bids):
            agreement.accede(name=f"City {n}", business_id=bid,
                             signed_on=date(2025, 1, 1) + timedelta(days=n),
                             metric=str(1 + (number * 7919 + n * 104729) % 5000))  # 1 to 5,000 pupils
        size = sum(len(ledger.mapper.to_stored_event(e).state) for e in agreement.pending_events)
        assert size <= MAX_SAVE_BYTES, f"one agreement's events take {size} bytes"
        if batch_bytes + size > MAX_SAVE_BYTES:
            saved += _save(ledger, batch)
            batch, batch_bytes, batch_events = [], 0, 0
        batch.append(agreement)
        batch_bytes += size
        batch_events += len(agreement.pending_events)
    return saved + _save(ledger, batch)


def _save(ledger: Ledger, agreements: list[Agreement]) -> int:
    count = sum(len(a.pending_events) for a in agreements)
    if agreements:
        ledger.save(*agreements)
    return count


def read_and_decode(ledger: Ledger) -> int:
    """Every notification read in batches and decoded with the application's mapper; returns the count."""
    position, count = 0, 0
    while batch := ledger.recorder.select_notifications(start=position + 1, limit=DEFAULT_BATCH):
        for notification in batch:
            ledger.mapper.to_domain_event(notification)
        count += len(batch)
        position = batch[-1].id
    return count


def follow_from_zero(runner: JournalRunner) -> int:
    """Empty the journal, then let the background runner apply everything."""
    runner.store.reset()
    target = runner.app.recorder.max_notification_id()
    runner.start()
    try:
        for _ in range(10):  # at most ten minutes
            try:
                return runner.wait_for(target, timeout_s=MAX_WAIT_S)
            except ProjectionLagging:
                continue
        raise ProjectionLagging(f"the subscription did not reach {target} in ten minutes")
    finally:
        runner.stop()


def timed(what: str, work: object, expected: int) -> float:
    started = time.perf_counter()
    count = work()  # type: ignore[operator]
    elapsed = time.perf_counter() - started
    assert count == expected, f"{what} handled {count} events, not {expected}"
    print(f"  {what:<28} {count:>8} events in {elapsed:6.2f} s = {count / elapsed:>9,.0f} events/s")
    return count / elapsed


def main() -> int:
    """Generate, measure three times alternately, print the medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="history to generate (at least)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    assert 0 < args.events <= MAX_EVENTS and 0 < args.rounds <= 10
    schema = f"ledger_bench_{os.getpid()}"
    with psycopg.connect(autocommit=True, **PG) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        settings = Settings(database="postgres", postgres=PostgresSettings(
            host=PG["host"], port=PG["port"], dbname=PG["dbname"], user=PG["user"], password=PG["password"],
            POSTGRES_SCHEMA=schema))
        # Snapshots are not in the notification log; leaving them out only makes generating faster.
        ledger = Ledger(env={**settings.persistence_env(), "IS_SNAPSHOTTING_ENABLED": "n"})
        started = time.perf_counter()
        generated = generate(ledger, args.events)
        total = ledger.recorder.max_notification_id()
        print(f"generated {generated} events in {time.perf_counter() - started:.1f} s (schema {schema})")
        assert total == generated >= args.events
        rates: dict[str, list[float]] = {"read": [], "rebuild": [], "follow": [], "nothing": []}
        with JournalRunner(ledger, commitments) as runner, JournalRunner(ledger, lambda event: []) as empty:
            for round_no in range(1, args.rounds + 1):
                print(f"round {round_no}:")
                rates["read"].append(timed("(a) read and decode", lambda: read_and_decode(ledger), total))
                rates["rebuild"].append(timed("(b) rebuild (pull loop)", runner.rebuild, total))
                assert runner.status().lines == 2 * (total - total // (PARTIES_PER_AGREEMENT + 1))
                rates["follow"].append(timed("(c) from zero, background", lambda: follow_from_zero(runner),
                                             total))
                rates["nothing"].append(timed("(d) rebuild, posting nothing", empty.rebuild, total))
        ledger.close()
        print(f"medians over {args.rounds} rounds, {total} events, batches of {DEFAULT_BATCH}, "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (ratios paired per round):")
        print(f"  (a) read and decode   {statistics.median(rates['read']):>9,.0f} events/s")
        for key, label in (("rebuild", "(b) rebuild"), ("follow", "(c) background"),
                           ("nothing", "(d) posting nothing")):
            ratio = statistics.median(x / a for x, a in zip(rates[key], rates["read"], strict=True))
            goal = f"  (goal 60 %: {'met' if ratio >= 0.6 else 'not met'})" if key == "rebuild" else ""
            rate = statistics.median(rates[key])
            print(f"  {label:<21} {rate:>9,.0f} events/s = {ratio:4.0%} of (a){goal}")
        return 0
    finally:
        with psycopg.connect(autocommit=True, **PG) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


if __name__ == "__main__":
    raise SystemExit(main())
