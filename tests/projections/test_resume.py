"""A runner stopped or killed at any point resumes to the same journal as an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest

from api.settings import Settings
from domain.application import Ledger
from projections.journal.entries import Event, JournalEntry
from projections.journal.queries import Sums, lines, sums
from projections.journal.runner import JournalRunner
from tests.projections.postings import accede, commitments, env_of, open_agreement

ROOT = Path(__file__).resolve().parents[2]
LATE = date(2026, 12, 31)
PUPILS = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]


def _journal(runner: JournalRunner, agreement_id: UUID) -> tuple[Sums, list[object]]:
    return sums(runner.store, agreement_id, as_of=LATE), lines(runner.store, agreement_id, limit=1_000)


def _uninterrupted(settings: Settings, agreement_id: UUID) -> tuple[Sums, list[object]]:
    """What one run from zero gives: a rebuild, in a fresh process-like application and runner."""
    app = Ledger(env=settings.persistence_env())
    try:
        with JournalRunner(app, commitments, batch_size=1_000) as runner:
            runner.rebuild()
            return _journal(runner, agreement_id)
    finally:
        app.close()


def test_a_runner_stopped_between_batches_resumes_where_it_left_off(settings: Settings,
                                                                    ledger: Ledger) -> None:
    agreement = open_agreement(ledger)
    accede(ledger, agreement, PUPILS)
    with JournalRunner(ledger, commitments, batch_size=3) as first:
        assert first.run_once() + first.run_once() == 6
        stopped_at = first.position()
    app = Ledger(env=settings.persistence_env())  # as after a restart of the process
    try:
        with JournalRunner(app, commitments, batch_size=3) as second:
            assert second.position() == stopped_at
            assert second.catch_up() == ledger.recorder.max_notification_id() - stopped_at
            resumed = _journal(second, agreement)
    finally:
        app.close()
    assert resumed == _uninterrupted(settings, agreement)


def test_a_posting_that_fails_mid_batch_leaves_no_part_of_the_batch(settings: Settings,
                                                                     ledger: Ledger) -> None:
    agreement = open_agreement(ledger)
    accede(ledger, agreement, PUPILS)
    calls = 0

    def fails_on_the_seventh_accession(event: Event) -> list[JournalEntry]:
        nonlocal calls
        entries = commitments(event)
        calls += bool(entries)
        if calls == 7:
            raise RuntimeError("the process dies here")
        return entries

    with JournalRunner(ledger, fails_on_the_seventh_accession, batch_size=4) as crashing:
        with pytest.raises(RuntimeError):
            crashing.catch_up()
        status = crashing.status()
        beyond = [line for line in lines(crashing.store, agreement, limit=1_000)
                  if line.position > status.position]
    accessions = [n.id for n in ledger.recorder.select_notifications(start=1, limit=100)
                  if n.topic.endswith("PartyAcceded")]
    # Whole batches of four were kept, up to the one holding the seventh accession, and no line beyond.
    assert status.position == (accessions[6] - 1) // 4 * 4
    assert status.lines == 2 * sum(position <= status.position for position in accessions)
    assert beyond == []
    with JournalRunner(ledger, commitments, batch_size=4) as restarted:
        restarted.catch_up()
        assert _journal(restarted, agreement) == _uninterrupted(settings, agreement)


_CHILD = """
import sys, time
from pathlib import Path
from api.settings import Settings
from domain.application import Ledger
from projections.journal.runner import JournalRunner
from tests.projections.postings import commitments

marker = Path(sys.argv[1])
runner = JournalRunner(Ledger(env=Settings().persistence_env()), commitments, batch_size=3)
runner.run_once()

def stall(cursor, tracking):
    # The batch's lines are written and its transaction is open: be killed here.
    marker.write_text(str(tracking.notification_id))
    time.sleep(120)

runner.store.recorder._insert_tracking = stall
runner.run_once()
"""


def test_a_runner_killed_inside_its_transaction_loses_only_that_batch(settings: Settings, ledger: Ledger,
                                                                       tmp_path: Path) -> None:
    agreement = open_agreement(ledger)
    accede(ledger, agreement, PUPILS)
    marker = tmp_path / "in-transaction"
    env = {**os.environ, **env_of(settings), "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(marker)], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), "the child never reached its second transaction"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    with JournalRunner(ledger, commitments, batch_size=3) as after_kill:
        assert after_kill.position() == 3  # the first batch only
        after_kill.catch_up()
        assert _journal(after_kill, agreement) == _uninterrupted(settings, agreement)
