"""Purging an agreement's records after its retention end, on both databases (R-REC-1).

Before the end nothing changes; after it, the agreement's journal lines go, the events stay, the hash
chain still verifies, and a rebuild or a replay keeps the agreement purged.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest

from api.cli import main
from api.settings import Settings
from domain.agreements.agreement import Agreement
from domain.application import Ledger
from domain.kernel.errors import DomainError
from projections.figures import answers
from projections.audit.chain import AuditChain
from projections.journal.queries import sums
from projections.audit.replay import replay
from projections.journal.runner import JournalRunner
from tests.projections.audit_helpers import ended_agreement, money_history
from tests.projections.postings import env_of

ON = date(2025, 6, 1)  # the purge's date in these tests: after 2024-12-31, and not after today


@pytest.fixture
def agreements(ledger: Ledger) -> dict[str, UUID]:
    """The demo agreements with money, OLD (ended 2014-12-31, kept to 2024-12-31) and RECENT (ended
    2020-12-31, kept to 2030-12-31)."""
    ids = money_history(ledger)
    ids["OLD"] = ended_agreement(ledger, "OLD", ends_on=date(2014, 12, 31))
    ids["RECENT"] = ended_agreement(ledger, "RECENT", ends_on=date(2020, 12, 31))
    return ids


@pytest.fixture
def live(ledger: Ledger, agreements: dict[str, UUID]) -> Iterator[JournalRunner]:
    with JournalRunner(ledger) as runner:
        runner.catch_up()
        yield runner


def state(ledger: Ledger, live: JournalRunner, ids: dict[str, UUID]) -> tuple[int, dict[str, int], dict]:
    """The log's length, each agreement's journal lines and sums as of 2026-12-31."""
    live.catch_up()
    return (ledger.recorder.max_notification_id() or 0,
            {code: live.store.count_lines(aid) for code, aid in ids.items()},
            {code: sums(live.store, aid, as_of=date(2026, 12, 31)) for code, aid in ids.items()})


@pytest.mark.parametrize("code, on, kept_until", [
    ("LYHTY", date(2026, 6, 1), "2036-12-31"),  # in force
    ("RECENT", ON, "2030-12-31"),  # ended less than ten years ago
    ("OLD", date(2024, 12, 31), "2024-12-31"),  # on the retention's last day
])
def test_a_purge_before_the_retention_end_is_refused_and_changes_nothing(
        ledger: Ledger, live: JournalRunner, agreements: dict[str, UUID], code: str, on: date,
        kept_until: str) -> None:
    """R-REC-1: nothing of an agreement can be purged before its retention has ended."""
    before = state(ledger, live, agreements)
    with pytest.raises(DomainError) as refused:
        ledger.purge_records(agreements[code], purged_on=on)
    assert refused.value.code == "retention_period_running"
    assert refused.value.extra == {"retention_ends_on": kept_until}
    assert f"kept until {kept_until}" in refused.value.detail
    assert state(ledger, live, agreements) == before
    assert ledger.get_agreement(agreements[code], as_of=on)["purged_on"] is None


def test_a_purge_after_the_retention_end_removes_the_journal_and_keeps_the_events(
        ledger: Ledger, live: JournalRunner, agreements: dict[str, UUID]) -> None:
    """R-REC-1: after its retention end an agreement's journal lines go; the events stay in the log."""
    events, lines, figures = state(ledger, live, agreements)
    assert lines["OLD"] > 0
    purged = ledger.purge_records(agreements["OLD"], purged_on=ON)
    assert purged == {"agreement_id": str(agreements["OLD"]), "ended_on": "2014-12-31",
                      "retention_ends_on": "2024-12-31", "purged_on": "2025-06-01",
                      "contacts_erased": 0}
    after_events, after_lines, after_figures = state(ledger, live, agreements)
    assert after_events == events + 1  # RecordsPurged is appended, nothing is removed
    assert after_lines == {**lines, "OLD": 0}
    assert after_figures == {**figures, "OLD": {}}
    last = ledger.recorder.select_notifications(start=after_events, limit=1)[0]
    assert ledger.mapper.to_domain_event(last).__class__ is Agreement.RecordsPurged
    assert len(list(ledger.events.get(agreements["OLD"]))) > 1  # its own history is all still there
    with pytest.raises(DomainError) as gone:
        answers.balances(ledger, live.store, agreements["OLD"], as_of=ON)
    assert gone.value.code == "records_purged"
    with pytest.raises(DomainError) as twice:
        ledger.purge_records(agreements["OLD"], purged_on=ON)
    assert twice.value.code == "records_purged"


def test_a_purge_survives_a_rebuild_and_the_replay_agrees(ledger: Ledger, live: JournalRunner,
                                                          agreements: dict[str, UUID]) -> None:
    """R-REC-1: the purge is an event, so rebuilding the journal from the log purges again."""
    ledger.purge_records(agreements["OLD"], purged_on=ON)
    before = state(ledger, live, agreements)
    live.rebuild()
    assert state(ledger, live, agreements) == before
    report = replay(ledger, live, [date(2010, 12, 31), ON])
    assert report.ok, report.differences[:5]
    assert report.purged == ["OLD"] and report.agreements == 5


def test_the_hash_chain_still_verifies_after_a_purge(ledger: Ledger, live: JournalRunner,
                                                     agreements: dict[str, UUID]) -> None:
    """R-REC-1: a purge appends to the log and alters nothing in it: the chain verifies across it."""
    chain = AuditChain(ledger)
    chain.catch_up()
    assert chain.verify().ok
    ledger.purge_records(agreements["OLD"], purged_on=ON)
    live.catch_up()
    chain.catch_up()
    verdict = chain.verify()
    assert verdict.ok and verdict.events_checked == ledger.recorder.max_notification_id()


def test_ledger_audit_purge_refuses_then_purges_and_verify_stays_green(
        ledger: Ledger, agreements: dict[str, UUID], settings: Settings, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """R-REC-1: `ledger audit purge` names the retention end when refusing; afterwards verify passes."""
    for name, value in env_of(settings).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # the development signing key goes to ./var
    assert main(["audit", "purge", "RECENT", "--on", "2025-06-01"]) == 1
    assert "retention_period_running" in capsys.readouterr().err
    assert main(["audit", "purge", "LYHTY"]) == 1
    assert "kept until 2036-12-31" in capsys.readouterr().err
    assert main(["audit", "purge", "OLD", "--on", "2999-01-01"]) == 1
    assert "invalid_date" in capsys.readouterr().err
    assert main(["audit", "purge", str(agreements["OLD"]), "--on", "2025-06-01"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("purged OLD on 2025-06-01: ") and "its retention on 2024-12-31" in out
    assert " 0 journal lines removed" not in out
    assert main(["audit", "verify"]) == 0
    assert main(["audit", "replay", "--as-of", "2010-12-31"]) == 0
    out = capsys.readouterr().out
    assert "purged: OLD" in out and "replay ok: 5 agreements × 1 dates" in out
