"""The journal runner: follows the application's notification log and applies each event once, in order.

Catching up (``run_once``, ``catch_up``, ``rebuild``) is a pull loop on both databases: select the
next batch of notifications after the tracked position, decode them with the application's mapper,
post them, and commit the batch's lines with its tracking in one transaction (``catch_up`` reads the
next batch and commits the last one while it posts, see ``pipeline``). In the background (``start``,
see ``follow``), SQLite is polled the same way, as it has no subscriptions, and PostgreSQL is followed
with the library's subscription (LISTEN/NOTIFY); ``wait_for`` lets a reader see its own writes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Sequence
from contextlib import closing
from dataclasses import dataclass
from time import monotonic
from typing import Any, NamedTuple

import structlog
from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, Notification, Tracking
from eventsourcing.postgres import PostgresFactory
from eventsourcing.sqlite import SQLiteConnectionPool, SQLiteFactory

from projections.journal.balances import Move, moves_of
from projections.journal.follow import Follower
from projections.journal.entries import MAX_ENTRIES_PER_EVENT, JournalEntry, Posting
from projections.journal.parallel import MAX_WORKERS, Posted, post_in_workers
from projections.journal.pipeline import Committer, read_ahead
from projections.journal.postings import POSTED_TYPES, post, purged
from projections.journal.store import JournalStore, Purge, TrackingMoved, open_store

DEFAULT_BATCH = 5_000  # few, large transactions: a rebuild at 5,000 takes two thirds of the time it takes at 500
MAX_BATCH = 10_000
MAX_WAIT_S = 60.0
TIDY_AFTER = 10_000  # events applied in one catch-up after which the store's statistics are refreshed
PARALLEL_FROM = 50_000  # events behind at which a runner with workers posts in them
WAIT_POLL_S = 0.05  # how often wait_for looks again when the runner is in another process
MAX_TOPICS = 1_000  # topics remembered as posted or not
MAX_RETRIES = 20  # batches in a row that find the position moved before catch_up gives up

log = structlog.get_logger("projections")
Progress = Callable[[int, int], None]  # (position reached, log position aimed at)


class Batch(NamedTuple):
    """What a batch of events does to the journal: lines to add, then agreements to purge (R-REC-1),
    and the lines' moves of the balance history."""

    rows: list[Any]
    purges: list[Purge]
    moves: list[Move]


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
                 poll_interval_s: float = 0.5, store: JournalStore | None = None,
                 posted_types: Collection[type] | None = None, workers: int = 0,
                 parallel_from: int = PARALLEL_FROM) -> None:
        """``store`` is the journal to keep (closed with the runner); by default the application's own.

        ``workers`` (2 or more) posts a catch-up of at least ``parallel_from`` events in that many
        processes (see ``projections.journal.parallel``); with the ledger's postings on its own store only.

        ``posted_types``: the only event classes ``posting`` posts anything for, so the others are
        not even decoded (their positions are still tracked); by default, with ``post``, the money
        postings' own classes and the purge (R-REC-1), and every event with any other posting."""
        assert 0 < batch_size <= MAX_BATCH, f"batch size must be 1 to {MAX_BATCH}"
        self.app = app
        self.posting = posting
        if posted_types is None and posting is post:
            posted_types = POSTED_TYPES
        self._posted = None if posted_types is None else frozenset(posted_types)
        self._wanted: dict[str, bool] = {}  # topic → whether its events are decoded and posted
        self.batch_size = batch_size
        self.store: JournalStore = open_store(app) if store is None else store
        assert 0 <= workers <= MAX_WORKERS, f"workers must be 0 to {MAX_WORKERS}"
        # A worker rebuilds the application and its store from the environment alone.
        self.workers = workers if posting is post and store is None and _on_disk(app) else 0
        self.parallel_from = parallel_from
        self.lock = threading.Lock()  # one batch at a time from this process
        self.stopping = threading.Event()  # set while the background thread is asked to stop
        self._advanced = threading.Condition()
        self._follower = Follower(self, poll_interval_s)

    # Catching up ---------------------------------------------------------------------------------

    def position(self) -> int:
        """The notification id of the last event applied (0 before any)."""
        return self.store.position()

    def run_once(self) -> int:
        """Apply the next batch after the tracked position; returns how many events it held."""
        with self.lock:
            after = self.store.position()
            notifications = self.app.recorder.select_notifications(start=after + 1, limit=self.batch_size)
            if notifications:
                self.apply(notifications, after)
            return len(notifications)

    def catch_up(self, progress: Progress | None = None, *, until: int | None = None) -> int:
        """Apply every event recorded so far (or up to ``until``), in overlapping batches; returns how
        many were applied."""
        reached, target = self.store.heads(self.app.recorder)
        if until is not None:
            target = min(target, until)
        applied = [0]
        if reached >= target:
            return 0  # nothing new: one round trip, and the lock is not taken
        for attempt in range(MAX_RETRIES + 1):
            try:
                with self.lock:
                    self._stream(target, progress, applied)
                break
            except (TrackingMoved, IntegrityError):
                # Another runner applied a batch first; carry on from where it got to.
                if attempt == MAX_RETRIES:
                    raise
        if applied[0] >= TIDY_AFTER:
            self.store.tidy()
        return applied[0]

    def _stream(self, target: int, progress: Progress | None, applied: list[int]) -> None:
        after = self.store.position()
        if after >= target:
            return

        def committed(events: int, position: int) -> None:
            applied[0] += events
            self._notify()
            if progress is not None:
                progress(position, target)

        committer = Committer(self.store.commit, committed)
        try:
            if self.workers > 1 and target - after >= self.parallel_from:
                self._post_in_workers(committer, after, target)
            else:
                self._post_here(committer, after, target)
        finally:
            committer.finish()  # what was posted before a failure is still committed, in order

    def _post_here(self, committer: Committer, after: int, target: int) -> None:
        select = self.app.recorder.select_notifications
        with closing(read_ahead(select, after + 1, self.batch_size, target, self.stopping)) as batches:
            for notifications in batches:
                last = notifications[-1].id
                committer.submit(self.batch(notifications), Tracking(self.app.name, last), after,
                                 len(notifications))
                after = last

    def _post_in_workers(self, committer: Committer, after: int, target: int) -> None:
        ranges = [(first, min(first + self.batch_size - 1, target))
                  for first in range(after + 1, target + 1, self.batch_size)]
        reached = [after]

        def apply(posted: Posted) -> None:
            rows, purges, moves, events, last = posted
            if events:
                committer.submit(Batch(rows, purges, moves), Tracking(self.app.name, last), reached[0], events)
                reached[0] = last

        post_in_workers(JournalRunner, self.app, self.workers, ranges, self.stopping.is_set, apply)

    def rebuild(self, progress: Progress | None = None) -> int:
        """Empty the journal and its tracking, then apply every event from the first; returns the count."""
        running = self.running
        if running:
            self.stop()
        try:
            with self.lock:
                self.store.reset()
            log.info("journal_reset", app=self.app.name)
            return self.catch_up(progress)
        finally:
            if running:
                self.start()

    def status(self) -> Status:
        """The tracked position, the log's last notification id and the number of journal lines."""
        error = self.error
        return Status(position=self.store.position(),
                      log_position=self.app.recorder.max_notification_id() or 0,
                      lines=self.store.count_lines(), error=None if error is None else repr(error))

    def wait_for(self, position: int | None = None, timeout_s: float = 2.0) -> int:
        """Block until the journal has applied ``position`` (default: the log's last event); returns it.

        Raises ProjectionLagging once ``timeout_s`` has passed without it.
        """
        assert 0 <= timeout_s <= MAX_WAIT_S, f"timeout must be 0 to {MAX_WAIT_S} s"
        if position is None:
            reached, position = self.store.heads(self.app.recorder)
            if reached >= position:
                return reached
        deadline = monotonic() + timeout_s
        while (reached := self.store.position()) < position:
            remaining = deadline - monotonic()
            if remaining <= 0:
                failing = "" if self.error is None else f"; the runner is failing: {self.error!r}"
                raise ProjectionLagging(f"the journal is at {reached}, not yet at {position}{failing}")
            self._follower.wake()  # a polling runner pulls now instead of at its next poll
            with self._advanced:
                self._advanced.wait(min(remaining, WAIT_POLL_S))
        return reached

    # Applying ------------------------------------------------------------------------------------

    def apply(self, notifications: Sequence[Notification], after: int) -> None:
        """Post a batch and commit its lines with its last position, atomically (hold ``lock``)."""
        rows, purges, moves = self.batch(notifications)
        self.store.commit(rows, Tracking(self.app.name, notifications[-1].id), after, purges, moves)
        self._notify()

    def batch(self, notifications: Sequence[Notification]) -> Batch:
        """The journal lines a batch posts, numbered within each event, encoded for the store, the
        agreements it purges and the moves of the balance history."""
        rows: list[Any] = []
        purges: list[Purge] = []
        moves: list[Move] = []
        add, decode, posting = self.store.add_entry, self.app.mapper.to_domain_event, self.posting
        wanted = self._wanted
        for notification in notifications:
            topic = notification.topic
            if self._posted is not None and not wanted.get(topic, True):
                continue
            # Each event is dropped as soon as it is posted and its lines are kept encoded, so the
            # garbage collector never has a batch of live objects to scan.
            event = decode(notification)
            if self._posted is not None and topic not in wanted and len(wanted) < MAX_TOPICS:
                # Learnt from the decoded event, so a topic stored under an older name counts as its class.
                wanted[topic] = type(event) in self._posted
            agreement_id = purged(event)
            if agreement_id is not None:
                purges.append((agreement_id, notification.id))
            entries = posting(event)
            if not entries:
                continue
            assert type(entries) is list and len(entries) <= MAX_ENTRIES_PER_EVENT, \
                f"a posting returns a list of at most {MAX_ENTRIES_PER_EVENT} entries"
            position, recorded_at, line_no = notification.id, event.timestamp, 0
            for entry in entries:
                # A JournalEntry balances by construction; it is checked again only for its type.
                assert type(entry) is JournalEntry, f"{entry!r} is not a JournalEntry"
                add(rows, position, line_no + 1, entry, recorded_at)
                line_no += len(entry.lines)
            moves += moves_of(position, entries)
        return Batch(rows, purges, moves)

    def _notify(self) -> None:
        with self._advanced:
            self._advanced.notify_all()

    # Following in the background -----------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the background thread is following the log."""
        return self._follower.running

    @property
    def error(self) -> BaseException | None:
        """The background thread's last failure, until a batch succeeds again."""
        return self._follower.error

    def start(self) -> None:
        """Follow the log in a background thread until ``stop``."""
        self._follower.start()

    def stop(self) -> None:
        """Stop the background thread after the batch in hand; uncommitted events are read again later."""
        self._follower.stop()

    def close(self) -> None:
        """Stop following and release the store."""
        self.stop()
        self.store.close()

    def __enter__(self) -> JournalRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _on_disk(app: Application[Any]) -> bool:
    """Whether other processes can open the application's store: not in memory."""
    factory = app.factory
    if isinstance(factory, SQLiteFactory):
        return not SQLiteConnectionPool.detect_memory_mode(app.env.get(SQLiteFactory.SQLITE_DBNAME) or "")
    return isinstance(factory, PostgresFactory)
