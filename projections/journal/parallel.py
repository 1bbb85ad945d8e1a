"""Posting a long catch-up in worker processes, committed in order by the runner.

Decoding and posting are Python and hold the interpreter lock, so threads cannot share them out.
When the journal is far behind (a rebuild, a first start), the runner hands ranges of notification
ids to a pool of worker processes. Each worker has its own application on the same database (from
the same environment) and its own journal store, which encodes lines exactly as the runner's store
takes them; it reads its range, decodes and posts it, and returns the encoded lines. The runner
commits the ranges strictly in log order, each with its tracking position, through the same commit
as a serial catch-up, so a batch is still applied whole or not at all, once.

Only the ledger's own postings (``projections.journal.postings.post``) on the application's own
store go this way: a worker must be able to build both from the environment alone.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from eventsourcing.application import Application

MAX_WORKERS = 16
IN_FLIGHT_PER_WORKER = 2  # ranges queued per worker, so none waits while the runner commits

# In a worker process: its runner, which holds its application and journal store.
_worker: Any = None

Range = tuple[int, int]  # first and last notification id
Posted = tuple[list[Any], list[Any], list[Any], int, int]  # encoded lines, purges, moves, events read, last id


def _start(runner_class: Callable[[Application[Any]], Any], app_class: type[Application[Any]],
           env: dict[str, str]) -> None:
    global _worker
    _worker = runner_class(app_class(env=env))


def _post_range(first: int, last: int) -> Posted:
    notifications = _worker.app.recorder.select_notifications(start=first, limit=last - first + 1, stop=last)
    if not notifications:
        return [], [], [], 0, 0
    batch = _worker.batch(notifications)
    return batch.rows, batch.purges, batch.moves, len(notifications), notifications[-1].id


def _context(runner_class: type, app_class: type) -> multiprocessing.context.BaseContext:
    """Workers are never forked from the runner's process, which has threads and open connections a
    fork would copy: they come from a fork server, a clean process started once, with the modules
    already imported (or, where there is none, are spawned afresh each time)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([runner_class.__module__, "projections.journal.postings",
                                    app_class.__module__])
    return context


def _worker_env(app: Application[Any]) -> dict[str, str]:
    # The runner's application made the tables; workers starting together must not race to make them
    # again (PostgreSQL refuses concurrent changes to the same catalogue rows).
    return {**dict(app.env), "CREATE_TABLE": "false"}


def post_in_workers(runner_class: type, app: Application[Any], workers: int, ranges: list[Range],
                    stopping: Callable[[], bool], apply: Callable[[Posted], None]) -> None:
    """Post ``ranges`` in ``workers`` processes, each with a ``runner_class`` of its own on the same
    database, and hand each result to ``apply``, in order."""
    assert 1 < workers <= MAX_WORKERS, f"workers must be 2 to {MAX_WORKERS}"
    with ProcessPoolExecutor(workers, mp_context=_context(runner_class, type(app)),
                             initializer=_start, initargs=(runner_class, type(app), _worker_env(app))) as pool:
        waiting = deque(ranges)
        running: deque[Future[Posted]] = deque()
        try:
            while waiting or running:
                while waiting and len(running) < workers * IN_FLIGHT_PER_WORKER:
                    running.append(pool.submit(_post_range, *waiting.popleft()))
                if stopping():
                    return
                apply(running.popleft().result())
        finally:
            for future in running:
                future.cancel()
