"""The audit replay on both databases: every figure rebuilt from the events alone equals the live one,
and a live journal altered behind the ledger's back is caught, figure by figure (R-REC-1)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from api.cli import main
from api.settings import Settings
from domain.application import Ledger
from domain.kernel.identifiers import party_id
from projections.figures.answers import every_figure
from projections.audit.replay import FROM_LINES, SERVED, ReplayReport, replay
from projections.journal.runner import JournalRunner
from tests.projections.audit_helpers import KELA, Console, money_history
from tests.projections.postings import env_of

DATES = [date(2025, 12, 31), date(2026, 2, 5), date(2026, 3, 31)]


@pytest.fixture
def live(ledger: Ledger) -> Iterator[JournalRunner]:
    """The live journal of a money history, caught up."""
    money_history(ledger)
    with JournalRunner(ledger) as runner:
        runner.catch_up()
        yield runner


@pytest.fixture
def scratch_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the replay's temporary files go, to see that it leaves none behind."""
    directory = tmp_path / "scratch"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    return directory


def served_figures(ledger: Ledger, live: JournalRunner) -> dict[UUID, dict[str, Any]]:
    return {aid: every_figure(ledger, live.store, aid, as_of=DATES[1]) for aid in ledger.agreement_ids()}


def differences(report: ReplayReport) -> set[tuple[str, str, str, str, str]]:
    return {(d.code, d.as_of.isoformat(), d.figure, d.key, f"{d.live} → {d.replayed}")
            for d in report.differences}


def test_replay_as_of_three_dates_equals_the_live_figures(ledger: Ledger, live: JournalRunner,
                                                         scratch_dir: Path) -> None:
    """R-REC-1: every figure the API serves is recomputed from the events alone, identically."""
    lines, position = live.store.count_lines(), live.position()
    served = served_figures(ledger, live)
    report = replay(ledger, live, DATES)
    assert report.ok, report.differences[:5]
    assert (report.agreements, len(report.dates)) == (3, 3)
    assert report.events_replayed == report.position == ledger.recorder.max_notification_id()
    assert report.figures_compared > 1_000 and not report.log_moved and report.purged == []
    assert report.summary().startswith("replay ok: 3 agreements × 3 dates, ")
    # The live read model is untouched and the scratch journal is gone.
    assert (live.store.count_lines(), live.position()) == (lines, position)
    assert served_figures(ledger, live) == served
    assert list(scratch_dir.iterdir()) == []


def test_an_altered_live_journal_line_is_named_by_figure_and_key(ledger: Ledger, live: JournalRunner,
                                                                settings: Settings) -> None:
    """R-REC-1: a payment line changed in the live table directly shows as Kela's paid differing."""
    lyhty = ledger.agreement_ids()[0]
    kela = party_id(lyhty, KELA)
    before = every_figure(ledger, live.store, lyhty, as_of=DATES[1])["balances"]
    paid = next(row["paid"] for row in before["parties"] if row["party_id"] == str(kela))
    console = Console(settings)
    try:
        position, line_no = console.one_line(lyhty, "cash_received", kela)
        console.run("UPDATE {lines} SET amount_cents = amount_cents + 100 WHERE position = ? AND line_no = ?",
                  (position, line_no))
    finally:
        console.close()
    report = replay(ledger, live, DATES)
    assert not report.ok
    more = f"{Decimal(paid) + 1} → {paid}"
    total = before["totals"]["paid"]
    assert {("LYHTY", "2026-02-05", "balances", f"parties[{KELA}].paid", more),
            ("LYHTY", "2026-02-05", "balances", "totals.paid", f"{Decimal(total) + 1} → {total}"),
            ("LYHTY", "2026-02-05", "refund_preview", f"parties[{KELA}].paid", more)} <= differences(report)
    assert {d.figure for d in report.differences} == {"balances", "funding", "refund_preview",
                                                      "quarterly_report", "final_account"}
    assert {d.code for d in report.differences} == {"LYHTY"}
    assert all(d.as_of >= date(2026, 2, 5) for d in report.differences)  # the payment was on 2026-02-05
    assert {d.source for d in report.differences} == {FROM_LINES}  # the served figures come from the history


