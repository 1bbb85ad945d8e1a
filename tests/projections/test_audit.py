"""The audit chain on both databases: guards refuse changes; a superuser's tampering is named by verify."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from typing import Any

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.demo import load_demo
from api.settings import Settings
from domain.application import Ledger
from domain.records.audit import GENESIS, canonical, compare, link
from projections.audit.chain import AuditChain
from projections.audit.signing import Ed25519Signer
from tests.projections.audit_helpers import Raw


@pytest.fixture
def audited(ledger: Ledger, settings: Settings) -> Iterator[tuple[AuditChain, Raw]]:
    """The demo history, chained, with guards installed and a checkpoint every 40 events."""
    chain = AuditChain(ledger, signer=Ed25519Signer(Ed25519PrivateKey.generate(), checkpoint_every=40),
                       batch_size=25)
    chain.store.install_guards()
    chain.store.install_guards()  # idempotent: a second start changes nothing
    load_demo(ledger, as_of=date(2026, 3, 1))
    assert chain.catch_up() > 100
    raw = Raw(settings)
    yield chain, raw
    raw.close()


def test_an_untouched_history_verifies_and_every_event_is_chained(audited: tuple[AuditChain, Raw]) -> None:
    chain, _ = audited
    verdict = chain.verify()
    head = chain.store.head()
    assert verdict.ok and verdict.first_bad_position is None
    assert verdict.events_checked == head[0] == chain.app.recorder.max_notification_id()
    signed = chain.store.checkpoints()
    assert len(signed) >= 2 and all(p <= head[0] and chain.trusted.problem(p, h, s, k, t) is None
                                    for p, h, s, k, t in signed)


def test_updates_and_deletes_on_the_event_table_are_refused(audited: tuple[AuditChain, Raw]) -> None:
    _, raw = audited
    error = psycopg.Error if raw.postgres else sqlite3.DatabaseError
    for statement in (f"UPDATE {raw.events} SET topic = 'x' WHERE {raw.pos} = 3",
                      f"DELETE FROM {raw.events} WHERE {raw.pos} = 3",
                      f"DELETE FROM {raw.chain}"):
        with pytest.raises(error, match="append-only"):
            raw.run(statement)
    if raw.postgres:
        with pytest.raises(psycopg.Error, match="append-only"):
            raw.run(f"TRUNCATE {raw.events}")
    assert len(raw.run(f"SELECT 1 FROM {raw.events}")) > 100


def test_an_edited_payload_is_named_by_its_position(audited: tuple[AuditChain, Raw]) -> None:
    chain, raw = audited
    raw.bypass_guards()
    raw.edit(17)
    verdict = chain.verify()
    assert (verdict.ok, verdict.first_bad_position, verdict.events_checked) == (False, 17, 16)


def test_a_deleted_event_is_named_by_its_position(audited: tuple[AuditChain, Raw]) -> None:
    chain, raw = audited
    raw.bypass_guards()
    raw.run(f"DELETE FROM {raw.events} WHERE {raw.pos} = ?", (30,))
    assert (chain.verify().ok, chain.verify().first_bad_position) == (False, 30)


def test_an_inserted_event_is_named_by_its_position(audited: tuple[AuditChain, Raw]) -> None:
    chain, raw = audited
    raw.bypass_guards()
    # Make room at 12 by moving every later event up one, from the last down, then insert a forgery.
    last = chain.store.head()[0]
    for position in range(last, 11, -1):
        raw.move(position, position + 1)
    row = raw.run(f"SELECT originator_id, originator_version, topic, state FROM {raw.events} "
                  f"WHERE {raw.pos} = ?", (13,))[0]
    forged = "deadbeef" * 4 if not raw.postgres else "deadbeef-dead-beef-dead-beefdeadbeef"
    raw.run(f"INSERT INTO {raw.events} ({raw.pos}, originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?, ?)", (12, forged, row[1], row[2], row[3]))
    verdict = chain.verify()
    assert (verdict.ok, verdict.first_bad_position) == (False, 12)


def test_two_swapped_events_are_named_by_the_first(audited: tuple[AuditChain, Raw]) -> None:
    chain, raw = audited
    raw.bypass_guards()
    raw.move(20, 0)
    raw.move(25, 20)
    raw.move(0, 25)
    verdict = chain.verify()
    assert (verdict.ok, verdict.first_bad_position) == (False, 20)


def test_a_rewritten_chain_is_still_caught_by_a_signed_checkpoint(audited: tuple[AuditChain, Raw]) -> None:
    chain, raw = audited
    raw.bypass_guards()
    raw.edit(5)
    # The attacker recomputes every hash after the edit, so the chain table agrees with the events.
    raw.run(f"DELETE FROM {raw.chain}")
    for position, digest in list(chain.recomputed()):
        raw.run(f"INSERT INTO {raw.chain} (position, hash) VALUES (?, ?)", (position, digest))
    first_checkpoint = chain.store.checkpoints()[0][0]
    verdict = chain.verify()
    assert (verdict.ok, verdict.first_bad_position) == (False, first_checkpoint)
    assert "checkpoint" in (verdict.reason or "")


def test_an_event_inserted_into_a_gap_of_the_log_is_found() -> None:
    # On PostgreSQL a rolled-back insert leaves a gap in the positions; a forgery placed there shows.
    chained = [(1, "a"), (3, "c")]
    assert compare(iter([(1, "a"), (2, "b"), (3, "c")]), iter(chained)).first_bad_position == 2
    assert compare(iter([(1, "a"), (3, "c")]), iter(chained)).ok


def test_the_hash_covers_content_not_storage_bytes() -> None:
    one = canonical({"b": 1, "a": [True, None, "ä"], "c": {"y": "1.50"}})
    assert one == '{"a":[true,null,"ä"],"b":1,"c":{"y":"1.50"}}'.encode()
    same = canonical({"c": {"y": "1.50"}, "a": [True, None, "ä"], "b": 1})
    assert link(GENESIS, one) == link("0" * 64, same)
