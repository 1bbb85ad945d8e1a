"""Tampering with the history as a superuser, and the restricted service role's rights (PostgreSQL).

The replicas are stopped first, so every sealing below is a `ledger` command's, with the service's key
(or, for the re-seal with another key, with that key), never a replica's racing the tamper.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from benchmarks.drills.common import Row
from benchmarks.history import PG
from benchmarks.service import Server, Service

CHAIN, CHECKPOINTS, EVENTS = "ledger_audit_chain", "ledger_audit_checkpoints", "ledger_events"
ONE = "WHERE notification_id = %s"
Steps = list[tuple[str, tuple[Any, ...]]]


def tamper(svc: Service, servers: list[Server]) -> Row:
    """Edit, delete and rewrite under the service's chain (plain verify), then truncate, re-seal with the
    service's key and re-seal with another key (verify given the trusted keys and a head published before).

    Each tamper must make verify say not ok, and each is undone before the next; verify must say ok
    before the first and after the last.
    """
    row = Row("tampering as a superuser")
    for server in servers:
        server.stop()
    keys, head = _published(svc, row)
    if _verify(svc, row) is not True or _verify(svc, row, keys, head) is not True:
        row.problems.append("verify failed before any tamper")
        return row
    found: list[str] = []
    with svc.connect() as conn:
        conn.execute("SET session_replication_role = replica")  # a superuser switches the guards off
        position, state = _middle_event(conn)
        for changes, undo in _edits(conn, position, state):
            _apply(conn, changes)
            found.append(_verdict(svc, row))
            _apply(conn, undo)
        for token in range(2):  # events after the published head, sealed by the service
            svc.command("tokens", "create", "--role", "auditor", "--label", f"after the published head {token}")
        svc.command("audit", "checkpoint")
        found.append(_truncated(svc, row, conn, position, keys, head))
        found.append(_resealed(svc, row, conn, position, keys, head, {}))
        last = conn.execute(f"SELECT max(notification_id) FROM {EVENTS}").fetchone()[0]
        other = base64.b64encode(Ed25519PrivateKey.generate().private_bytes_raw()).decode("ascii")
        found.append(_resealed(svc, row, conn, last, keys, head, {"LEDGER_AUDIT_SIGNING_KEY": other}))
    if _verify(svc, row, keys, head) is not True:
        row.problems.append("verify not ok after every tamper was undone")
    row.tampers = f"{len(found)}/{sum(1 for failed in found if failed)}"
    row.note = "failed: " + ", ".join(failed or "UNDETECTED" for failed in found)
    return row


def _published(svc: Service, row: Row) -> tuple[Path, Path]:
    """The service's public key as a trusted key list, and a head published with `ledger audit checkpoint
    --json` (both kept outside the database)."""
    keys, head = svc.workdir / "trusted-keys.json", svc.workdir / "published-head.json"
    public_key = svc.command("audit", "public-key").stdout.strip().splitlines()[-1]
    keys.write_text(json.dumps([{"public_key": public_key}]))
    checkpoint = svc.command("audit", "checkpoint", "--json")
    row.requests += 2
    head.write_text(checkpoint.stdout.strip().splitlines()[-1])
    return keys, head


def _middle_event(conn: Any) -> tuple[int, bytes]:
    money = "convert_from(state, 'UTF8') ~ '[0-9][.][0-9][0-9]\"'"  # events with an amount
    position, state = conn.execute(  # one in the middle of the history
        f"SELECT notification_id, state FROM {EVENTS} WHERE {money} ORDER BY notification_id "
        f"OFFSET (SELECT COUNT(*) / 2 FROM {EVENTS} WHERE {money}) LIMIT 1").fetchone()
    return int(position), bytes(state)


def _edited(state: bytes) -> bytes:
    """An amount changed, the JSON still valid."""
    return re.sub(rb'([0-9])[.]([0-9][0-9])"', lambda m: (b"8" if m[1] == b"9" else b"9") + b"." + m[2] + b'"',
                  state, count=1)


def _edits(conn: Any, position: int, state: bytes) -> list[tuple[Steps, Steps]]:
    """(tamper, undo) for an edited payload, a deleted event and a rewritten chain hash."""
    digest = conn.execute(f"SELECT hash FROM {CHAIN} WHERE position = %s", (position,)).fetchone()[0]
    return [
        ([(f"UPDATE {EVENTS} SET state = %s {ONE}", (_edited(state), position))],
         [(f"UPDATE {EVENTS} SET state = %s {ONE}", (state, position))]),
        ([(f"CREATE TEMP TABLE removed AS SELECT * FROM {EVENTS} {ONE}", (position,)),
          (f"DELETE FROM {EVENTS} {ONE}", (position,))],
         [(f"INSERT INTO {EVENTS} SELECT * FROM removed", ()), ("DROP TABLE removed", ())]),
        ([(f"UPDATE {CHAIN} SET hash = md5(hash) || md5(hash) WHERE position = %s", (position,))],
         [(f"UPDATE {CHAIN} SET hash = %s WHERE position = %s", (digest, position))]),
    ]


def _apply(conn: Any, steps: Steps) -> None:
    with conn.transaction():
        for statement, args in steps:
            conn.execute(statement, args)


def _truncated(svc: Service, row: Row, conn: Any, position: int, keys: Path, head: Path) -> str:
    """Every event, chain row and checkpoint after a position deleted: the chain agrees with itself."""
    tables = ((EVENTS, "notification_id"), (CHAIN, "position"), (CHECKPOINTS, "position"))
    _apply(conn, [step for n, (table, column) in enumerate(tables) for step in (
        (f"CREATE TEMP TABLE cut{n} AS SELECT * FROM {table} WHERE {column} > %s", (position,)),
        (f"DELETE FROM {table} WHERE {column} > %s", (position,)))])
    failed = _verdict(svc, row, keys, head)
    _apply(conn, [step for n, (table, _) in enumerate(tables) for step in (
        (f"INSERT INTO {table} SELECT * FROM cut{n}", ()), (f"DROP TABLE cut{n}", ()))])
    return failed


def _resealed(svc: Service, row: Row, conn: Any, position: int, keys: Path, head: Path,
              env: dict[str, str]) -> str:
    """An event edited, every chain row and checkpoint deleted, and the log sealed and signed again by
    `ledger audit checkpoint` (with the service's key, or the one in ``env``)."""
    state = bytes(conn.execute(f"SELECT state FROM {EVENTS} {ONE}", (position,)).fetchone()[0])
    edited = json.loads(state)
    edited["tampered"] = True
    _apply(conn, [(f"CREATE TEMP TABLE saved_chain AS SELECT * FROM {CHAIN}", ()),
                  (f"CREATE TEMP TABLE saved_checkpoints AS SELECT * FROM {CHECKPOINTS}", ()),
                  (f"UPDATE {EVENTS} SET state = %s {ONE}", (json.dumps(edited).encode(), position)),
                  (f"DELETE FROM {CHAIN}", ()), (f"DELETE FROM {CHECKPOINTS}", ())])
    sealed = svc.command("audit", "checkpoint", env=env)
    row.requests += 1
    if sealed.returncode != 0:
        row.problems.append(f"re-sealing failed: {sealed.stderr[-300:]}")
    failed = _verdict(svc, row, keys, head)
    _apply(conn, [(f"UPDATE {EVENTS} SET state = %s {ONE}", (state, position)),
                  (f"DELETE FROM {CHAIN}", ()), (f"DELETE FROM {CHECKPOINTS}", ()),
                  (f"INSERT INTO {CHAIN} SELECT * FROM saved_chain", ()),
                  (f"INSERT INTO {CHECKPOINTS} SELECT * FROM saved_checkpoints", ()),
                  ("DROP TABLE saved_chain", ()), ("DROP TABLE saved_checkpoints", ())])
    return failed


def _verdict(svc: Service, row: Row, keys: Path | None = None, head: Path | None = None) -> str:
    """The check verify names as failed ("" when it says ok or printed no verdict)."""
    done = _run_verify(svc, row, keys, head)
    return "" if done is None or done["ok"] else str(done["failed"])


def _verify(svc: Service, row: Row, keys: Path | None = None, head: Path | None = None) -> bool | None:
    done = _run_verify(svc, row, keys, head)
    return None if done is None else bool(done["ok"])


def _run_verify(svc: Service, row: Row, keys: Path | None, head: Path | None) -> dict[str, Any] | None:
    """`ledger audit verify --json`, given the trusted keys and the known head if any."""
    trust = ["--trusted-keys", str(keys), "--known-head", str(head)] if keys and head else []
    done = svc.command("audit", "verify", *trust, "--json")
    row.requests += 1
    try:
        verdict: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        row.problems.append(f"audit verify printed no verdict: {done.stderr[-300:]}")
        return None
    if bool(verdict["ok"]) != (done.returncode == 0):
        row.problems.append(f"audit verify exit {done.returncode} with ok={verdict['ok']}")
    return verdict


ATTEMPTS = (  # what the restricted service role tries directly; each must be refused
    ("INSERT into the chain", f"INSERT INTO {CHAIN} (position, hash) VALUES (1000000000, '{'a' * 64}')"),
    ("INSERT into the checkpoints", f"INSERT INTO {CHECKPOINTS} (position, hash, signature, public_key) "
                                    f"VALUES (1, '{'a' * 64}', 'x', 'y')"),
    ("seal a position that is not a stored event", f"SELECT ledger_audit_seal((SELECT COALESCE(max(position), 0) "
                                                   f"FROM {CHAIN}), ARRAY[1000000000]::bigint[], ARRAY['{'a' * 64}'])"),
    ("DELETE a chain row", f"DELETE FROM {CHAIN} WHERE position = 1"),
    ("UPDATE an event", f"UPDATE {EVENTS} SET state = state WHERE notification_id = 1"),
    ("DELETE an event", f"DELETE FROM {EVENTS} WHERE notification_id = 1"),
    ("switch the guards off", f"ALTER TABLE {EVENTS} DISABLE TRIGGER ALL"),
)


def restricted_role(svc: Service) -> Row:
    """The service role of docs/audit.md cannot write the chain tables but through the sealing functions,
    nor alter history; through them it seals (`ledger audit checkpoint` run as that role)."""
    row = Row("restricted service role, direct writes")
    role, schema = f"{svc.schema}_svc"[:63], svc.schema
    with svc.connect() as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        try:
            for grant in (f'USAGE ON SCHEMA "{schema}"', f"SELECT, INSERT, UPDATE ON {EVENTS}",
                          "SELECT, INSERT ON ledger_snapshots", f"SELECT ON {CHAIN}, {CHECKPOINTS}",
                          "EXECUTE ON FUNCTION ledger_audit_seal(bigint, bigint[], text[]), "
                          "ledger_audit_sign(bigint, text, text, text, timestamptz)",
                          "SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON journal_lines, journal_tracking",
                          "SELECT, INSERT, UPDATE ON ledger_contacts", f'USAGE ON ALL SEQUENCES IN SCHEMA "{schema}"'):
                conn.execute(f'GRANT {grant} TO "{role}"')
            with psycopg.connect(autocommit=True, **{**PG, "user": role}) as as_role:  # type: ignore[arg-type]
                as_role.execute(f'SET search_path TO "{schema}"')
                for name, statement in ATTEMPTS:
                    row.requests += 1
                    try:
                        as_role.execute(statement)
                    except psycopg.Error:
                        continue
                    row.leaks += 1
                    row.problems.append(f"the service role could {name}")
            svc.command("tokens", "create", "--role", "auditor", "--label", "sealed by the service role")
            sealed = svc.command("audit", "checkpoint", env={"POSTGRES_USER": role, "CREATE_TABLE": "false"})
            row.requests += 1
            if sealed.returncode != 0:
                row.problems.append(f"the service role could not seal: {sealed.stderr[-300:]}")
        finally:
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')
    return row
