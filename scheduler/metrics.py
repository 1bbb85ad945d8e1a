"""The scheduler's Prometheus metrics, served by the scheduler process on a port of its own.

The scheduler has no HTTP API and pushes nothing: `ledger scheduler` serves its registry with
prometheus-client's own HTTP server when LEDGER_SCHEDULER_METRICS_PORT is set (0, the default, serves
nothing; `--once` never serves). Labels are the job names alone, so the series are bounded.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0)


class SchedulerMetrics:
    """Runs, their results and the agreements swept, per job; the time of each job's last clean run."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.runs = Counter("ledger_scheduler_job_runs", "Sweeps run, by job and result (ok: no agreement "
                            "failed; failed: one or more did, or the run crashed).", ["job", "result"],
                            registry=self.registry)
        self.agreements = Counter("ledger_scheduler_job_agreements", "Agreements swept, by job and result.",
                                  ["job", "result"], registry=self.registry)
        self.last_success = Gauge("ledger_scheduler_job_last_success_timestamp_seconds", "When each job "
                                  "last finished with no agreement failed (Unix time).", ["job"],
                                  registry=self.registry)
        self.duration = Histogram("ledger_scheduler_job_duration_seconds", "Time a sweep took, by job.",
                                  ["job"], buckets=_BUCKETS, registry=self.registry)

    def record(self, result: dict[str, Any]) -> None:
        """Count one sweep's result (as `scheduler.jobs.sweep` returns it)."""
        job, failed = result["job"], int(result.get("failed", 0))
        self.runs.labels(job, "failed" if failed else "ok").inc()
        self.agreements.labels(job, "ok").inc(max(int(result.get("agreements", 0)) - failed, 0))
        self.agreements.labels(job, "failed").inc(failed)
        self.duration.labels(job).observe(float(result.get("duration_ms", 0.0)) / 1000)
        if not failed:
            self.last_success.labels(job).set(time.time())

    def crashed(self, job: str) -> None:
        """A sweep that raised before it could count anything."""
        self.runs.labels(job, "failed").inc()

    def serve(self, port: int, host: str = "127.0.0.1") -> Any:
        """Serve `/metrics` on host:port in a background thread; returns the server (to shut down)."""
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        return server
