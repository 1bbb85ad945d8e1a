"""Journal rebuild rate against merely reading and decoding the same notifications, on PostgreSQL.

Generates a realistic money history (`benchmarks/history.py`) in a schema of its own (dropped at
the end), then times, in the same run and alternately: (a) reading and decoding every notification
with the library (select_notifications + the application's mapper), (b) rebuilding the journal with
the ledger's money postings, (c) the same from zero by the background runner (which catches up by
the same pull loop, then follows with the library's subscription; the time runs until it has
applied the last event), (d) to show where the time goes, a rebuild that decodes every event,
including those that move no money, and (e) the rebuild posted in worker processes
(``--workers``, as ``LEDGER_JOURNAL_WORKERS`` makes the service do). Prints events/s and the ratios
to (a).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path

import structlog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.history import bench_settings, bulk_ledger, grow  # noqa: E402
from domain.application import Ledger  # noqa: E402
from projections.journal.postings import post  # noqa: E402
from projections.journal.runner import DEFAULT_BATCH, MAX_WAIT_S, JournalRunner, ProjectionLagging  # noqa: E402

MAX_EVENTS = 2_000_000


def generate(ledger: Ledger, events: int) -> int:
    """Agreements with a year of money history each until ``events`` are recorded."""
    grow(ledger, events, 0)
    return ledger.recorder.max_notification_id() or 0


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
    parser.add_argument("--workers", type=int, default=max(2, min(4, os.cpu_count() or 2)),
                        help="worker processes for (e)")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    assert 0 < args.events <= MAX_EVENTS and 0 < args.rounds <= 10
    with bench_settings() as settings:
        ledger = bulk_ledger(settings)
        started = time.perf_counter()
        generated = generate(ledger, args.events)
        total = ledger.recorder.max_notification_id()
        print(f"generated {generated} events in {time.perf_counter() - started:.1f} s")
        assert total == generated >= args.events
        rates: dict[str, list[float]] = {"read": [], "rebuild": [], "follow": [], "every": [], "workers": []}
        # (d) posts the same, but as its posting is not `post` itself it decodes every event.
        with JournalRunner(ledger) as runner, JournalRunner(ledger, lambda event: post(event)) as every, \
                JournalRunner(ledger, workers=args.workers) as parallel:
            for round_no in range(1, args.rounds + 1):
                print(f"round {round_no}:")
                rates["read"].append(timed("(a) read and decode", lambda: read_and_decode(ledger), total))
                rates["rebuild"].append(timed("(b) rebuild (pull loop)", runner.rebuild, total))
                lines = runner.status().lines
                rates["follow"].append(timed("(c) from zero, background", lambda: follow_from_zero(runner),
                                             total))
                rates["every"].append(timed("(d) rebuild, decoding all", every.rebuild, total))
                assert every.status().lines == lines
                rates["workers"].append(timed(f"(e) rebuild, {args.workers} workers", parallel.rebuild, total))
                assert parallel.status().lines == lines
        ledger.close()
    print(f"medians over {args.rounds} rounds, {total} events, batches of {DEFAULT_BATCH}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (ratios paired per round):")
    print(f"  (a) read and decode   {statistics.median(rates['read']):>9,.0f} events/s")
    for key, label in (("rebuild", "(b) rebuild"), ("follow", "(c) background"),
                       ("every", "(d) decoding all"), ("workers", f"(e) {args.workers} workers")):
        ratio = statistics.median(x / a for x, a in zip(rates[key], rates["read"], strict=True))
        goal = f"  (goal 60 %: {'met' if ratio >= 0.6 else 'not met'})" if key in ("rebuild", "workers") else ""
        rate = statistics.median(rates[key])
        print(f"  {label:<21} {rate:>9,.0f} events/s = {ratio:4.0%} of (a){goal}")
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
