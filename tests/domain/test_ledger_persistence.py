"""The Ledger application on SQLite and PostgreSQL: restarts, concurrency, idempotency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from domain.kernel.idempotency import Idempotency
from domain.application import Ledger
from domain.kernel.errors import DomainError
from tests.api.helpers import KELA, UAS, auth, create_lyhty, valid_business_ids

EQUAL: dict[str, Any] = dict(
    code="EQ", title="Equal shares", coordinator={"name": "Valtori", "business_id": "2574261-7"},
    starts_on=date(2025, 1, 1), ends_on=date(2026, 12, 31),
    cost_sharing={"model": "equal", "total": "100.00"},
    instalments=[{"issue_on": date(2025, 3, 1), "share": "1"}])
CITIES = [("Espoon kaupunki", "0101263-6"), ("Tampereen kaupunki", "0211675-2"),
          ("Oulun kaupunki", "0187690-1"), ("Turun kaupunki", "0204819-8")]


def test_data_written_through_the_api_survives_a_restart(settings: Settings) -> None:
    with TestClient(create_app(settings)) as first:
        token = first.app.state.ledger.issue_token(role="coordinator", business_id=None, label="t",
                                                   issued_on=date(2025, 8, 1))[1]
        agreement = create_lyhty(first, token, KELA, UAS)
        before = first.get(f"/v1/agreements/{agreement}/parties", headers=auth(token)).json()
    with TestClient(create_app(settings)) as second:
        after = second.get(f"/v1/agreements/{agreement}/parties", headers=auth(token))
        assert after.status_code == 200
        assert after.json() == before
        assert [p["cost_share"] for p in after.json()] == ["400000.00", "25000.00", "5000.00"]


def test_equal_split_gives_the_extra_cent_in_accession_order(ledger: Ledger) -> None:
    """R-ACC-3: 100.00 over three is 33.34 + 33.33 + 33.33, the first party first."""
    aid = UUID(ledger.create_agreement(**EQUAL)["id"])
    for name, bid in CITIES[:3]:
        ledger.accede(aid, name=name, business_id=bid, signed_on=date(2025, 2, 1))
    shares = [p["cost_share"] for p in ledger.list_parties(aid, limit=10)]
    assert shares == ["33.34", "33.33", "33.33"]
    assert ledger.get_agreement(aid, as_of=date(2025, 6, 1))["committed_funding"] == "100.00"


def test_a_concurrent_write_is_retried_once_transparently(settings: Settings) -> None:
    """Another process accedes between our read and our save: we retry on fresh state."""
    ours, theirs = Ledger(env=settings.persistence_env()), Ledger(env=settings.persistence_env())
    try:
        aid = UUID(ours.create_agreement(**EQUAL)["id"])
        load = ours._agreement
        interleaved = iter([CITIES[1]])

        def load_then_interleave(agreement: Any) -> Any:
            loaded = load(agreement)
            for name, bid in interleaved:
                theirs.accede(aid, name=name, business_id=bid, signed_on=date(2025, 2, 1))
            return loaded

        ours._agreement = load_then_interleave  # type: ignore[method-assign]
        result = ours.accede(aid, name=CITIES[0][0], business_id=CITIES[0][1], signed_on=date(2025, 2, 1))
        assert result["annex"] == "1.2"
        assert [p["business_id"] for p in theirs.list_parties(aid, limit=10)] == [CITIES[1][1], CITIES[0][1]]
    finally:
        ours.close()
        theirs.close()


def test_a_conflict_on_every_attempt_surfaces_as_version_conflict(settings: Settings) -> None:
    """Retries are bounded: with two attempts allowed, two lost races in a row are reported."""
    ours, theirs = Ledger(env=settings.persistence_env()), Ledger(env=settings.persistence_env())
    ours.max_attempts = 2
    try:
        aid = UUID(ours.create_agreement(**EQUAL)["id"])
        load = ours._agreement
        interleaved = iter(CITIES[1:3])

        def load_then_interleave(agreement: Any) -> Any:
            loaded = load(agreement)
            name, bid = next(interleaved)
            theirs.accede(aid, name=name, business_id=bid, signed_on=date(2025, 2, 1))
            return loaded

        ours._agreement = load_then_interleave  # type: ignore[method-assign]
        with pytest.raises(DomainError) as error:
            ours.accede(aid, name=CITIES[0][0], business_id=CITIES[0][1], signed_on=date(2025, 2, 1))
        assert error.value.code == "version_conflict"
        listed = [p["business_id"] for p in theirs.list_parties(aid, limit=10)]
        assert listed == [CITIES[1][1], CITIES[2][1]]
    finally:
        ours.close()
        theirs.close()


def test_the_same_key_from_two_processes_applies_once(settings: Settings) -> None:
    """The idempotency record is saved with the write, so a racing duplicate finds it, not a copy."""
    ours, theirs = Ledger(env=settings.persistence_env()), Ledger(env=settings.persistence_env())
    claim = Idempotency(scope="token-1", key="k", request_hash="h")
    try:
        aid = UUID(ours.create_agreement(**EQUAL)["id"])
        load = ours._agreement
        raced = iter([True])

        def load_then_race(agreement: Any) -> Any:
            loaded = load(agreement)
            for _ in raced:
                theirs.accede(aid, name=CITIES[0][0], business_id=CITIES[0][1],
                              signed_on=date(2025, 2, 1), idempotency=claim)
            return loaded

        ours._agreement = load_then_race  # type: ignore[method-assign]
        result = ours.accede(aid, name=CITIES[0][0], business_id=CITIES[0][1],
                             signed_on=date(2025, 2, 1), idempotency=claim)
        assert result["annex"] == "1.1"
        assert len(theirs.list_parties(aid, limit=10)) == 1
        with pytest.raises(DomainError) as error:
            theirs.accede(aid, name=CITIES[1][0], business_id=CITIES[1][1], signed_on=date(2025, 2, 1),
                          idempotency=Idempotency(scope="token-1", key="k", request_hash="other"))
        assert error.value.code == "idempotency_key_reused"
    finally:
        ours.close()
        theirs.close()


def test_snapshots_keep_every_party(ledger: Ledger) -> None:
    """Past the snapshot interval the agreement still reads back whole."""
    million = {**EQUAL, "cost_sharing": {"model": "equal", "total": "1000000.00"}}
    aid = UUID(ledger.create_agreement(**million)["id"])
    for n, business_id in enumerate(valid_business_ids(60)):
        ledger.accede(aid, name=f"Party {n}", business_id=business_id, signed_on=date(2025, 2, 1))
    fresh = Ledger(env=ledger.env)
    try:
        parties = fresh.list_parties(aid, limit=100)
        assert len(parties) == 60 and parties[-1]["annex"] == "1.60"
        assert sum(Decimal(p["cost_share"]) for p in parties) == Decimal("1000000.00")
        assert fresh.snapshots is not None
        assert list(fresh.snapshots.get(aid))
    finally:
        fresh.close()
