"""Issue 16 item 2 (R-REC-1): an event whose stored state was overwritten with bytes that are not JSON (or
not UTF-8) is reported by every verifier as the chain BAD at its position (`failed: "undecodable"`), with
exit code 1 and --json, over HTTP too, never as a traceback; an export whose lines are not ours is BAD
at the line, with `failed: "file"`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.cli import main
from api.settings import Settings
from projections.audit.export import MAX_LINE_BYTES, verify_export
from tests.api.helpers import auth
from tests.api.test_audit_verify import head_of, raw, run_json  # noqa: F401  (fixture)
from tests.api.test_cli import cli_settings  # noqa: F401  (fixture)
from tests.projections.audit_helpers import Raw


@pytest.mark.parametrize("state", [b'{"amount": "12.00", ', b"\xff\xfe not UTF-8", b"[1, 2]", b"null"])
def test_an_undecodable_event_makes_verify_say_bad_at_its_position(
        raw: Raw, tmp_path: Path, capsys: pytest.CaptureFixture[str], state: bytes) -> None:  # noqa: F811
    first = tmp_path / "first"
    assert main(["audit", "export", str(first)]) == 0
    raw.bypass_guards()
    raw.run(f"UPDATE {raw.events} SET state = ? WHERE {raw.pos} = ?", (state, 7))
    before = raw.rows()
    code, verdict = run_json(capsys)
    assert (code, verdict["ok"], verdict["failed"], verdict["first_bad_position"]) == (1, False, "undecodable", 7)
    assert (verdict["events_checked"], verdict["head_position"]) == (6, 6)
    code, verdict = run_json(capsys, "--known-head", str(first / "manifest.json"))
    assert (code, verdict["failed"], verdict["first_bad_position"]) == (1, "undecodable", 7)
    assert main(["audit", "verify"]) == 1
    assert "chain BAD at position 7: the event's stored state cannot be decoded" in capsys.readouterr().out
    assert raw.rows() == before  # still writes nothing


def test_get_verify_names_an_undecodable_event(client: TestClient, tokens: dict[str, str],
                                              settings: Settings) -> None:
    auditor = auth(tokens["auditor"])
    console = Raw(settings)
    try:
        assert len(client.get("/v1/audit/events", headers=auditor).json()) == 5  # the service seals 5 events
        console.bypass_guards()
        console.run(f"UPDATE {console.events} SET state = ? WHERE {console.pos} = ?", (b"not json", 3))
        response = client.get("/v1/audit/verify", headers=auditor)
        assert response.status_code == 200
        verdict = response.json()
        assert (verdict["ok"], verdict["failed"], verdict["first_bad_position"], verdict["events_checked"]) == (
            False, "undecodable", 3, 2)
    finally:
        console.close()


def _replace_line(path: Path, number: int, line: bytes) -> None:
    lines = path.read_bytes().split(b"\n")
    lines[number - 1] = line
    path.write_bytes(b"\n".join(lines))


@pytest.mark.parametrize(("name", "line", "reason"), [
    ("events.jsonl", b'{"event": {"position": 4', "not an event line"),
    ("events.jsonl", b'{"event": {"position": 4}, "hash": "00"}', "not an event line: 'prev_hash'"),
    ("events.jsonl", b"\xff\xfe", "not an event line"),
    ("events.jsonl", b"[" * 100_000 + b"]" * 100_000, "not an event line"),
    ("events.jsonl", b"x" * (MAX_LINE_BYTES + 1), f"not an event line: longer than {MAX_LINE_BYTES} bytes"),
    ("checkpoints.jsonl", b'{"position": [1], "hash": "a", "signature": "b", "public_key": "c"}',
     "not a checkpoint line"),
    ("checkpoints.jsonl", b"{", "not a checkpoint line"),
])
def test_an_export_with_lines_not_ours_is_bad_at_the_line(
        raw: Raw, tmp_path: Path, capsys: pytest.CaptureFixture[str],  # noqa: F811
        name: str, line: bytes, reason: str) -> None:
    exported = tmp_path / "export"
    assert main(["audit", "export", str(exported)]) == 0
    _replace_line(exported / name, 4 if name == "events.jsonl" else 1, line)
    verdict = verify_export(exported)
    assert (verdict.ok, verdict.file, verdict.failed) == (False, name, "file")
    assert verdict.reason is not None and verdict.reason.startswith(reason)
    if name == "events.jsonl":
        assert (verdict.line, verdict.events_checked) == (4, 3)
    code, printed = run_json(capsys, "--export", str(exported))
    assert (code, printed["ok"], printed["file"]) == (1, False, name)
