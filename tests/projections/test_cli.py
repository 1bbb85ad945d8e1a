"""`ledger projections status` and `ledger projections rebuild` on the store `ledger serve` uses."""

from __future__ import annotations

import pytest

from api.cli import main
from api.settings import Settings
from domain.application import Ledger
from tests.projections.postings import accede, env_of, open_agreement


@pytest.fixture
def cli_ledger(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Ledger:
    """The test's store, named to the command line through the environment; with a few events."""
    for name, value in env_of(settings).items():
        monkeypatch.setenv(name, value)
    ledger = Ledger(env=Settings().persistence_env())
    accede(ledger, open_agreement(ledger), [1, 2, 3])
    return ledger


def test_status_shows_the_lag_and_rebuild_catches_up_with_progress(
        cli_ledger: Ledger, capsys: pytest.CaptureFixture[str]) -> None:
    last = cli_ledger.recorder.max_notification_id()
    cli_ledger.close()
    assert main(["projections", "status"]) == 0
    assert f"journal: position 0 of {last} (lag {last}), 0 lines" in capsys.readouterr().out
    assert main(["projections", "rebuild"]) == 0
    out = capsys.readouterr().out
    assert f"rebuild: position {last} of {last} (100 %)" in out
    assert f"rebuilt the journal from {last} events" in out
    assert main(["projections", "status"]) == 0
    assert f"journal: position {last} of {last} (lag 0)" in capsys.readouterr().out
