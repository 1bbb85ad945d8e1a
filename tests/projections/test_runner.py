"""The journal runner on SQLite and PostgreSQL: exactly once, in order, resumable and rebuildable."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError
from eventsourcing.postgres import PostgresSubscription

from api.settings import Settings
from domain.application import Ledger
from projections.journal.entries import Event, JournalEntry, JournalLine
from projections.journal.queries import START, account_total, lines, sums
from projections.journal.runner import JournalRunner, ProjectionLagging
from projections.journal.store import TrackingMoved
from tests.projections.postings import accede, commitments, open_agreement

PUPILS = [100, 250, 37, 1_000, 3]
LATE = date(2026, 12, 31)


@pytest.fixture
def runner(ledger: Ledger) -> Iterator[JournalRunner]:
    """A runner with the test posting and small batches, so a few events span several batches."""
    with JournalRunner(ledger, commitments, batch_size=2) as journal:
        yield journal


def _all_lines(runner: JournalRunner, agreement_id: UUID) -> list[tuple[object, ...]]:
    found, after = [], START
    while page := lines(runner.store, agreement_id, after=after, limit=3):
        found += [(line.position, line.line_no, line.entry_id, line.party_id, line.account, line.amount,
                   line.business_date, line.recorded_at, line.event_type) for line in page]
        after = page[-1].cursor
    return found


def test_each_event_is_applied_exactly_once_in_order(ledger: Ledger, runner: JournalRunner) -> None:
    agreement = open_agreement(ledger)
    parties = accede(ledger, agreement, PUPILS)
    last = ledger.recorder.max_notification_id()
    assert runner.catch_up() == last  # every notification, money or not, is tracked
    assert runner.position() == last
    figures = sums(runner.store, agreement, as_of=LATE)
    assert figures == {**{("receivable_committed", p): Decimal(n * 50).quantize(Decimal("0.01"))
                          for p, n in zip(parties, PUPILS, strict=True)},
                       ("funding_committed", None): Decimal("-69500.00")}
    journal = _all_lines(runner, agreement)
    assert len(journal) == 2 * len(PUPILS)
    # One business date: the lines are unique and in log order.
    assert [row[:2] for row in journal] == sorted({row[:2] for row in journal})
    assert len({row[2] for row in journal}) == len(PUPILS)  # one entry per accession


def test_running_again_applies_nothing(ledger: Ledger, runner: JournalRunner) -> None:
    accede(ledger, open_agreement(ledger), PUPILS)
    runner.catch_up()
    before = runner.status()
    assert runner.catch_up() == 0
    assert runner.run_once() == 0
    assert runner.status() == before
    assert before.lines == 10 and before.lag == 0


def test_later_events_are_applied_from_the_tracked_position(ledger: Ledger, runner: JournalRunner) -> None:
    agreement = open_agreement(ledger)
    accede(ledger, agreement, PUPILS[:2])
    runner.catch_up()
    accede(ledger, agreement, PUPILS[2:], first=2)
    assert runner.catch_up() == 3
    figures = sums(runner.store, agreement, as_of=LATE)
    assert account_total(figures, "funding_committed") == Decimal("-69500.00")


def test_rebuild_gives_identical_lines_and_sums_and_reports_progress(ledger: Ledger,
                                                                     runner: JournalRunner) -> None:
    agreement = open_agreement(ledger)
    accede(ledger, agreement, PUPILS)
    runner.catch_up()
    figures, journal = sums(runner.store, agreement, as_of=LATE), _all_lines(runner, agreement)
    seen: list[tuple[int, int]] = []
    last = ledger.recorder.max_notification_id()
    assert runner.rebuild(lambda position, target: seen.append((position, target))) == last
    assert sums(runner.store, agreement, as_of=LATE) == figures
    assert _all_lines(runner, agreement) == journal
    assert [p for p, _ in seen] == sorted(p for p, _ in seen) and seen[-1] == (last, last)


def test_an_unbalanced_entry_stops_the_batch_and_nothing_of_it_is_kept(ledger: Ledger) -> None:
    accede(ledger, open_agreement(ledger), PUPILS)

    def lopsided(event: Event) -> list[JournalEntry]:
        entries = commitments(event)
        if entries:
            debit, credit = entries[0].lines
            return [JournalEntry(entries[0].entry_id, entries[0].agreement_id, entries[0].business_date,
                                 (debit, JournalLine(credit.account, None, credit.amount + Decimal("0.01"))),
                                 entries[0].event_type)]
        return []

    with JournalRunner(ledger, lopsided, batch_size=100) as broken:
        with pytest.raises(AssertionError, match="does not balance"):
            broken.catch_up()
        assert broken.status().position == 0 and broken.status().lines == 0


def test_wait_for_returns_once_the_runner_reaches_the_position(ledger: Ledger, runner: JournalRunner) -> None:
    agreement = open_agreement(ledger)
    runner.start()
    try:
        for n, pupils in enumerate(PUPILS):
            accede(ledger, agreement, [pupils], first=n)
            reached = runner.wait_for(timeout_s=10)  # the log's last event: read your own write
            assert reached == ledger.recorder.max_notification_id()
            assert len(sums(runner.store, agreement, as_of=LATE)) == n + 2
    finally:
        runner.stop()
    assert runner.status().lines == 2 * len(PUPILS) and runner.error is None


def test_wait_for_times_out_when_nothing_applies_the_events(ledger: Ledger, runner: JournalRunner) -> None:
    accede(ledger, open_agreement(ledger), PUPILS[:1])
    started = time.monotonic()
    with pytest.raises(ProjectionLagging, match="the journal is at 0"):
        runner.wait_for(ledger.recorder.max_notification_id(), timeout_s=0.3)
    assert 0.3 <= time.monotonic() - started < 2
    assert runner.wait_for(0, timeout_s=0) == 0


def test_an_event_recorded_while_the_subscription_starts_is_still_applied(
        ledger: Ledger, runner: JournalRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL: the subscription reads, then listens; an event recorded in between is announced to none."""
    listen = PostgresSubscription._listen

    def listen_late(subscription: PostgresSubscription) -> None:
        time.sleep(0.6)
        listen(subscription)

    monkeypatch.setattr(PostgresSubscription, "_listen", listen_late)
    agreement = open_agreement(ledger)
    runner.start()
    try:
        time.sleep(0.3)  # the subscription has read the log and is not yet listening
        accede(ledger, agreement, [7])
        runner.wait_for(timeout_s=5)
    finally:
        runner.stop()
    assert runner.status().lines == 2


