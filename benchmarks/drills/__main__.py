"""`python -m benchmarks.drills`: every drill, on loopback and PostgreSQL, then the table.

Two `ledger serve` replicas on one schema of their own; the drills run in order (tampering last, as
it stops the replicas) and each is bounded in time. Exit status 1 on any acknowledged write
not found, duplicate, leak, 5xx, undetected tamper or other problem.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from benchmarks.drills import checks, security, tamper, writes
from benchmarks.drills.common import Row
from benchmarks.service import Server, Service, issue_tokens, seed, service

COLUMNS = ("drill", "requests", "writes acknowledged", "found in store", "duplicates", "leaks", "5xx",
           "tampers detected", "seconds", "result")


def table(rows: list[Row]) -> str:
    """The figures as a Markdown table."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "|".join("---" for _ in COLUMNS) + "|"]
    for row in rows:
        tampered, _, detected = row.tampers.partition("/")
        cells = [row.drill + (f" ({row.note})" if row.note else ""), row.requests, row.acknowledged,
                 row.found, row.duplicates, row.leaks, row.server_errors,
                 f"{detected} of {tampered}" if detected else "-", f"{row.seconds:.0f}",
                 "pass" if row.passed else "FAIL"]
        lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
    return "\n".join(lines)


def drills(svc: Service, servers: list[Server]) -> list[tuple[str, Callable[[], Row]]]:
    url = lambda: servers[1].url  # noqa: E731 - the replica never killed
    return [
        ("replicas", lambda: writes.replicas(svc, servers)),
        ("schedulers", lambda: checks.schedulers(svc, url())),
        ("kill -9", lambda: writes.kill_9(svc, servers)),
        ("terminate", lambda: writes.terminate(svc, servers)),
        ("schemathesis", lambda: checks.schemathesis_drill(svc, url())),
        ("roles", lambda: security.roles(svc, url())),
        ("mixed", lambda: writes.mixed(svc, servers)),
        ("restricted role", lambda: tamper.restricted_role(svc)),
        ("tamper", lambda: tamper.tamper(svc, servers)),
    ]


def main() -> int:
    started = time.monotonic()
    rows: list[Row] = []
    with service("drills", log_level="WARNING", projection_wait_s="10") as svc:
        issue_tokens(svc)
        servers = [Server(svc, label="replica1"), Server(svc, label="replica2")]
        try:
            seed(svc, servers[0].url)
            for name, drill in drills(svc, servers):
                began = time.monotonic()
                try:
                    row = drill()
                except Exception as exc:  # noqa: BLE001 - a drill that crashes fails, the others still run
                    row = Row(name, problems=[f"crashed: {type(exc).__name__}: {exc}"[:300]])
                row.seconds = time.monotonic() - began
                rows.append(row)
                print(f"drills: {row.drill}: {'pass' if row.passed else 'FAIL'} in {row.seconds:.0f} s",
                      file=sys.stderr, flush=True)
                for problem in row.problems[:10]:
                    print(f"  {problem}", file=sys.stderr, flush=True)
        finally:
            for server in servers:
                server.stop()
    print(table(rows))
    print(f"\n{len(rows)} drills in {time.monotonic() - started:.0f} s on PostgreSQL, loopback only; "
          f"{'all passed' if all(r.passed for r in rows) else 'FAILED'}")
    return 0 if rows and all(row.passed for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
