"""Operations (issue 16 item 10): verify's result on stdout and logs on stderr, `make run PORT=`, metrics."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.cli import _parser, main
from api.settings import Settings
from tests.api.helpers import auth
from tests.api.test_cli import cli_settings  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]
MISSING = "00000000-0000-4000-8000-000000000000"


def _json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]  # every line is one JSON object


def test_verify_prints_a_sentence_on_stdout_and_logs_json_on_stderr(
        cli_settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    assert main(["tokens", "create", "--role", "auditor"]) == 0
    assert main(["audit", "checkpoint"]) == 0  # seal as the service does; verify itself only reads
    capsys.readouterr()
    assert main(["audit", "verify"]) == 0
    out, err = capsys.readouterr()
    assert re.fullmatch(r"chain ok: 1 events in \d+\.\d s\n", out), out
    logged = _json_lines(err)
    assert logged and {"event", "level", "timestamp"} <= set(logged[-1])
    assert any(line["event"] == "audit_verified" for line in logged)


def test_verify_json_prints_only_the_verdict_on_stdout(
        cli_settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    assert main(["tokens", "create", "--role", "auditor"]) == 0
    assert main(["audit", "checkpoint"]) == 0  # seal as the service does; verify itself only reads
    capsys.readouterr()
    assert main(["audit", "verify", "--json"]) == 0
    out, err = capsys.readouterr()
    [verdict] = _json_lines(out)
    assert verdict["ok"] is True and verdict["events_checked"] == 1 and verdict["first_bad_position"] is None
    assert all("event" in line for line in _json_lines(err))


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_takes_port() -> None:
    def dry_run(*extra: str) -> str:
        return subprocess.run(["make", "-n", "-C", str(ROOT), "run", *extra], capture_output=True, text=True,
                              check=True, timeout=30).stdout

    assert "ledger serve --port 8123" in dry_run("PORT=8123")
    assert "ledger serve --port 8000" in dry_run()
    assert _parser().parse_args(["serve", "--port", "8123"]).port == 8123


def test_metrics_count_requests_by_route_template_and_status(client: TestClient, tokens: dict[str, str]) -> None:
    for _ in range(3):
        assert client.get("/v1/agreements", headers=auth(tokens["coordinator"])).status_code == 200
    assert client.get(f"/v1/agreements/{MISSING}", headers=auth(tokens["coordinator"])).status_code == 404
    assert client.get("/no/such/route").status_code == 404
    assert client.get("/health").status_code == 200
    client.app.state.audit.catch_up()
    response = client.get("/metrics", headers=auth(tokens["auditor"]))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'ledger_http_requests_total{method="GET",route="/v1/agreements",status="200"} 3.0' in text
    assert ('ledger_http_requests_total{method="GET",route="/v1/agreements/{agreement_id}",status="404"} 1.0'
            in text)
    assert 'ledger_http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in text
    assert MISSING not in text  # labels are route templates, never the ids in a path
    assert ('ledger_http_request_duration_seconds_count{method="GET",route="/v1/agreements",status="200"} 3.0'
            in text)
    position = client.app.state.ledger.recorder.max_notification_id()
    assert f"ledger_event_log_position {float(position)}" in text
    assert re.search(r"^ledger_journal_lag_events \d+\.0$", text, re.M)
    assert f"ledger_audit_chain_head_position {float(position)}" in text


@pytest.mark.parametrize("role, status", [("auditor", 200), ("coordinator", 200), ("finance", 200),
                                          ("scheduler", 200), ("party", 403)])
def test_metrics_are_kept_from_parties(client: TestClient, tokens: dict[str, str], role: str, status: int) -> None:
    assert client.get("/metrics", headers=auth(tokens[role])).status_code == status
    assert client.get("/metrics").status_code == 401
