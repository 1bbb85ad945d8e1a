"""The scheduler's jobs: each asks "what is due as of this date?" and calls an idempotent command.

A job run twice, by two scheduler processes at once, or after days of downtime does the same as one
run on time: the commands issue only what the ledger lacks, under deterministic ids.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.persistence import PersistenceError, RecordConflictError

from domain.application import Ledger
from domain.kernel.errors import DomainError, VersionConflict

MAX_ATTEMPTS = 5  # per agreement and job; a conflict means another writer got there first
log = structlog.get_logger("ledger.scheduler")


def _notices(ledger: Ledger, aid: UUID, as_of: date, counts: Counter[str]) -> None:
    counts["withdrawn"] += ledger.apply_notices(aid, as_of=as_of)


def _invoicing(ledger: Ledger, aid: UUID, as_of: date, counts: Counter[str]) -> None:
    # The same batches as over HTTP: each committed on its own, a line logged per batch of a large run.
    result = ledger.run_invoicing(aid, as_of=as_of, progress=_batch_logged)
    counts["issued"] += len(result["issued"])
    counts["already_issued"] += result["already_issued"]


def _batch_logged(counts: dict[str, Any]) -> None:
    if counts["planned"] > counts["issued"] + counts["already_issued"] or counts["batch"] > 1:
        log.info("invoicing_batch", **counts)


def _recharges(ledger: Ledger, aid: UUID, as_of: date, counts: Counter[str]) -> None:
    if ledger.get_agreement(aid, as_of=as_of)["terms"]["recharge_period"] == "none":
        return
    result = ledger.run_recharges(aid, as_of=as_of)
    counts["issued"] += len(result["issued"])
    counts["periods"] += len(result["periods"])
    counts["late_periods"] += len(result.get("late_periods", []))  # costs booked after their recharge (R-INV-5)


def _overdue(ledger: Ledger, aid: UUID, as_of: date, counts: Counter[str]) -> None:
    counts["marked"] += ledger.mark_overdue(aid, as_of=as_of)


JOBS: dict[str, Callable[[Ledger, UUID, date, Counter[str]], None]] = {
    "notices": _notices,
    "invoicing": _invoicing,
    "recharges": _recharges,
    "overdue": _overdue,
}


def sweep(ledger: Ledger, job: str, as_of: date) -> dict[str, Any]:
    """Run one job for every agreement as of a date; returns and logs its counts."""
    step = JOBS[job]
    counts: Counter[str] = Counter(agreements=0, failed=0)
    retried_before = ledger.conflicts_retried
    started = time.perf_counter()
    bound = log.bind(job=job, as_of=as_of.isoformat())
    for aid in ledger.agreement_ids():
        counts["agreements"] += 1
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                step(ledger, aid, as_of, counts)
                break
            except (VersionConflict, RecordConflictError):
                counts["conflicts"] += 1
                if attempt == MAX_ATTEMPTS:
                    counts["failed"] += 1
                    bound.warning("job_gave_up", agreement_id=str(aid), attempts=attempt)
            except (DomainError, PersistenceError) as exc:
                counts["failed"] += 1
                bound.error("job_failed", agreement_id=str(aid), error=type(exc).__name__,
                            detail=getattr(exc, "detail", str(exc))[:300])
                break
            except Exception as exc:  # noqa: BLE001 - one broken agreement must not stop the sweep for the rest
                counts["failed"] += 1
                bound.error("job_failed", agreement_id=str(aid), error=type(exc).__name__,
                            detail=str(exc)[:300], exc_info=exc)
                break
    counts["conflicts"] += ledger.conflicts_retried - retried_before
    result = {"job": job, "as_of": as_of.isoformat(), **counts,
              "duration_ms": round((time.perf_counter() - started) * 1000, 1)}
    bound.info("job_finished", **{k: v for k, v in result.items() if k not in ("job", "as_of")})
    return result


def sweep_all(ledger: Ledger, as_of: date) -> list[dict[str, Any]]:
    """Every job once, in the order the day needs them."""
    return [sweep(ledger, job, as_of) for job in JOBS]
