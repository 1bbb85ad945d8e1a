"""The scheduler process: APScheduler runs the sweeps daily, and once at start to cover downtime."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from domain.kernel.calendar import HELSINKI, today
from domain.application import Ledger
from scheduler.jobs import JOBS, sweep
from scheduler.metrics import SchedulerMetrics

# A run missed while the process was paused still runs when it wakes within this time; a restart
# runs every job at once anyway, and the jobs only issue what is missing, so nothing is lost.
MISFIRE_GRACE_SECONDS = int(timedelta(days=3).total_seconds())
JOB_MINUTES = {"notices": 0, "invoicing": 5, "recharges": 10, "overdue": 20}
log = structlog.get_logger("ledger.scheduler")


def build(ledger: Ledger, *, hour: int = 6, blocking: bool = True,
          clock: Callable[[], date] = today, run_at_start: bool = True,
          metrics: SchedulerMetrics | None = None) -> BaseScheduler:
    """A scheduler with one daily job per sweep, each with an explicit id and one instance at a time;
    each run's result is counted in ``metrics`` when given."""
    scheduler: BaseScheduler = (BlockingScheduler if blocking else BackgroundScheduler)(
        timezone=HELSINKI,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS})
    for job, minute in JOB_MINUTES.items():
        assert job in JOBS
        options: dict[str, Any] = {}
        if run_at_start:
            options["next_run_time"] = datetime.now(HELSINKI)
        scheduler.add_job(_run, CronTrigger(hour=hour, minute=minute, timezone=HELSINKI),
                          args=(ledger, job, clock, metrics), id=job, name=f"{job} sweep", replace_existing=True,
                          **options)
    return scheduler


def _run(ledger: Ledger, job: str, clock: Callable[[], date], metrics: SchedulerMetrics | None = None
         ) -> dict[str, Any]:
    try:
        result = sweep(ledger, job, clock())
    except Exception:
        # One bad run must not stop the scheduler; the next run retries what is still due.
        log.exception("job_crashed", job=job)
        if metrics is not None:
            metrics.crashed(job)
        raise
    if metrics is not None:
        metrics.record(result)
    return result
