"""The `ledger` command line: tokens and the demo, on the store `ledger serve` uses."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main
from api.settings import Settings
from domain.kernel.identifiers import agreement_id
from tests.api.helpers import auth


@pytest.fixture
def cli_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    """Point the command line at the test's store through the environment, as a user would."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEDGER_DATABASE", settings.database)
    if settings.database == "postgres":
        pg = settings.postgres
        for name, value in (("HOST", pg.host), ("PORT", str(pg.port)), ("DBNAME", pg.dbname),
                            ("USER", pg.user), ("PASSWORD", pg.password), ("SCHEMA", pg.schema_name)):
            monkeypatch.setenv(f"POSTGRES_{name}", value)
        return Settings()
    monkeypatch.delenv("LEDGER_SQLITE_PATH", raising=False)
    return Settings()  # the default: var/ledger.sqlite under the working directory


def _token(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["tokens", "create", *args]) == 0
    return capsys.readouterr().out.strip().splitlines()[-1]


def test_demo_then_parties_shows_lyhty_with_shares(cli_settings: Settings,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    assert "LYHTY" in capsys.readouterr().out
    token = _token(capsys, "--role", "finance")
    with TestClient(create_app(cli_settings)) as client:
        lyhty = agreement_id("LYHTY")
        parties = client.get(f"/v1/agreements/{lyhty}/parties", headers=auth(token)).json()
        shares = {p["business_id"]: p["cost_share"] for p in parties}
        assert shares["2574261-7"] == "400000.00"  # the state, represented by Valtori
        assert shares["0926151-4"] == "300000.00"  # other municipalities, represented by Kuntaliitto
        assert shares["0246246-0"] == "25000.00"   # Kela
        assert shares["3221318-2"] == "20000.00"   # a county with a 1–2 bn€ budget
        assert shares["3221317-4"] == "10000.00"   # under 1 bn€
        assert shares["3221326-2"] == "25000.00"   # over 2 bn€
        assert shares["2029188-8"] == "5000.00"    # a university of applied sciences
        digione = client.get(f"/v1/agreements/{agreement_id('DIGIONE')}/parties", headers=auth(token)).json()
        assert len(digione) == 7
        assert sum(Decimal(p["cost_share"]) for p in digione) == Decimal("6700000.00")
        forerunners = [p for p in digione if p["joined_on"] < "2021-01-15"]
        assert sum(Decimal(p["cost_share"]) for p in forerunners) == Decimal("5400000.00")
        mh_hs = client.get(f"/v1/agreements/{agreement_id('MH-HS-ICT')}/parties", headers=auth(token)).json()
        # Seed 003 / R-ACC-5: a fixed key, not a population, gives ¾ and ¼ of the shared costs.
        assert [(p["key"], p["key_in_force"], p["metric"]) for p in mh_hs] == [("3/4", "3/4", None),
                                                                              ("1/4", "1/4", None)]


def test_demo_twice_duplicates_nothing(cli_settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    first = capsys.readouterr().out
    with TestClient(create_app(cli_settings)) as client:
        position = client.app.state.ledger.recorder.max_notification_id()
    capsys.readouterr()  # the service's own log lines (it seals and signs the log)
    assert main(["demo"]) == 0
    assert capsys.readouterr().out == first
    with TestClient(create_app(cli_settings)) as client:
        assert client.app.state.ledger.recorder.max_notification_id() == position


def test_tokens_create_prints_a_working_token_last(cli_settings: Settings,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    coordinator = _token(capsys, "--role", "coordinator", "--label", "finance office")
    party = _token(capsys, "--role", "party", "--party", "0246246-0")
    assert coordinator.startswith("clt_") and party.startswith("clt_") and coordinator != party
    with TestClient(create_app(cli_settings)) as client:
        assert client.get("/v1/agreements", headers=auth(coordinator)).status_code == 200
        assert client.post("/v1/agreements", json={}, headers=auth(party)).status_code == 403


def test_tokens_create_refuses_bad_input(cli_settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tokens", "create", "--role", "party", "--party", "1234567-8"]) == 1
    assert "invalid_business_id" in capsys.readouterr().err
    assert main(["tokens", "create", "--role", "party"]) == 1
    assert main(["tokens", "create", "--role", "finance", "--party", "0246246-0"]) == 1


def test_production_refuses_unsafe_defaults(monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LEDGER_ENVIRONMENT", "production")
    monkeypatch.delenv("LEDGER_DATABASE", raising=False)
    assert main(["demo"]) == 2
    assert "LEDGER_DATABASE=postgres" in capsys.readouterr().err
    monkeypatch.setenv("LEDGER_DATABASE", "postgres")
    monkeypatch.delenv("POSTGRES_PASSWORD", raising=False)
    assert main(["demo"]) == 2
    assert "POSTGRES_PASSWORD" in capsys.readouterr().err


def test_demo_issues_the_invoices_due_today_and_kela_sees_its_own(
        cli_settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    party = _token(capsys, "--role", "party", "--party", "0246246-0")
    with TestClient(create_app(cli_settings)) as client:
        own = client.get(f"/v1/agreements/{agreement_id('LYHTY')}/invoices", headers=auth(party)).json()
        assert [(i["instalments"], i["amount"]) for i in own] == [([1], "12500.00"), ([2], "12500.00")]
        finance = _token(capsys, "--role", "finance")
        recharged = client.get(f"/v1/agreements/{agreement_id('MH-HS-ICT')}/invoices",
                               headers=auth(finance)).json()
        hirvensalmi = client.get(f"/v1/agreements/{agreement_id('MH-HS-ICT')}/parties",
                                 headers=auth(finance)).json()[1]["party_id"]
        # Seed 003: Hirvensalmi's fixed quarter of the 10,000.00 and all of the 480.00 travel it bears;
        # Mäntyharju, the coordinator, is never invoiced its own three quarters (R-ACC-4, R-ACC-5).
        assert [(i["party_id"], i["amount"], i["period"]) for i in recharged] == [
            (hirvensalmi, "2980.00", "2025-Q4")]
        assert [(line["description"], line["amount"]) for line in recharged[0]["lines"]] == [
            ("Share of shared costs 2025-Q4", "2500.00"), ("Own costs 2025-Q4", "480.00")]


def test_scheduler_once_sweeps_as_of_a_date_and_again_issues_nothing(
        cli_settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    from api.demo import load_demo
    from domain.application import Ledger

    ledger = Ledger(env=cli_settings.persistence_env())
    try:
        load_demo(ledger)
    finally:
        ledger.close()
    assert main(["scheduler", "--once", "--as-of", "2025-09-01"]) == 0
    assert main(["scheduler", "--once", "--as-of", "2025-09-01"]) == 0
    token = _token(capsys, "--role", "finance")
    with TestClient(create_app(cli_settings)) as client:
        listed = client.get(f"/v1/agreements/{agreement_id('LYHTY')}/invoices", headers=auth(token)).json()
        assert len(listed) == 8 and {i["issued_on"] for i in listed} == {"2025-09-01"}
    assert main(["scheduler", "--as-of", "2025-09-01"]) == 2
