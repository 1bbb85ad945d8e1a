"""`ledger serve --workers N` (LEDGER_WORKERS): several processes on one port, on PostgreSQL. Writes from
every process land once, sessions opened in one process hold in the others; SQLite refuses it."""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from api.cli import main
from api.settings import Settings
from domain.application import Ledger
from tests.web.browser import free_port

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2
pytestmark = pytest.mark.persistence


def _env(settings: Settings) -> dict[str, str]:
    pg = settings.postgres
    return {**os.environ, "LEDGER_DATABASE": "postgres", "LEDGER_LOG_LEVEL": "WARNING", "LEDGER_WORKERS": str(WORKERS),
            "LEDGER_AUDIT_KEY_PATH": str(settings.audit_key_path), "LEDGER_JOURNAL_FOLLOW": "true",
            "POSTGRES_HOST": pg.host, "POSTGRES_PORT": str(pg.port), "POSTGRES_DBNAME": pg.dbname,
            "POSTGRES_USER": pg.user, "POSTGRES_PASSWORD": pg.password, "POSTGRES_SCHEMA": pg.schema_name or "",
            "POSTGRES_POOL_SIZE": "4", "POSTGRES_MAX_OVERFLOW": "4", "PYTHONPATH": str(ROOT)}


def _request(port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
             form: str | None = None) -> tuple[int, dict[str, str], str]:
    """One request on a connection of its own; the status, the cookies it set ("name=value; …") and the body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)  # a new connection: any worker may take it
    try:
        sent = {**(headers or {})}
        data = None
        if body is not None:
            data, sent["Content-Type"] = json.dumps(body), "application/json"
        elif form is not None:
            data, sent["Content-Type"] = form, "application/x-www-form-urlencoded"
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        cookies = "; ".join(c.split(";", 1)[0] for c in response.msg.get_all("set-cookie") or [])
        return response.status, {"cookies": cookies}, response.read().decode()
    finally:
        conn.close()


def _workers(pid: int) -> list[int]:
    """The server's worker processes (multiprocessing's resource tracker is a child too, but serves nothing)."""
    children = [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return [child for child in children if b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes()]


def _refused_on_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValidationError, match=r"LEDGER_WORKERS \(serve --workers\) above 1 needs PostgreSQL"):
        Settings(database="sqlite", workers=WORKERS)
    monkeypatch.setenv("LEDGER_SQLITE_PATH", str(tmp_path / "ledger.sqlite"))
    assert main(["serve", "--workers", str(WORKERS)]) == 2
    assert "LEDGER_WORKERS (serve --workers) above 1 needs PostgreSQL" in capsys.readouterr().err
    assert not (tmp_path / "ledger.sqlite").exists()  # refused before opening anything


def test_several_processes_serve_one_port_and_share_writes_and_sessions(
        settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    if settings.database == "sqlite":  # an SQLite file takes one process: refused before opening anything
        _refused_on_sqlite(tmp_path, monkeypatch, capsys)
        return
    assert Settings(database="postgres", workers=WORKERS).workers == WORKERS
    ledger = Ledger(env=settings.persistence_env())
    try:
        tokens = {role: ledger.issue_token(role=role, business_id=None, label="t", issued_on=date(2025, 8, 1))[1]
                  for role in ("coordinator", "finance")}
    finally:
        ledger.close()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port)], env=_env(settings),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
            try:
                if _request(port, "GET", "/health")[0] == 200 and len(_workers(server.pid)) >= WORKERS:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.2)
        assert len(_workers(server.pid)) == WORKERS
        coordinator = {"Authorization": f"Bearer {tokens['coordinator']}"}
        finance = {"Authorization": f"Bearer {tokens['finance']}"}
        status, _, text = _request(port, "POST", "/v1/agreements", headers=coordinator, body={
            "code": "W-2", "title": "Shared ICT", "starts_on": "2025-01-01", "ends_on": "2026-12-31",
            "coordinator": {"name": "Valtori", "business_id": "2574261-7"},
            "cost_sharing": {"model": "equal", "total": "1000.00"},
            "instalments": [{"issue_on": "2025-02-01", "share": "1/1"}]})
        assert status == 201, text
        aid = json.loads(text)["id"]

        def pay(number: int) -> tuple[int, str]:
            status, _, text = _request(port, "POST", f"/v1/agreements/{aid}/payments",
                                       headers={**finance, "Idempotency-Key": f"k-{number % 10}"},
                                       body={"reference": "999", "amount": "1.00", "paid_on": "2025-09-15",
                                             "bank_reference": f"ARCHIVE-{number % 10}"})
            return status, text

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(pay, range(40)))  # each of ten payments sent four times, concurrently
        assert {status for status, _ in answers} == {201}, [t for s, t in answers if s != 201]
        ids = {json.loads(text)["payment_id"] for _, text in answers}
        assert len(ids) == 10  # every key paid once, whichever process took it
        status, _, text = _request(port, "GET", f"/v1/agreements/{aid}/unmatched-payments?limit=100",
                                   headers=finance)
        assert status == 200 and len(json.loads(text)) == 10, text

        # A browser signs in on one connection and keeps its session on every later one.
        status, headers, form = _request(port, "GET", "/sign-in")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
        sign_in_cookie = headers["cookies"]
        status, headers, _ = _request(port, "POST", "/sign-in", headers={"Cookie": sign_in_cookie},
                                      form=f"token={tokens['finance']}&csrf={csrf}&next=/agreements")
        assert status == 303
        session = [c for c in headers["cookies"].split("; ") if c.startswith("ledger_session=")][0]
        pages = [_request(port, "GET", "/agreements", headers={"Cookie": session})[0] for _ in range(12)]
        assert pages == [200] * 12
    finally:
        server.terminate()
        server.wait(30)
    assert server.returncode == 0, server.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
