"""Invoicing runs carried out in threads of the API process, so a large run holds no request open."""

from __future__ import annotations

import threading
from collections.abc import Callable
from uuid import UUID

import structlog

log = structlog.get_logger("api.runs")
JOIN_S = 30.0  # how long a shutdown waits for a run's current batch (a run cut short resumes when started again)


class BackgroundRuns:
    """One thread per run; a run already being carried out here is not started twice."""

    def __init__(self) -> None:
        self._threads: dict[UUID, threading.Thread] = {}
        self._lock = threading.Lock()

    def start(self, run_id: UUID, work: Callable[[], object]) -> bool:
        """Carry out ``work`` in a thread of its own unless this run is under way; whether it started."""
        with self._lock:
            running = self._threads.get(run_id)
            if running is not None and running.is_alive():
                return False
            thread = threading.Thread(target=self._guarded, args=(run_id, work), daemon=True,
                                      name=f"invoicing-run-{run_id}")
            self._threads = {rid: t for rid, t in self._threads.items() if t.is_alive()}
            self._threads[run_id] = thread
        thread.start()
        return True

    def join(self, timeout_s: float = JOIN_S) -> None:
        """Wait for the runs under way (each stops at a batch boundary at the latest when the store closes)."""
        with self._lock:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout_s)

    @staticmethod
    def _guarded(run_id: UUID, work: Callable[[], object]) -> None:
        try:
            work()
        except Exception as exc:  # noqa: BLE001 - recorded on the run as failed; the thread must not die loudly
            log.error("invoicing_run_failed", run_id=str(run_id), error=type(exc).__name__, detail=str(exc)[:300])
