"""Issue 16 item 2 (R-REC-1): the chain cannot be sealed again unnoticed. Checkpoints come every N events,
every T minutes and at every export; a verifier given trusted keys and a known head finds an edited
history sealed again, a truncated log and a chain signed with another key; a rotated key keeps its
checkpoints valid; the service role adds to the chain only through the sealing functions."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.demo import load_demo
from api.settings import Settings
from domain.application import Ledger
from domain.records.audit import GENESIS
from projections.audit.chain import AuditChain
from projections.audit.export import export, verify_export
from projections.audit.signing import Ed25519Signer, stamp
from projections.audit.store import ChainMoved
from projections.audit.trust import KnownHead, TrustedKey, TrustedKeys
from projections.journal.runner import JournalRunner
from tests.conftest import PG
from tests.projections.audit_helpers import Raw

EVENTS = 124


def tokens(ledger: Ledger, count: int) -> None:
    for number in range(count):
        ledger.issue_token(role="auditor", business_id=None, label=f"t{number}", issued_on=date(2025, 8, 1))


@pytest.fixture
def service(ledger: Ledger, settings: Settings) -> Iterator[tuple[AuditChain, Raw]]:
    """The demo agreements and tokens, 124 events, sealed by the service with its default settings."""
    signer = settings.audit_signer()
    chain = AuditChain(ledger, signer=signer, trusted=settings.audit_trust(signer))
    chain.store.install_guards()
    load_demo(ledger)
    tokens(ledger, EVENTS - ledger.recorder.max_notification_id())
    assert ledger.recorder.max_notification_id() == EVENTS
    assert chain.catch_up() == EVENTS
    raw = Raw(settings)
    yield chain, raw
    raw.close()


def test_124_events_get_a_checkpoint_at_100_and_one_at_every_export(
        service: tuple[AuditChain, Raw], tmp_path: Path) -> None:
    chain, _ = service
    assert (chain.signer.checkpoint_every, chain.signer.checkpoint_minutes) == (100, 5.0)
    assert [c[0] for c in chain.store.checkpoints()] == [100]
    with JournalRunner(chain.app) as runner:
        manifest = export(chain, runner, tmp_path / "export")
    assert [c[0] for c in chain.store.checkpoints()] == [100, 124]
    assert (manifest["checkpoints"], manifest["head_position"]) == (2, 124)
    assert verify_export(tmp_path / "export", trusted=chain.trusted,
                         known=KnownHead(124, manifest["head_hash"])).ok


def test_a_checkpoint_comes_when_the_last_is_older_than_the_period(service: tuple[AuditChain, Raw]) -> None:
    chain, _ = service
    tokens(chain.app, 3)
    chain.catch_up()  # 3 events, the last checkpoint seconds old: not yet
    assert [c[0] for c in chain.store.checkpoints()] == [100]
    time.sleep(1.2)
    key = Ed25519Signer(Ed25519PrivateKey.generate(), checkpoint_minutes=0.01)  # 0.6 s
    quick = AuditChain(chain.app, signer=key, trusted=TrustedKeys([*chain.trusted.keys,
                                                                   *TrustedKeys.only(key.public_key).keys]))
    tokens(chain.app, 1)
    assert quick.catch_up() == 1
    assert [c[0] for c in chain.store.checkpoints()] == [100, 128]
    assert quick.verify().ok


def test_verify_writes_nothing_and_counts_only_sealed_events(service: tuple[AuditChain, Raw]) -> None:
    chain, raw = service
    tokens(chain.app, 5)
    before = raw.rows()
    verdict = chain.verify()
    assert (verdict.ok, verdict.events_checked, verdict.head_position) == (True, EVENTS, EVENTS)
    assert raw.rows() == before and len(before[raw.chain]) == EVENTS


def test_an_edited_history_sealed_again_by_the_service_misses_the_known_head(
        service: tuple[AuditChain, Raw]) -> None:
    chain, raw = service
    known = KnownHead(*chain.store.head())
    raw.bypass_guards()
    raw.edit(5)
    raw.run(f"DELETE FROM {raw.checkpoints}")
    raw.run(f"DELETE FROM {raw.chain}")
    assert chain.catch_up() == EVENTS  # the service seals the edited log and signs it with its own key
    assert chain.verify().ok  # alone, the database agrees with itself
    verdict = chain.verify(known=known)
    assert (verdict.ok, verdict.failed, verdict.first_bad_position) == (False, "known_head", EVENTS)
    assert "sealed again" in (verdict.reason or "")


def test_a_truncated_log_ends_before_the_known_head(service: tuple[AuditChain, Raw]) -> None:
    chain, raw = service
    known = KnownHead(*chain.store.head())
    raw.bypass_guards()
    raw.truncate_after(60)
    assert chain.verify().ok and chain.store.head()[0] == 60
    verdict = chain.verify(known=known)
    assert (verdict.ok, verdict.failed, verdict.first_bad_position) == (False, "truncated", 61)
    assert verdict.as_dict()["failed"] == "truncated" and "ends at position 60" in (verdict.reason or "")


def test_a_chain_sealed_again_with_another_key_is_refused(service: tuple[AuditChain, Raw]) -> None:
    chain, raw = service
    raw.bypass_guards()
    raw.edit(5)
    raw.run(f"DELETE FROM {raw.checkpoints}")
    raw.run(f"DELETE FROM {raw.chain}")
    forger = AuditChain(chain.app, signer=Ed25519Signer(Ed25519PrivateKey.generate()))
    forger.catch_up()
    assert forger.verify().ok  # the forger's own key agrees with the forger
    verdict = chain.verify()
    assert (verdict.ok, verdict.failed, verdict.first_bad_position) == (False, "untrusted_key", 100)


def test_after_a_key_rotation_the_old_key_s_checkpoints_still_verify(
        service: tuple[AuditChain, Raw], tmp_path: Path) -> None:
    chain, _ = service
    old = chain.signer
    time.sleep(1.1)  # the old key's checkpoints are signed before the rotation's second
    rotated = datetime.now(timezone.utc).replace(microsecond=0)
    new = Ed25519Signer(Ed25519PrivateKey.generate())
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"keys": [
        {"public_key": old.public_key, "valid_until": stamp(rotated)},
        {"public_key": new.public_key, "valid_from": stamp(rotated), "valid_until": None}]}))
    trusted = TrustedKeys.load(keys)
    after = AuditChain(chain.app, signer=new, trusted=trusted)
    tokens(chain.app, 100)
    after.catch_up()
    signed = {c[0]: c[3] for c in after.store.checkpoints()}
    assert signed == {100: old.public_key, 200: new.public_key}
    assert after.verify().ok
    # With the new key alone, as before key lists, the old checkpoints would fail for ever.
    assert after.verify(TrustedKeys.only(new.public_key)).failed == "untrusted_key"
    # An old key used after its end is refused.
    retired = TrustedKeys([TrustedKey(old.public_key, valid_until=rotated - timedelta(days=1)),
                           *TrustedKeys.only(new.public_key).keys])
    verdict = after.verify(retired)
    assert (verdict.failed, verdict.first_bad_position) == ("untrusted_key", 100)
    assert "not valid then" in (verdict.reason or "")


def test_the_service_s_key_list_must_list_its_signing_key(settings: Settings, tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps([{"public_key": Ed25519Signer(Ed25519PrivateKey.generate()).public_key}]))
    configured = settings.model_copy(update={"audit_trusted_keys": keys})
    with pytest.raises(ValueError, match="does not list the signing key"):
        configured.audit_trust(configured.audit_signer())


def test_the_sealing_path_adds_only_the_next_stored_events(service: tuple[AuditChain, Raw]) -> None:
    chain, raw = service
    tokens(chain.app, 2)
    before = raw.rows()
    for rows in ([(10_000, "a" * 64)], [(EVENTS + 2, "a" * 64)], [(EVENTS + 1, "a" * 64), (EVENTS + 3, "a" * 64)]):
        with pytest.raises(ValueError, match="not the stored events"):
            chain.store.append(rows, EVENTS)
    with pytest.raises(ChainMoved):  # computed after a head that has moved on
        chain.store.append([(EVENTS + 1, "a" * 64)], EVENTS - 1)
    with pytest.raises(ValueError, match="not the chain's hash"):
        chain.store.add_checkpoint(EVENTS, GENESIS, "c2ln", chain.signer.public_key, datetime.now(timezone.utc))
    assert raw.rows() == before
    assert chain.catch_up() == 2 and chain.verify().ok


@pytest.mark.parametrize("settings", ["postgres"], indirect=True)  # SQLite has no roles (see docs/audit.md)
def test_the_restricted_service_role_inserts_only_through_the_sealing_functions(
        service: tuple[AuditChain, Raw], settings: Settings) -> None:
    chain, raw = service
    tokens(chain.app, 3)
    schema = f'"{settings.postgres.schema_name}"'
    role = f"ledger_svc_{uuid.uuid4().hex[:12]}"
    raw.run(f"CREATE ROLE {role} LOGIN")
    try:
        raw.run(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        raw.run(f"GRANT SELECT ON {raw.events}, {raw.chain}, {raw.checkpoints} TO {role}")
        raw.run(f"GRANT EXECUTE ON FUNCTION {schema}.ledger_audit_seal(bigint, bigint[], text[]), "
                f"{schema}.ledger_audit_sign(bigint, text, text, text, timestamptz) TO {role}")
        with psycopg.connect(autocommit=True, **{**PG, "user": role}) as conn:
            for statement in (f"INSERT INTO {raw.chain} (position, hash) VALUES (10000, '{'a' * 64}')",
                              f"INSERT INTO {raw.checkpoints} (position, hash, signature, public_key)"
                              f" VALUES ({EVENTS}, '{'a' * 64}', 'x', 'y')"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(statement)
            with pytest.raises(psycopg.errors.InvalidParameterValue, match="not the stored events"):
                conn.execute(f"SELECT {schema}.ledger_audit_seal({EVENTS}, ARRAY[10000]::bigint[], "
                             f"ARRAY['{'a' * 64}'])")
        env = {**settings.persistence_env(), "POSTGRES_USER": role, "CREATE_TABLE": "false"}
        service_ledger = Ledger(env=env)
        try:
            sealer = AuditChain(service_ledger, signer=chain.signer, trusted=chain.trusted)
            assert sealer.catch_up() == 3
            assert sealer.checkpoint() == chain.store.head() and chain.store.head()[0] == EVENTS + 3
            assert [c[0] for c in chain.store.checkpoints()] == [100, EVENTS + 3]
            assert sealer.verify().ok
        finally:
            service_ledger.close()
    finally:
        raw.run(f"DROP OWNED BY {role}")
        raw.run(f"DROP ROLE {role}")
