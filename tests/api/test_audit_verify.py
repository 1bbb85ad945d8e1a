"""Issue 16 item 2 (R-REC-1) over the command line and HTTP: verify never writes, and given a known head and
trusted keys it names re-sealing, truncation and another key, with --json and exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from api.cli import main
from api.settings import Settings
from projections.audit.signing import Ed25519Signer
from tests.api.helpers import auth
from tests.api.test_cli import cli_settings  # noqa: F401  (fixture)
from tests.projections.audit_helpers import Raw


@pytest.fixture
def raw(cli_settings: Settings) -> Iterator[Raw]:  # noqa: F811
    """`ledger demo` run (about 180 events, none sealed yet), and a console on its store."""
    assert main(["demo"]) == 0
    console = Raw(cli_settings)
    assert 100 < head_of(console) < 200  # one checkpoint by count (every 100), one at the head
    yield console
    console.close()


def head_of(raw: Raw) -> int:
    """The position of the last stored event."""
    return int(raw.run(f"SELECT max({raw.pos}) FROM {raw.events}")[0][0])


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = main(["audit", "verify", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_verify_writes_nothing_and_a_history_sealed_again_misses_the_known_head(
        raw: Raw, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head = head_of(raw)
    before = raw.rows()
    assert before == {raw.chain: [], raw.checkpoints: []}  # nothing sealed yet
    code, verdict = run_json(capsys)
    assert (code, verdict["ok"], verdict["events_checked"]) == (0, True, 0)
    assert raw.rows() == before  # verify did not seal
    first = tmp_path / "first"
    assert main(["audit", "export", str(first)]) == 0  # the export seals and signs the head
    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["head_position"] == head
    assert [row[0] for row in raw.rows()[raw.checkpoints]] == [100, head]
    assert main(["audit", "verify", "--known-head", str(first / "manifest.json")]) == 0
    raw.bypass_guards()
    raw.edit(5)
    raw.run(f"DELETE FROM {raw.checkpoints}")
    raw.run(f"DELETE FROM {raw.chain}")
    assert main(["audit", "checkpoint"]) == 0  # the service seals the edited log again, with its key
    assert main(["audit", "verify"]) == 0
    code, verdict = run_json(capsys, "--known-head", str(first / "manifest.json"))
    assert (code, verdict["ok"], verdict["failed"], verdict["first_bad_position"]) == (1, False, "known_head", head)
    second = tmp_path / "second"
    assert main(["audit", "export", str(second)]) == 0
    assert main(["audit", "verify", "--export", str(second)]) == 0
    code, verdict = run_json(capsys, "--export", str(second), "--known-head", str(first / "manifest.json"))
    assert (code, verdict["failed"], verdict["first_bad_position"]) == (1, "known_head", head)
    capsys.readouterr()
    assert main(["audit", "verify", "--export", str(second), "--known-head", str(first / "manifest.json")]) == 1
    assert f"export BAD at events.jsonl (position {head}): the chain does not meet the known head" in \
        capsys.readouterr().out


def test_truncation_and_another_key_are_named(raw: Raw, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    first = tmp_path / "first"
    assert main(["audit", "export", str(first)]) == 0
    capsys.readouterr()
    assert main(["audit", "checkpoint", "--json"]) == 0
    published = json.loads(capsys.readouterr().out)
    assert published["position"] == head_of(raw) and set(published) == {"position", "hash", "signature", "public_key",
                                                               "signed_at"}
    (tmp_path / "head.json").write_text(json.dumps(published))
    raw.bypass_guards()
    raw.truncate_after(20)
    code, verdict = run_json(capsys, "--known-head", str(tmp_path / "head.json"))
    assert (code, verdict["failed"], verdict["first_bad_position"]) == (1, "truncated", 21)
    second = tmp_path / "second"
    assert main(["audit", "export", str(second)]) == 0
    code, verdict = run_json(capsys, "--export", str(second), "--known-head", str(tmp_path / "head.json"))
    assert (code, verdict["failed"], verdict["first_bad_position"]) == (1, "truncated", 21)
    other = tmp_path / "other-keys.json"
    other.write_text(json.dumps([{"public_key": Ed25519Signer(Ed25519PrivateKey.generate()).public_key}]))
    code, verdict = run_json(capsys, "--trusted-keys", str(other))
    assert (code, verdict["failed"], verdict["first_bad_position"]) == (1, "untrusted_key", 20)
    code, verdict = run_json(capsys, "--export", str(second), "--trusted-keys", str(other))
    assert (code, verdict["failed"], verdict["first_bad_position"]) == (1, "untrusted_key", 20)
    (tmp_path / "bad.json").write_text('{"position": 3}')
    assert main(["audit", "verify", "--known-head", str(tmp_path / "bad.json")]) == 2
    assert "no head hash" in capsys.readouterr().err


def test_get_verify_writes_nothing_and_checks_a_known_head(client: TestClient, tokens: dict[str, str],
                                                           settings: Settings) -> None:
    auditor = auth(tokens["auditor"])
    console = Raw(settings)
    try:
        verdict = client.get("/v1/audit/verify", headers=auditor).json()
        assert (verdict["ok"], verdict["events_checked"], verdict["failed"]) == (True, 0, None)
        assert console.rows() == {console.chain: [], console.checkpoints: []}
        assert len(client.get("/v1/audit/events", headers=auditor).json()) == 5  # the service seals
        head = client.app.state.audit.store.head()
        assert [row[0] for row in console.rows()[console.checkpoints]] == [5]  # the first seal signs its head
        known = {"known_position": head[0], "known_hash": head[1]}
        assert client.get("/v1/audit/verify", params=known, headers=auditor).json()["ok"] is True
        wrong = client.get("/v1/audit/verify", params={**known, "known_hash": "0" * 64}, headers=auditor).json()
        assert (wrong["ok"], wrong["failed"], wrong["first_bad_position"]) == (False, "known_head", 5)
        half = client.get("/v1/audit/verify", params={"known_position": 5}, headers=auditor)
        assert (half.status_code, half.json()["code"]) == (422, "invalid_known_head")
    finally:
        console.close()
