"""Catching up in three overlapping stages: read ahead, post, commit.

Reading the next batch of notifications and committing the previous batch's lines both wait on the
database; posting is Python. Each stage has a thread and a queue of at most two batches, so the
database works on one batch while Python posts the next, memory stays bounded, and batches are
still committed strictly in log order, each only after the one before it succeeded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from queue import Empty, Full, Queue
from typing import Any

from eventsourcing.persistence import Notification, Tracking

DEPTH = 2  # batches waiting between two stages
TICK_S = 0.2  # how often a waiting stage looks whether it should stop
_END = object()


def _put(queue: Queue[Any], item: Any, stopping: threading.Event) -> bool:
    while not stopping.is_set():
        try:
            queue.put(item, timeout=TICK_S)
            return True
        except Full:
            continue
    return False


def read_ahead(select: Callable[..., Sequence[Notification]], start: int, limit: int, stop: int,
               stopping: threading.Event) -> Iterator[Sequence[Notification]]:
    """Batches of notifications from ``start`` to ``stop``, the next one read while this one is posted."""
    queue: Queue[Any] = Queue(maxsize=DEPTH)
    quit_reading = threading.Event()

    def read() -> None:
        position = start
        try:
            while not quit_reading.is_set() and position <= stop:
                batch = select(start=position, limit=limit, stop=stop)
                if not batch or not _put(queue, batch, quit_reading):
                    break
                position = batch[-1].id + 1
                if len(batch) < limit:
                    break
        except Exception as exc:
            _put(queue, exc, quit_reading)
        _put(queue, _END, quit_reading)

    reader = threading.Thread(target=read, name="journal-read-ahead", daemon=True)
    reader.start()
    try:
        while not stopping.is_set():
            try:
                item = queue.get(timeout=TICK_S)
            except Empty:
                continue
            if item is _END:
                break
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        quit_reading.set()
        reader.join()


class Committer:
    """Commits batches in order on a thread of its own; the first failure stops every later batch."""

    def __init__(self, commit: Callable[[Sequence[Any], Tracking, int, Sequence[Any], Sequence[Any]], None],
                 committed: Callable[[int, int], None]) -> None:
        self._commit = commit
        self._committed = committed  # (events in the batch, its last position), after each commit
        self._queue: Queue[Any] = Queue(maxsize=DEPTH)
        self._failed = threading.Event()
        self.error: BaseException | None = None
        self.applied = 0
        self._thread = threading.Thread(target=self._run, name="journal-commit", daemon=True)
        self._thread.start()

    def submit(self, batch: tuple[Sequence[Any], Sequence[Any], Sequence[Any]], tracking: Tracking, after: int,
               events: int) -> None:
        """Queue a batch of (rows, purges, moves) (blocking while two wait); raises an earlier batch's error."""
        if not _put(self._queue, (batch, tracking, after, events), self._failed):
            self.finish()

    def finish(self) -> None:
        """Wait for every queued batch to be committed; raise the first failure."""
        _put(self._queue, _END, self._failed)
        self._thread.join()
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        while (item := self._queue.get()) is not _END:
            (rows, purges, moves), tracking, after, events = item
            try:
                self._commit(rows, tracking, after, purges, moves)
            except BaseException as exc:
                self.error = exc
                self._failed.set()
                return
            self.applied += events
            self._committed(events, tracking.notification_id)