def test_a_deleted_live_journal_line_is_found(ledger: Ledger, live: JournalRunner,
                                             settings: Settings) -> None:
    """R-REC-1: a spending line removed from the live table shows as spending differing."""
    console = Console(settings)
    try:
        console.run("DELETE FROM {lines} WHERE account = 'spending'")
    finally:
        console.close()
    report = replay(ledger, live, DATES)
    spent = {(d.code, d.figure, d.key) for d in report.differences if d.key == "spent"}
    assert ("LYHTY", "funding", "spent") in spent and ("MH-HS-ICT", "quarterly_report", "spent") in spent


def test_a_live_balance_row_drifted_from_the_lines_is_found_as_served(ledger: Ledger, live: JournalRunner,
                                                                     settings: Settings) -> None:
    """R-REC-1: shared spending raised by 1.00 in the live balance history alone (not in the lines) shows
    as the served spending differing, while the figures summed from the live lines agree."""
    console = Console(settings)
    try:
        for table in ("journal_balances", "journal_accounts"):
            console.run(f"UPDATE {console.table(table)} SET balance_cents = balance_cents + 100"
                        " WHERE account = 'spending'")
    finally:
        console.close()
    report = replay(ledger, live, DATES)
    spent = {(d.code, d.as_of.isoformat(), d.figure, d.key, d.source) for d in report.differences
             if d.key == "spent"}
    assert ("LYHTY", "2026-03-31", "funding", "spent", SERVED) in spent
    assert {d.source for d in report.differences} == {SERVED}
    assert next(d for d in report.differences if d.key == "spent").line().endswith(f"({SERVED})")


def test_aggregates_are_replayed_from_their_events_not_from_a_tampered_snapshot(
        ledger: Ledger, live: JournalRunner, settings: Settings) -> None:
    """R-REC-1: a snapshot altered behind the guards misleads a freshly started service, not the replay."""
    lyhty = ledger.agreement_ids()[0]
    ledger.take_snapshot(lyhty)
    name = ledger.snapshots.recorder.events_table_name  # type: ignore[union-attr, attr-defined]
    console = Console(settings, events=True)
    try:
        console.bypass_guards(name)
        state = json.loads(bytes(console.run(f"SELECT state FROM {console.table(name)}")[0][0]))
        state["state"]["terms"]["refund_threshold_pp"] = 90
        console.run(f"UPDATE {console.table(name)} SET state = ?",
                    (json.dumps(state, separators=(",", ":")).encode(),))
    finally:
        console.close()
    restarted = Ledger(env=settings.persistence_env())
    try:
        with JournalRunner(restarted) as runner:
            report = replay(restarted, runner, DATES)
    finally:
        restarted.close()
    assert ("LYHTY", "2025-12-31", "funding", "refund_threshold_pp", "90 → 20") in differences(report)


def test_ledger_audit_replay_exits_0_when_identical_and_1_naming_the_difference(
        ledger: Ledger, settings: Settings, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """R-REC-1: `ledger audit replay --as-of` prints a summary, and each difference with its figure."""
    for name, value in env_of(settings).items():
        monkeypatch.setenv(name, value)
    money_history(ledger)
    dates = ["--as-of", "2025-12-31,2026-02-05", "--as-of", "2026-03-31"]
    assert main(["audit", "replay", *dates]) == 0
    out = capsys.readouterr().out
    assert "replay ok: 3 agreements × 3 dates, " in out and "difference" not in out
    assert main(["audit", "replay", "--as-of", "2026-03-31", "--agreement", "LYHTY"]) == 0
    assert "replay ok: 1 agreements × 1 dates, " in capsys.readouterr().out
    lyhty = ledger.agreement_ids()[0]
    console = Console(settings)
    try:
        position, line_no = console.one_line(lyhty, "cash_received", party_id(lyhty, KELA))
        console.run("DELETE FROM {lines} WHERE position = ? AND line_no = ?", (position, line_no))
    finally:
        console.close()
    assert main(["audit", "replay", *dates]) == 1
    out = capsys.readouterr().out
    assert f"difference: LYHTY 2026-02-05 balances parties[{KELA}].paid: live " in out
    assert out.strip().splitlines()[-1].startswith("replay BAD: ")
