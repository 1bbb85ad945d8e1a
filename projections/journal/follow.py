"""Following the log in the background: polling on SQLite, the library's subscription on PostgreSQL.

SQLite has no subscriptions, so the follower catches up, then sleeps until the next poll or until
``wake`` (``wait_for`` wakes it, so a reader does not wait for the poll). On PostgreSQL the follower
catches up the same way, then the library's subscription pulls new notifications as LISTEN/NOTIFY
announces them; the follower takes whatever has arrived, up to a batch, and commits it with its
tracking, so a quiet log is applied event by event at once and a busy one in full batches. When idle
it also checks the log's end, as a subscription can miss the announcement of an event committed
while it was starting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from queue import Empty, Full, Queue
from time import monotonic
from typing import Any, Protocol

import structlog
from eventsourcing.persistence import Notification, Subscription
from eventsourcing.postgres import PostgresFactory



class Followed(Protocol):
    """What the follower needs of the runner whose journal it keeps up to date."""

    app: Any
    batch_size: int
    lock: threading.Lock
    stopping: threading.Event
    store: Any

    def catch_up(self) -> int: ...
    def apply(self, notifications: list[Notification], after: int) -> None: ...

FIRST_BACKOFF_S = 0.1
MAX_BACKOFF_S = 30.0
JOIN_TIMEOUT_S = 10.0
TICK_S = 0.2  # how often a waiting thread looks whether it should stop

log = structlog.get_logger("projections")


class Follower:
    """A background thread that keeps a runner's journal up to date until stopped."""

    def __init__(self, runner: Followed, poll_interval_s: float) -> None:
        assert 0 < poll_interval_s <= 60, "poll interval must be up to a minute"
        self.runner = runner
        self.poll_interval_s = poll_interval_s
        self.error: BaseException | None = None
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._subscription: Subscription[Any] | None = None
        self._backoff_s = FIRST_BACKOFF_S

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        """Make a polling follower look for new events now."""
        self._wake.set()

    def start(self) -> None:
        """Start the thread: the subscription on PostgreSQL, polling elsewhere."""
        assert not self.running, "the runner is already running"
        self.runner.stopping.clear()
        subscribe = isinstance(self.runner.app.factory, PostgresFactory)
        follow = self._subscribe if subscribe else self._poll
        self._thread = threading.Thread(target=self._supervise, args=(follow,), name="journal-follower",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread after the batch in hand."""
        self.runner.stopping.set()
        self._wake.set()
        subscription = self._subscription
        if subscription is not None:
            subscription.stop()
        if self._thread is not None:
            self._thread.join(JOIN_TIMEOUT_S)
            assert not self._thread.is_alive(), "the journal follower did not stop"
            self._thread = None
        self.runner.stopping.clear()  # catch_up and rebuild may run in the caller's thread afterwards

    def _supervise(self, follow: Callable[[], None]) -> None:
        # A failing batch is retried with growing pauses: the events stay in the log, and the journal
        # resumes from its tracked position once the cause (a database outage, a posting bug) is fixed.
        while not self.runner.stopping.is_set():
            try:
                follow()
            except Exception as exc:
                self.error = exc
                pause_s = self._failed()
                log.error("journal_follower_failed", app=self.runner.app.name, error=repr(exc),
                          retry_in_s=pause_s)
                self.runner.stopping.wait(pause_s)

    def _failed(self) -> float:
        """The pause before the next try: doubled after each failure in a row, up to a limit."""
        pause_s = self._backoff_s
        self._backoff_s = min(pause_s * 2, MAX_BACKOFF_S)
        return pause_s

    def _succeeded(self) -> None:
        # A success ends the run of failures: the next blip is retried at once, not after the pause
        # an earlier outage had grown to (figures would answer projection_lagging meanwhile).
        self.error = None
        self._backoff_s = FIRST_BACKOFF_S

    def _poll(self) -> None:
        while not self.runner.stopping.is_set():
            self.runner.catch_up()
            self._succeeded()
            self._wake.wait(self.poll_interval_s)
            self._wake.clear()

    def _subscribe(self) -> None:
        runner = self.runner
        # A backlog goes faster through the overlapping pull loop; the subscription then takes over
        # for new events, which it hears of on commit instead of at the next poll.
        runner.catch_up()
        self._succeeded()
        after = runner.store.position()
        queue: Queue[Any] = Queue(maxsize=2 * runner.batch_size)  # back-pressure on the reader
        with runner.app.recorder.subscribe(gt=after) as subscription:
            self._subscription = subscription
            reader = threading.Thread(target=self._read, args=(subscription, queue), daemon=True,
                                      name="journal-subscription")
            reader.start()
            try:
                checked_s, behind = monotonic(), False
                while not runner.stopping.is_set():
                    if not reader.is_alive() and queue.empty():
                        raise RuntimeError("the subscription ended")
                    batch = self._take(queue)
                    if batch:
                        with runner.lock:
                            runner.apply(batch, after)
                        after, checked_s, behind = batch[-1].id, monotonic(), False
                        self._succeeded()
                    elif self._wake.is_set() or monotonic() - checked_s >= self.poll_interval_s:
                        # The subscription reads what is recorded before it starts listening, so an
                        # event committed in between is announced to no one: when idle, compare with
                        # the log's end, and start over from the tracked position if behind twice.
                        self._wake.clear()
                        checked_s = monotonic()
                        if (runner.app.recorder.max_notification_id() or 0) <= after:
                            behind = False
                        elif behind:
                            log.info("journal_subscription_restarted", app=runner.app.name, position=after)
                            return
                        else:
                            behind = True
            finally:
                subscription.stop()
                self._subscription = None
                reader.join(JOIN_TIMEOUT_S)

    def _read(self, subscription: Subscription[Any], queue: Queue[Any]) -> None:
        try:
            for notification in subscription:
                self._put(queue, notification)
        except Exception as exc:
            self._put(queue, exc)

    def _put(self, queue: Queue[Any], item: Any) -> None:
        while not self.runner.stopping.is_set():
            try:
                queue.put(item, timeout=TICK_S)
                return
            except Full:
                continue

    def _take(self, queue: Queue[Any]) -> list[Notification]:
        # Wait briefly for one notification, then take whatever else has arrived, up to a batch.
        batch: list[Notification] = []
        try:
            item = queue.get(timeout=TICK_S)
            while True:
                if isinstance(item, Exception):
                    raise item
                batch.append(item)
                if len(batch) >= self.runner.batch_size:
                    break
                item = queue.get_nowait()
        except Empty:
            pass
        return batch
