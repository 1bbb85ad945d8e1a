"""Issue 16 item 3: a database hiccup is a 503 with Retry-After, or no error at all; never a 500."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import OperationalError
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from domain.application import Ledger
from tests.api.helpers import KELA, auth, create_lyhty
from tests.conftest import PG

ROUNDS = 12  # more requests than the pool (4 + 4) has connections
MAX_PAUSE_S = 5.0  # one by one, the pool's pauses after each dead connection add up to 7-10 s


def _tokens(ledger: Ledger) -> dict[str, str]:
    return {role: ledger.issue_token(role=role, business_id=None, label="t", issued_on=date(2025, 8, 1))[1]
            for role in ("coordinator", "finance")}


def _acceptable(response: Any, ok: int) -> bool:
    if response.status_code == 503:
        assert response.headers.get("retry-after", "").isdigit(), response.headers
        assert response.json()["code"] == "database_unavailable", response.text
        return False
    assert response.status_code == ok, response.text
    return True


def _pay(client: TestClient, token: str, aid: str, key: str) -> Any:
    return client.post(f"/v1/agreements/{aid}/payments", headers={**auth(token), "Idempotency-Key": key},
                       json={"reference": "999", "amount": "1.00", "paid_on": "2025-09-15",
                             "bank_reference": key})


@pytest.fixture
def named_client(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, str]]:
    """The API, its PostgreSQL connections named so a test can terminate them and no one else's."""
    name = f"ledger_outage_{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("PGAPPNAME", name)  # libpq reads it on every connect
    with TestClient(create_app(settings)) as client:
        yield client, name


@pytest.mark.parametrize("settings", ["postgres"], indirect=True)  # SQLite has no connections to terminate
def test_requests_after_postgres_terminated_every_connection_are_never_500(
        settings: Settings, named_client: tuple[TestClient, str]) -> None:
    """Each dead pooled connection is found before use; what cannot be served is 503 with Retry-After."""
    assert settings.database == "postgres"
    client, name = named_client
    tokens = _tokens(client.app.state.ledger)
    aid = create_lyhty(client, tokens["coordinator"], KELA)
    assert client.get(f"/v1/agreements/{aid}/balances", headers=auth(tokens["finance"])).status_code == 200
    with psycopg.connect(connect_timeout=5, autocommit=True, **PG) as admin:
        killed = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                               "WHERE application_name = %s AND pid <> pg_backend_pid()", (name,)).fetchone()
    assert killed is not None and killed[0] >= 1
    served, paid_count, payment_ids, slowest_s = 0, 0, set(), 0.0
    for number in range(ROUNDS):
        started_s = time.perf_counter()
        balances = client.get(f"/v1/agreements/{aid}/balances", headers=auth(tokens["finance"]))
        served += _acceptable(balances, 200)
        slowest_s = max(slowest_s, time.perf_counter() - started_s)
        paid = _pay(client, tokens["finance"], aid, f"outage-{number % 3}")
        if _acceptable(paid, 201):
            paid_count += 1
            payment_ids.add((number % 3, paid.json()["payment_id"]))
    # Checked before use, every dead connection is replaced: nothing had to be refused at all.
    assert (served, paid_count) == (ROUNDS, ROUNDS)
    # One dead connection found makes the pool replace them all: one pause (~1 s), not one per connection.
    assert slowest_s < MAX_PAUSE_S
    assert len(payment_ids) == 3  # a key retried after a 503 or a success still pays once


def test_a_failing_read_is_retried_once_and_a_second_failure_is_503(settings: Settings) -> None:
    """The same paths on either database: an operational error on a GET is tried again, once."""
    with TestClient(create_app(settings)) as client:
        ledger = client.app.state.ledger
        tokens = _tokens(ledger)
        aid = create_lyhty(client, tokens["coordinator"], KELA)
        real = ledger.get_agreement
        failures = iter([True])

        def flaky(*args: Any, **kwargs: Any) -> Any:
            for _ in failures:
                raise OperationalError("terminating connection due to administrator command")
            return real(*args, **kwargs)

        ledger.get_agreement = flaky
        assert client.get(f"/v1/agreements/{aid}", headers=auth(tokens["finance"])).status_code == 200
        failures = iter([True, True])
        refused = client.get(f"/v1/agreements/{aid}", headers=auth(tokens["finance"]))
        assert (refused.status_code, refused.json()["code"]) == (503, "database_unavailable")
        assert refused.headers["retry-after"] == "1"
        assert refused.headers["content-type"].startswith("application/problem+json")


def test_a_failing_write_is_not_repeated_but_answered_503(settings: Settings) -> None:
    """A POST is not sent again by the server (the client repeats it with its Idempotency-Key)."""
    with TestClient(create_app(settings)) as client:
        ledger = client.app.state.ledger
        tokens = _tokens(ledger)
        aid = create_lyhty(client, tokens["coordinator"], KELA)
        real, calls = ledger.record_payment_by_reference, []

        def flaky(*args: Any, **kwargs: Any) -> Any:
            calls.append(1)
            if len(calls) == 1:
                raise OperationalError("server closed the connection unexpectedly")
            return real(*args, **kwargs)

        ledger.record_payment_by_reference = flaky
        refused = _pay(client, tokens["finance"], aid, "write-1")
        assert (refused.status_code, refused.json()["code"], refused.headers["retry-after"]) == (
            503, "database_unavailable", "1")
        assert len(calls) == 1
        first, again = _pay(client, tokens["finance"], aid, "write-1"), _pay(client, tokens["finance"], aid, "write-1")
        assert first.status_code == again.status_code == 201
        assert first.json()["payment_id"] == again.json()["payment_id"]
