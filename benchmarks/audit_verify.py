"""Rate of sealing the hash chain and of verifying it from the raw events, on PostgreSQL.

Generates the money history of `benchmarks/history.py` (at least 100,000 events by default) in a
schema of its own (dropped at the end), then times, in the same run: extending the chain over every
event (as `ledger serve` does in the background), and `verify` (as `ledger audit verify` does: read
the raw event table from the first event, recompute every hash and compare it with the stored one and
the signed checkpoints). Prints events/s for each, the median of three verifies.
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

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from benchmarks.history import bench_settings, bulk_ledger, grow  # noqa: E402
from projections.audit.chain import AuditChain  # noqa: E402
from projections.audit.signing import Ed25519Signer  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="history to generate (at least)")
    args = parser.parse_args()
    assert 0 < args.events <= 2_000_000
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with bench_settings() as settings:
        ledger = bulk_ledger(settings)
        grow(ledger, args.events, 0)
        total = ledger.recorder.max_notification_id() or 0
        chain = AuditChain(ledger, signer=Ed25519Signer(Ed25519PrivateKey.generate()))
        started = time.perf_counter()
        sealed = chain.catch_up()
        seal_rate = sealed / (time.perf_counter() - started)
        assert sealed == total
        rates = []
        for _ in range(3):
            started = time.perf_counter()
            verdict = chain.verify()
            rates.append(verdict.events_checked / (time.perf_counter() - started))
            assert verdict.ok and verdict.events_checked == total
        ledger.close()
    print(f"{total} events, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs:")
    print(f"  seal the chain   {seal_rate:>9,.0f} events/s")
    print(f"  verify           {statistics.median(rates):>9,.0f} events/s (median of 3)")
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
