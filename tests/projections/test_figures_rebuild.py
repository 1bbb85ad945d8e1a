"""Figures are reproducible from the events alone: a rebuild, or a run killed midway, gives the same."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest

from eventsourcing.utils import resolve_topic

from api.demo import load_demo
from domain.application import Ledger
from projections.journal.entries import Event, JournalEntry
from projections.journal.postings import POSTED_TYPES, post
from projections.journal import runner as runner_module
from projections.journal.queries import MAX_PAGE, START, lines, sums
from projections.journal.runner import JournalRunner


def history(ledger: Ledger) -> dict[str, UUID]:
    """The demo agreements invoiced to 2026-02-01, with payments, a credit note and spending."""
    ids = load_demo(ledger, as_of=date(2026, 2, 1))
    for number, bill in enumerate(ledger.list_invoices(ids["LYHTY"], as_of=date(2026, 2, 1), limit=500)):
        ledger.record_payment(UUID(bill["id"]), amount=f"{1000 + number}.{number:02d}", paid_on=date(2026, 2, 5))
        if number % 4 == 0:
            ledger.issue_credit_note(UUID(bill["id"]), amount="10.00", issued_on=date(2026, 2, 6), reason="fee")
    ledger.record_spending(ids["LYHTY"], amount="12345.67", booked_on=date(2026, 2, 7), category="licences",
                           description="Licence pool")
    return ids


def figures(runner: JournalRunner, ids: dict[str, UUID]) -> dict[str, dict]:
    return {code: {day: sums(runner.store, aid, as_of=day) for day in (date(2025, 12, 31), date(2026, 3, 1))}
            for code, aid in ids.items()}


def test_dropping_and_rebuilding_the_journal_gives_every_figure_again(ledger: Ledger) -> None:
    ids = history(ledger)
    with JournalRunner(ledger, batch_size=7) as runner:
        runner.catch_up()
        before = figures(runner, ids)
        assert before["LYHTY"][date(2026, 3, 1)][("spending", None)] == Decimal("12345.67")
        rebuilt = runner.rebuild()
        assert rebuilt == ledger.recorder.max_notification_id()
        assert figures(runner, ids) == before


class Crash(Exception):
    pass


def test_a_run_killed_midway_and_restarted_gives_the_same_figures(ledger: Ledger) -> None:
    ids = history(ledger)
    seen = {"n": 0}

    def failing(event: Event) -> list[JournalEntry]:
        seen["n"] += 1
        if seen["n"] == 60:
            raise Crash("the process died here")
        return post(event)

    with JournalRunner(ledger, posting=failing, batch_size=25) as broken:
        with pytest.raises(Crash):
            broken.catch_up()
        stopped_at = broken.store.position()
    assert 0 < stopped_at < ledger.recorder.max_notification_id()
    with JournalRunner(ledger, batch_size=25) as resumed:
        resumed.catch_up()
        after_crash = figures(resumed, ids)
        resumed.rebuild()
        assert figures(resumed, ids) == after_crash


def test_events_that_move_no_money_are_not_decoded_yet_their_positions_are_tracked(ledger: Ledger) -> None:
    """Skipping the decoding of events with no posting changes no figure and still tracks every position."""
    ids = history(ledger)
    decoded: list[str] = []
    decode = ledger.mapper.to_domain_event

    def counting(notification):  # type: ignore[no-untyped-def]
        decoded.append(notification.topic)
        return decode(notification)

    with JournalRunner(ledger, posting=lambda event: post(event), batch_size=50) as every:
        every.catch_up()
        expected = figures(every, ids)
    ledger.mapper.to_domain_event = counting  # type: ignore[method-assign]
    with JournalRunner(ledger, batch_size=50) as money_only:
        money_only.rebuild()
        assert figures(money_only, ids) == expected
        assert money_only.position() == ledger.recorder.max_notification_id()
    total = ledger.recorder.max_notification_id()
    # Each topic that moves no money is decoded once, to learn its class, and never again.
    assert len(decoded) < total
    quiet = [topic for topic in set(decoded) if resolve_topic(topic) not in POSTED_TYPES]
    assert quiet and all(decoded.count(topic) == 1 for topic in quiet)


def every_line(runner: JournalRunner, ids: dict[str, UUID]) -> list[tuple]:
    found = []
    for aid in ids.values():
        cursor = START
        while page := lines(runner.store, aid, after=cursor, limit=MAX_PAGE):
            found += [(line.position, line.line_no, line.entry_id, line.account, line.party_id, line.amount,
                       line.business_date) for line in page]
            cursor = page[-1].cursor
    return found


def test_a_rebuild_posted_in_worker_processes_gives_the_same_journal(ledger: Ledger,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Ranges posted in two processes and committed in order give line for line the serial journal."""
    ids = history(ledger)
    with JournalRunner(ledger, batch_size=40) as serial:
        serial.catch_up()
        expected, expected_lines = figures(serial, ids), every_line(serial, ids)
    calls = []
    real = runner_module.post_in_workers

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(len(args[3]))  # the ranges
        return real(*args, **kwargs)

    monkeypatch.setattr(runner_module, "post_in_workers", spy)
    with JournalRunner(ledger, batch_size=40, workers=2, parallel_from=1) as parallel:
        assert parallel.rebuild() == ledger.recorder.max_notification_id()
        assert calls and calls[0] > 2  # several ranges, so the two workers really shared them
        assert parallel.position() == ledger.recorder.max_notification_id()
        assert every_line(parallel, ids) == expected_lines
        assert figures(parallel, ids) == expected