def test_the_background_runner_follows_a_busy_log_exactly_once(ledger: Ledger, runner: JournalRunner) -> None:
    agreement = open_agreement(ledger)
    runner.start()
    try:
        accede(ledger, agreement, list(range(1, 41)))
        runner.wait_for(timeout_s=20)
        assert runner.run_once() == 0
    finally:
        runner.stop()
    assert runner.status().lines == 80
    figures = sums(runner.store, agreement, as_of=LATE)
    assert account_total(figures, "funding_committed") == Decimal("-41000.00")


def test_rebuild_while_following_stops_and_restarts_the_follower(ledger: Ledger,
                                                                  runner: JournalRunner) -> None:
    agreement = open_agreement(ledger)
    accede(ledger, agreement, PUPILS)
    runner.start()
    try:
        runner.wait_for(timeout_s=10)
        runner.rebuild()
        assert runner.running
        accede(ledger, agreement, [5], first=len(PUPILS))
        runner.wait_for(timeout_s=10)
    finally:
        runner.stop()
    assert runner.status().lines == 12


def test_two_runners_at_once_still_apply_each_event_once(settings: Settings, ledger: Ledger) -> None:
    agreement = open_agreement(ledger)
    accede(ledger, agreement, list(range(1, 31)))
    apps = [Ledger(env=settings.persistence_env()) for _ in range(2)]
    runners = [JournalRunner(app, commitments, batch_size=1) for app in apps]
    errors: list[BaseException] = []

    def race(runner: JournalRunner) -> None:
        try:
            runner.catch_up()
        except (TrackingMoved, IntegrityError) as exc:  # lost the race too often in a row: allowed
            errors.append(exc)

    try:
        threads = [threading.Thread(target=race, args=(r,)) for r in runners]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(errors) <= 1
        runners[0].catch_up()  # whatever a runner gave up on after its retries
        status = runners[0].status()
        assert status.position == ledger.recorder.max_notification_id()
        assert status.lines == 60
        assert account_total(sums(runners[0].store, agreement, as_of=LATE), "funding_committed") \
            == Decimal("-23250.00")
    finally:
        for r, app in zip(runners, apps, strict=True):
            r.close()
            app.close()
