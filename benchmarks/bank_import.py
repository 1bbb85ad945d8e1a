"""Importing a large bank file on PostgreSQL: transactions per second and the longest single save.

Two camt.054 files on one store (a schema of its own, dropped at the end): one of ``--unassigned``
credits whose reference names no agreement plus every twentieth a debit (the import's own path: a
batch recorded per save), and one of ``--matched`` credits paying Lyhty's invoices in part (each a
payment through the invoicing commands). The longest save is what any one save held the event
store's write lock for, at most; the same files again count as duplicates.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from api.banking.importer import import_file  # noqa: E402
from benchmarks.history import bench_settings  # noqa: E402
from domain.application import Ledger  # noqa: E402
from tests.api.helpers import auth, create_lyhty  # noqa: E402
from tests.api.test_invoicing_api import COHORT  # noqa: E402
from tests.bank_file_builders import Entry, Tx, camt054  # noqa: E402

UNKNOWN = "RF08 9920 2500 0013"


def timed_saves(ledger: Ledger) -> list[float]:
    """Wrap the ledger's save to note how long each one took."""
    durations: list[float] = []
    save = ledger.save

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return save(*args, **kwargs)
        finally:
            durations.append(time.perf_counter() - started)

    ledger.save = timed  # type: ignore[method-assign]
    return durations


def measure(ledger: Ledger, name: str, content: bytes, count: int) -> None:
    durations = timed_saves(ledger)
    started = time.perf_counter()
    result = import_file(ledger, content)
    elapsed = time.perf_counter() - started
    print(f"{name}: {count} transactions ({len(content) / 1e6:.1f} MB) in {elapsed:.1f} s, "
          f"{count / elapsed:.0f}/s; {len(durations)} saves, the longest {max(durations) * 1000:.0f} ms; "
          f"matched {result['matched']}, unmatched {result['unmatched']}, debits {result['debits']}")
    started = time.perf_counter()
    again = import_file(ledger, content)
    print(f"{name} again: {again['duplicates']} duplicates in {time.perf_counter() - started:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--unassigned", type=int, default=10_000)
    parser.add_argument("--matched", type=int, default=500)
    args = parser.parse_args()
    with bench_settings(journal_follow=False, log_level="ERROR", audit_interval_s=0) as settings:
        with TestClient(create_app(settings)) as client:
            ledger: Ledger = client.app.state.ledger
            tokens = {role: ledger.issue_token(role=role, business_id=None, label="bench",
                                               issued_on=date(2025, 8, 1))[1] for role in ("coordinator", "scheduler")}
            aid = create_lyhty(client, tokens["coordinator"], *COHORT)
            ran = client.post(f"/v1/agreements/{aid}/invoicing-runs", json={"as_of": "2025-09-01"},
                              headers=auth(tokens["scheduler"]))
            references = [i["reference"] for i in client.get(f"/v1/agreements/{aid}/invoices", headers=auth(
                tokens["coordinator"])).json()]
            assert ran.status_code == 200 and references, ran.text
            own = camt054([Entry("2.00", f"U{n}", credit=n % 20 != 19, txs=[
                Tx("2.00", None if n % 20 == 19 else UNKNOWN, end_to_end_id=f"E{n}")]) for n in range(args.unassigned)])
            measure(ledger, "unassigned and debits", own, args.unassigned)
            paying = camt054([Entry("1.00", f"M{n}", txs=[Tx("1.00", references[n % len(references)])])
                              for n in range(args.matched)])
            measure(ledger, "paying invoices", paying, args.matched)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
