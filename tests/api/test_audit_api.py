"""The audit routes, the `ledger audit` commands and an auditor's export, on both databases."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.cli import main
from api.demo import load_demo
from api.settings import Settings
from tests.api.helpers import auth
from tests.api.test_cli import cli_settings  # noqa: F401  (fixture)


def test_auditor_pages_the_chained_events_and_verifies(client: TestClient, tokens: dict[str, str]) -> None:
    load_demo(client.app.state.ledger, as_of=date(2026, 3, 1))
    first = client.get("/v1/audit/events?limit=3", headers=auth(tokens["auditor"]))
    assert first.status_code == 200
    page = first.json()
    assert [e["position"] for e in page] == [1, 2, 3]
    assert page[0]["prev_hash"] == "0" * 64 and page[1]["prev_hash"] == page[0]["hash"]
    assert page[0]["type"] == "ApiToken.Issued" and page[0]["version"] == 1
    assert {"recorded_at", "payload", "version", "aggregate_id"} <= set(page[0])
    after = client.get("/v1/audit/events?after=3&limit=2", headers=auth(tokens["auditor"])).json()
    assert after[0]["position"] == 4 and after[0]["prev_hash"] == page[2]["hash"]
    verdict = client.get("/v1/audit/verify", headers=auth(tokens["auditor"])).json()
    assert verdict["ok"] is True and verdict["first_bad_position"] is None
    assert verdict["events_checked"] == client.app.state.ledger.recorder.max_notification_id()


@pytest.mark.parametrize("role, status", [("auditor", 200), ("coordinator", 200), ("finance", 200),
                                          ("scheduler", 403), ("party", 403)])
def test_only_roles_that_read_everything_read_the_audit_trail(client: TestClient, tokens: dict[str, str],
                                                              role: str, status: int) -> None:
    assert client.get("/v1/audit/verify", headers=auth(tokens[role])).status_code == status
    assert client.get("/v1/audit/events", headers=auth(tokens[role])).status_code == status


def test_page_size_is_limited(client: TestClient, tokens: dict[str, str]) -> None:
    assert client.get("/v1/audit/events?limit=501", headers=auth(tokens["auditor"])).status_code == 422


def test_export_verifies_offline_and_one_changed_byte_fails_at_its_line(
        cli_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    assert main(["demo"]) == 0
    assert main(["audit", "checkpoint"]) == 0
    assert main(["audit", "verify"]) == 0
    out = tmp_path / "export"
    assert main(["audit", "export", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["events"] > 100 and manifest["journal_lines"] > 0 and manifest["checkpoints"] == 2
    capsys.readouterr()
    assert main(["audit", "verify", "--export", str(out)]) == 0
    assert "export ok" in capsys.readouterr().out
    events = (out / "events.jsonl").read_bytes().splitlines(keepends=True)
    line = events[41]
    at = line.index(b'"originator_version":') + len(b'"originator_version":')
    events[41] = line[:at] + bytes([line[at] ^ 1]) + line[at + 1:]  # 1 → 0, 2 → 3, …
    (out / "events.jsonl").write_bytes(b"".join(events))
    assert main(["audit", "verify", "--export", str(out)]) == 1
    assert "events.jsonl line 42" in capsys.readouterr().out


def test_a_changed_journal_byte_fails_the_manifest(cli_settings: Settings, tmp_path: Path,  # noqa: F811
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = tmp_path / "export"
    assert main(["audit", "export", str(out)]) == 0
    journal = (out / "journal.jsonl").read_bytes()
    (out / "journal.jsonl").write_bytes(journal.replace(b"0", b"1", 1))
    capsys.readouterr()
    assert main(["audit", "verify", "--export", str(out)]) == 1
    assert "journal.jsonl" in capsys.readouterr().out


def test_public_key_is_printed(cli_settings: Settings,  # noqa: F811
                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "public-key"]) == 0
    assert len(capsys.readouterr().out.strip()) == 44  # base64 of 32 bytes
