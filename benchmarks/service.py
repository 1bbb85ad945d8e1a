"""The service as an operator runs it, on loopback and PostgreSQL: for the soak and the drills.

A schema of its own on the tests' PostgreSQL server (POSTGRES_HOST, POSTGRES_PORT,
LEDGER_TEST_POSTGRES_DBNAME, LEDGER_TEST_POSTGRES_USER, LEDGER_TEST_POSTGRES_PASSWORD), dropped at the
end; `ledger serve` processes on free loopback ports; tokens for every role; one agreement (Lyhty)
with four parties and its first instalments invoiced, through the API.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx2 as httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.history import PG  # noqa: E402
from tests.api.helpers import COUNTY, KELA, LYHTY_BODY, UAS  # noqa: E402

ISSUED_ON = date(2025, 8, 1)
INVOICED_AS_OF = "2025-10-01"


@dataclass
class Service:
    """A schema, the environment of its processes, their working directory and the seeded data."""

    schema: str
    workdir: Path
    env: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)
    agreement_id: str = ""
    invoices: list[dict[str, Any]] = field(default_factory=list)
    parties: list[dict[str, Any]] = field(default_factory=list)

    def connect(self) -> psycopg.Connection[Any]:
        """A superuser connection with the schema on its search path."""
        conn = psycopg.connect(autocommit=True, **PG)  # type: ignore[arg-type]
        conn.execute(f'SET search_path TO "{self.schema}"')
        return conn

    def command(self, *args: str, timeout: float = 120, env: dict[str, str] | None = None
                ) -> subprocess.CompletedProcess[str]:
        """`ledger ARGS` with the service's settings (``env`` overriding some), in its working directory."""
        return subprocess.run([sys.executable, "-m", "api.cli", *args], env={**self.env, **(env or {})},
                              cwd=self.workdir,
                              capture_output=True, text=True, timeout=timeout, check=False)


@contextmanager
def service(name: str, **settings: str) -> Iterator[Service]:
    """A schema of its own, with the service's environment (LEDGER_* overrides as keyword arguments)."""
    schema = f"ledger_{name}_{os.getpid()}"
    with psycopg.connect(autocommit=True, **PG) as conn:  # type: ignore[arg-type]
        conn.execute(f'CREATE SCHEMA "{schema}"')
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LEDGER_DATABASE": "postgres",
           "POSTGRES_HOST": PG["host"], "POSTGRES_PORT": str(PG["port"]), "POSTGRES_DBNAME": PG["dbname"],
           "POSTGRES_USER": PG["user"], "POSTGRES_PASSWORD": PG["password"], "POSTGRES_SCHEMA": schema,
           "PGAPPNAME": schema,  # the drills find the service's connections by it
           "LEDGER_JOURNAL_WORKERS": "0", "LEDGER_AUDIT_INTERVAL_S": "1",
           **{f"LEDGER_{key.upper()}": value for key, value in settings.items()}}
    try:
        with tempfile.TemporaryDirectory(prefix=f"ledger-{name}-") as workdir:
            yield Service(schema, Path(workdir), env)
    finally:
        with psycopg.connect(autocommit=True, **PG) as conn:  # type: ignore[arg-type]
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                         (schema,))
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """One `ledger serve` process on a loopback port; its log goes to a file in the working directory."""

    def __init__(self, svc: Service, *, port: int | None = None, argv: list[str] | None = None,
                 label: str = "api") -> None:
        self.svc = svc
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = svc.workdir / f"{label}-{self.port}.log"
        command = argv or [sys.executable, "-m", "api.cli", "serve", "--port", str(self.port)]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, env=svc.env, cwd=svc.workdir, stdout=log,
                                            stderr=subprocess.STDOUT)
        self.wait_ready()

    def wait_ready(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer /health within {timeout_s} s")

    def rss_kib(self) -> int:
        """The server's resident set size, from /proc."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def kill(self) -> None:
        """kill -9: no shutdown, no flush."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def issue_tokens(svc: Service) -> dict[str, str]:
    """A token per role, and party tokens for two parties (Kela and the county), via the command line."""
    wanted = {"coordinator": [], "finance": [], "auditor": [], "scheduler": [],
              "party": ["--party", KELA["business_id"]], "party_other": ["--party", COUNTY["business_id"]]}
    for name, extra in wanted.items():
        done = svc.command("tokens", "create", "--role", name.split("_")[0], *extra, "--label", name)
        if done.returncode != 0:
            raise RuntimeError(f"tokens create failed: {done.stderr[-2000:]}")
        svc.tokens[name] = done.stdout.strip().splitlines()[-1]
    return svc.tokens


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def seed(svc: Service, url: str, agreements: int = 1) -> None:
    """Lyhty with Kela, the county and Haaga-Helia acceded, and its first instalments invoiced; with
    ``agreements`` above 1, as many copies under other codes (their invoices are listed too)."""
    if not svc.tokens:
        issue_tokens(svc)
    with httpx.Client(base_url=url, timeout=60) as client:
        for number in range(agreements):
            aid, invoices = add_agreement(svc, client, number)
            svc.invoices += invoices
            if not number:
                svc.agreement_id = aid
                svc.parties = client.get(f"/v1/agreements/{aid}/parties",
                                         headers=auth(svc.tokens["finance"])).json()


def add_agreement(svc: Service, client: httpx.Client, number: int) -> tuple[str, list[dict[str, Any]]]:
    """The ``number``-th copy of Lyhty (the first under its own code) with its three parties and their
    first instalments invoiced: its id and its invoices."""
    coordinator, finance = auth(svc.tokens["coordinator"]), auth(svc.tokens["finance"])
    body = {**LYHTY_BODY, "code": LYHTY_BODY["code"] + (f"-{number}" if number else "")}
    created = client.post("/v1/agreements", json=body, headers=coordinator)
    created.raise_for_status()
    aid = created.json()["id"]
    for party in (KELA, COUNTY, UAS):
        client.post(f"/v1/agreements/{aid}/parties", json=party, headers=coordinator).raise_for_status()
    client.post(f"/v1/agreements/{aid}/invoicing-runs", json={"as_of": INVOICED_AS_OF},
                headers=finance).raise_for_status()
    invoices = client.get(f"/v1/agreements/{aid}/invoices", headers=finance)
    invoices.raise_for_status()
    return aid, invoices.json()
