"""The scheduler's Prometheus metrics (issue 16 item 10): runs and results per job, agreements swept
ok or failed, the last clean run's time, served on the scheduler's own port."""

from __future__ import annotations

import socket
import time
import urllib.request
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from api.demo import load_demo
from domain.application import Ledger
from scheduler.metrics import SchedulerMetrics
from scheduler.service import JOB_MINUTES, _run, build


def value(metrics: SchedulerMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def runs(metrics: SchedulerMetrics, job: str) -> float:
    return sum(value(metrics, "ledger_scheduler_job_runs_total", job=job, result=result) or 0
               for result in ("ok", "failed"))


def test_each_run_is_counted_by_job_and_result(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = load_demo(ledger)
    metrics = SchedulerMetrics()
    before = time.time()
    _run(ledger, "invoicing", lambda: date(2025, 9, 1), metrics)
    _run(ledger, "invoicing", lambda: date(2025, 9, 1), metrics)
    assert value(metrics, "ledger_scheduler_job_runs_total", job="invoicing", result="ok") == 2
    assert value(metrics, "ledger_scheduler_job_runs_total", job="invoicing", result="failed") is None
    assert value(metrics, "ledger_scheduler_job_agreements_total", job="invoicing", result="ok") == 6
    assert value(metrics, "ledger_scheduler_job_agreements_total", job="invoicing", result="failed") == 0
    assert value(metrics, "ledger_scheduler_job_duration_seconds_count", job="invoicing") == 2
    succeeded = value(metrics, "ledger_scheduler_job_last_success_timestamp_seconds", job="invoicing")
    assert succeeded is not None and before <= succeeded <= time.time()

    broken = ids["LYHTY"]
    real = ledger.mark_overdue

    def failing(aid: UUID, *args: Any, **kwargs: Any) -> Any:
        if aid == broken:
            raise ValueError("year 10009 is out of range")
        return real(aid, *args, **kwargs)

    monkeypatch.setattr(ledger, "mark_overdue", failing)
    _run(ledger, "overdue", lambda: date(2025, 10, 1), metrics)
    assert value(metrics, "ledger_scheduler_job_runs_total", job="overdue", result="failed") == 1
    assert value(metrics, "ledger_scheduler_job_agreements_total", job="overdue", result="ok") == 2
    assert value(metrics, "ledger_scheduler_job_agreements_total", job="overdue", result="failed") == 1
    # a run with a failed agreement is no success
    assert value(metrics, "ledger_scheduler_job_last_success_timestamp_seconds", job="overdue") is None


def test_a_crashed_run_counts_as_failed(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    metrics = SchedulerMetrics()

    def broken_catalogue() -> list[UUID]:
        raise RuntimeError("catalogue unreadable")

    monkeypatch.setattr(ledger, "agreement_ids", broken_catalogue)
    with pytest.raises(RuntimeError):
        _run(ledger, "notices", lambda: date(2025, 9, 1), metrics)
    assert value(metrics, "ledger_scheduler_job_runs_total", job="notices", result="failed") == 1


def test_the_scheduler_serves_its_metrics_on_its_own_port(ledger: Ledger) -> None:
    load_demo(ledger)
    metrics = SchedulerMetrics()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = metrics.serve(port)
    scheduler = build(ledger, blocking=False, clock=lambda: date(2025, 9, 1), metrics=metrics)
    scheduler.start()
    try:
        deadline = time.monotonic() + 60
        while sum(runs(metrics, job) for job in JOB_MINUTES) < len(JOB_MINUTES):
            assert time.monotonic() < deadline, "the jobs run at start did not finish"
            time.sleep(0.1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            text = response.read().decode()
    finally:
        scheduler.shutdown(wait=True)
        server.shutdown()
    for job in JOB_MINUTES:  # each ran once at start (concurrently: a lost race may count as failed)
        assert runs(metrics, job) == 1
        for result in ("ok", "failed"):
            count = value(metrics, "ledger_scheduler_job_runs_total", job=job, result=result)
            if count is not None:
                assert f'ledger_scheduler_job_runs_total{{job="{job}",result="{result}"}} {count}' in text
        swept = sum(value(metrics, "ledger_scheduler_job_agreements_total", job=job, result=result) or 0
                    for result in ("ok", "failed"))
        assert swept == 3  # the three demo agreements
