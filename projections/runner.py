"""The journal runner: follows the application's notification log and applies each event once, in order.

Catching up (``run_once``, ``catch_up``, ``rebuild``) is a pull loop on both databases: select the
next batch of notifications after the tracked position, decode them with the application's mapper,
post them, and commit the batch's lines with its tracking in one transaction. In the background
(``start``), SQLite is polled the same way (it has no subscriptions; ``wait_for`` wakes the poller at
once), and PostgreSQL is followed with the library's subscription (LISTEN/NOTIFY), whose events are
grouped into batches as they arrive.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from queue import Empty, Full, Queue
from time import monotonic
from typing import Any

import structlog
from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.postgres import PostgresFactory
from eventsourcing.projection import ApplicationSubscription

from projections.journal import MAX_ENTRIES_PER_EVENT, Event, JournalEntry, Posting
from projections.postings import post
from projections.store import JournalStore, Row, TrackingMoved, open_store

DEFAULT_BATCH = 500
MAX_BATCH = 5_000
MAX_WAIT_S = 60.0
WAIT_POLL_S = 0.05  # how often wait_for looks again when the runner is in another process
MAX_RETRIES = 20  # batches in a row that find the position moved before catch_up gives up
MAX_BACKOFF_S = 30.0
JOIN_TIMEOUT_S = 10.0

log = structlog.get_logger("projections")
Progress = Callable[[int, int], None]  # (position reached, log position aimed at)


class ProjectionLagging(TimeoutError):
    """The journal did not reach a position within the time allowed."""


@dataclass(frozen=True)
class Status:
    """Where the journal is against the log it follows."""

    position: int
    log_position: int
    lines: int
    error: str | None

    @property
    def lag(self) -> int:
        """Notification ids not yet applied (an upper bound: the log may have gaps)."""
        return max(self.log_position - self.position, 0)


class JournalRunner:
    """Keeps the journal of one application up to date with its notification log."""

    def __init__(self, app: Application[Any], posting: Posting = post, *, batch_size: int = DEFAULT_BATCH,
                 poll_interval_s: float = 0.5) -> None:
        assert 0 < batch_size <= MAX_BATCH, f"batch size must be 1 to {MAX_BATCH}"
        assert 0 < poll_interval_s <= 60
        self.app = app
        self.posting = posting
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self.store: JournalStore = open_store(app)
        self.error: BaseException | None = None
        self._lock = threading.Lock()  # one batch at a time from this process
        self._advanced = threading.Condition()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._subscription: ApplicationSubscription[Any] | None = None

    # Catching up ---------------------------------------------------------------------------------

    def position(self) -> int:
        """The notification id of the last event applied (0 before any)."""
        return self.store.position()

    def run_once(self) -> int:
        """Apply the next batch after the tracked position; returns how many events it held."""
        return self._pull()[0]

    def catch_up(self, progress: Progress | None = None) -> int:
        """Apply every event recorded so far, batch by batch; returns how many were applied."""
        target = self.app.recorder.max_notification_id() or 0
        applied, retries = 0, 0
        while not self._stopping.is_set():
            try:
                count, reached = self._pull()
            except (TrackingMoved, IntegrityError):
                # Another runner applied the batch first; carry on from where it got to.
                retries += 1
                if retries > MAX_RETRIES:
                    raise
                continue
            retries = 0
            applied += count
            if progress is not None and count:
                progress(reached, target)
            if count < self.batch_size or reached >= target:
                break
        return applied

    def rebuild(self, progress: Progress | None = None) -> int:
        """Empty the journal and its tracking, then apply every event from the first; returns the count."""
        running = self.running
        if running:
            self.stop()
        try:
            with self._lock:
                self.store.reset()
            log.info("journal_reset", app=self.app.name)
            return self.catch_up(progress)
        finally:
            if running:
                self.start()

    def status(self) -> Status:
        """The tracked position, the log's last notification id and the number of journal lines."""
        return Status(position=self.store.position(), log_position=self.app.recorder.max_notification_id() or 0,
                      lines=self.store.count_lines(), error=None if self.error is None else repr(self.error))

    def wait_for(self, position: int | None = None, timeout_s: float = 2.0) -> int:
        """Block until the journal has applied ``position`` (default: the log's last event); returns it.

        Raises ProjectionLagging once ``timeout_s`` has passed without it.
        """
        assert 0 <= timeout_s <= MAX_WAIT_S, f"timeout must be 0 to {MAX_WAIT_S} s"
        if position is None:
            position = self.app.recorder.max_notification_id() or 0
        deadline = monotonic() + timeout_s
        while (reached := self.store.position()) < position:
            remaining = deadline - monotonic()
            if remaining <= 0:
                failing = "" if self.error is None else f"; the runner is failing: {self.error!r}"
                raise ProjectionLagging(f"the journal is at {reached}, not yet at {position}{failing}")
            self._wake.set()  # a polling runner pulls now instead of at its next poll
            with self._advanced:
                self._advanced.wait(min(remaining, WAIT_POLL_S))
        return reached

    # Applying ------------------------------------------------------------------------------------

    def _pull(self) -> tuple[int, int]:
        with self._lock:
            after = self.store.position()
            notifications = self.app.recorder.select_notifications(start=after + 1, limit=self.batch_size)
            if not notifications:
                return 0, after
            decode = self.app.mapper.to_domain_event
            self._apply([(decode(n), n.id) for n in notifications], after)
            return len(notifications), notifications[-1].id

    def _apply(self, batch: Sequence[tuple[Event, int]], after: int) -> None:
        """Post a batch of (event, position) and commit its lines with the last position, atomically."""
        rows: list[Row] = []
        for event, position in batch:
            entries = self.posting(event)
            assert isinstance(entries, list) and len(entries) <= MAX_ENTRIES_PER_EVENT, \
                f"a posting returns a list of at most {MAX_ENTRIES_PER_EVENT} entries"
            line_no = 0
            for entry in entries:
                assert isinstance(entry, JournalEntry), f"{entry!r} is not a JournalEntry"
                assert sum(line.cents for line in entry.lines) == 0, f"entry {entry.entry_id} does not balance"
                for line in entry.lines:
                    line_no += 1
                    rows.append((position, line_no, entry.entry_id, entry.agreement_id, line.party_id,
                                 line.account, line.cents, entry.business_date, event.timestamp,
                                 entry.event_type))
        self.store.commit(rows, Tracking(self.app.name, batch[-1][1]), after)
        with self._advanced:
            self._advanced.notify_all()

    # Following in the background -----------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the background thread is following the log."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Follow the log in a background thread until ``stop``."""
        assert not self.running, "the runner is already running"
        self._stopping.clear()
        follow = self._follow_subscription if isinstance(self.app.factory, PostgresFactory) else self._follow_polling
        self._thread = threading.Thread(target=self._supervise, args=(follow,), name="journal-runner",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background thread after the batch in hand; uncommitted events are re-read later."""
        self._stopping.set()
        self._wake.set()
        subscription = self._subscription
        if subscription is not None:
            subscription.stop()
        if self._thread is not None:
            self._thread.join(JOIN_TIMEOUT_S)
            assert not self._thread.is_alive(), "the journal runner did not stop"
            self._thread = None
        self._stopping.clear()  # catch_up and rebuild may run in the caller's thread afterwards

    def close(self) -> None:
        """Stop following and release the store."""
        self.stop()
        self.store.close()

    def __enter__(self) -> JournalRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _supervise(self, follow: Callable[[], None]) -> None:
        # A failing batch is retried with growing pauses: the events stay in the log, and the journal
        # resumes from its tracked position once the cause (a database outage, a posting bug) is fixed.
        backoff_s = 0.1
        while not self._stopping.is_set():
            try:
                follow()
            except Exception as exc:
                self.error = exc
                log.error("journal_runner_failed", app=self.app.name, error=repr(exc), retry_in_s=backoff_s)
                self._stopping.wait(backoff_s)
                backoff_s = min(backoff_s * 2, MAX_BACKOFF_S)

    def _follow_polling(self) -> None:
        while not self._stopping.is_set():
            self.catch_up()
            self.error = None
            self._wake.wait(self.poll_interval_s)
            self._wake.clear()

    def _follow_subscription(self) -> None:
        after = self.store.position()
        queue: Queue[Any] = Queue(maxsize=2 * self.batch_size)  # back-pressure on the reader
        with ApplicationSubscription(self.app, gt=after) as subscription:
            self._subscription = subscription
            reader = threading.Thread(target=self._read, args=(subscription, queue), daemon=True,
                                      name="journal-subscription")
            reader.start()
            try:
                while not self._stopping.is_set():
                    if not reader.is_alive() and queue.empty():
                        raise RuntimeError("the subscription ended")
                    batch = self._take(queue)
                    if batch:
                        with self._lock:
                            self._apply(batch, after)
                        after = batch[-1][1]
                        self.error = None
            finally:
                subscription.stop()
                self._subscription = None
                reader.join(JOIN_TIMEOUT_S)

    def _read(self, subscription: ApplicationSubscription[Any], queue: Queue[Any]) -> None:
        try:
            for event, tracking in subscription:
                self._put(queue, (event, tracking.notification_id))
        except BaseException as exc:
            self._put(queue, exc)

    def _put(self, queue: Queue[Any], item: Any) -> None:
        while not self._stopping.is_set():
            try:
                queue.put(item, timeout=0.2)
                return
            except Full:
                continue

    def _take(self, queue: Queue[Any]) -> list[tuple[Event, int]]:
        # Wait briefly for one event, then take whatever else has arrived, up to a batch: a quiet log
        # commits each event at once, a busy one commits full batches.
        batch: list[tuple[Event, int]] = []
        try:
            item = queue.get(timeout=0.2)
            while True:
                if isinstance(item, BaseException):
                    raise item
                batch.append(item)
                if len(batch) >= self.batch_size:
                    break
                item = queue.get_nowait()
        except Empty:
            pass
        return batch
