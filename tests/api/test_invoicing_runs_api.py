"""Invoicing runs larger than a batch answer 202 and are polled; lost races answer 409 with Retry-After
(issue 17 item 3, issue 16 item 5), on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from typing import Any

from eventsourcing.persistence import RecordConflictError
from fastapi.testclient import TestClient

from tests.api.helpers import KELA, auth, create_lyhty
from tests.api.test_invoicing_api import COUNTY_ON_TIME, MUNICIPALITIES, UNIVERSITY, invoices

COHORT = (MUNICIPALITIES, KELA, COUNTY_ON_TIME, UNIVERSITY)
POLLS = 600


def _poll(client: TestClient, token: str, location: str) -> dict[str, Any]:
    for _ in range(POLLS):
        found = client.get(location, headers=auth(token))
        assert found.status_code == 200, found.text
        if found.json()["status"] != "running":
            return found.json()  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError("the run did not finish")


def test_a_run_larger_than_a_batch_answers_202_and_is_polled_until_finished(client: TestClient,
                                                                          tokens: dict[str, str]) -> None:
    """R-INV-3: Lyhty's four parties, two instalments each, in batches of three: 202, then finished with
    eight invoices in three batches; a run again plans eight and issues none."""
    aid = create_lyhty(client, tokens["coordinator"], *COHORT)
    client.app.state.ledger.run_batch_size = 3
    started = client.post(f"/v1/agreements/{aid}/invoicing-runs", json={"as_of": "2026-01-15"},
                          headers={**auth(tokens["scheduler"]), "Idempotency-Key": "run-1"})
    assert started.status_code == 202, started.text
    body = started.json()
    assert (body["status"], body["planned"], body["batch_size"]) == ("running", 8, 3)
    location = started.headers["location"]
    assert location == f"/v1/agreements/{aid}/invoicing-runs/{body['run_id']}"
    done = _poll(client, tokens["finance"], location)
    assert (done["status"], done["issued"], done["already_issued"], done["batches"]) == ("finished", 8, 0, 3)
    listed = invoices(client, tokens["finance"], aid, as_of="2026-01-15")
    assert [bill["number"] for bill in listed] == [f"LYHTY-2026-{n:05d}" for n in range(1, 9)]
    replayed = client.post(f"/v1/agreements/{aid}/invoicing-runs", json={"as_of": "2026-01-15"},
                           headers={**auth(tokens["scheduler"]), "Idempotency-Key": "run-1"})
    assert (replayed.status_code, replayed.json()["run_id"]) == (202, body["run_id"])
    again = client.post(f"/v1/agreements/{aid}/invoicing-runs", json={"as_of": "2026-01-15"},
                        headers=auth(tokens["finance"]))
    assert again.status_code == 202
    rerun = _poll(client, tokens["finance"], again.headers["location"])
    assert (rerun["issued"], rerun["already_issued"]) == (0, 8)
    assert len(invoices(client, tokens["finance"], aid, as_of="2026-01-15")) == 8


def test_a_run_within_one_batch_answers_as_before_and_runs_are_read_by_runners_only(
        client: TestClient, tokens: dict[str, str]) -> None:
    aid = create_lyhty(client, tokens["coordinator"], *COHORT)
    small = client.post(f"/v1/agreements/{aid}/invoicing-runs", json={"as_of": "2025-09-01"},
                        headers=auth(tokens["scheduler"]))
    assert small.status_code == 200 and len(small.json()["issued"]) == 4
    client.app.state.ledger.run_batch_size = 1
    started = client.post(f"/v1/agreements/{aid}/invoicing-runs", json={"as_of": "2026-01-15"},
                          headers=auth(tokens["scheduler"]))
    location = started.headers["location"]
    assert client.get(location, headers=auth(tokens["party"])).status_code == 403
    assert client.get(location, headers=auth(tokens["coordinator"])).status_code == 403
    done = _poll(client, tokens["scheduler"], location)
    assert (done["issued"], done["already_issued"], done["batches"]) == (4, 4, 8)
    missing = client.get(f"/v1/agreements/{aid}/invoicing-runs/{aid}", headers=auth(tokens["finance"]))
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


def test_a_payment_that_loses_every_race_is_409_with_retry_after_and_writes_nothing(
        client: TestClient, tokens: dict[str, str]) -> None:
    """Issue 16 item 5: internal retries are bounded; the last refusal tells the client when to retry."""
    aid = create_lyhty(client, tokens["coordinator"], *COHORT)
    client.post(f"/v1/agreements/{aid}/invoicing-runs", json={"as_of": "2025-09-01"}, headers=auth(tokens["finance"]))
    bill = invoices(client, tokens["finance"], aid, as_of="2025-09-01")[0]
    ledger = client.app.state.ledger
    ledger.max_attempts, tries = 3, []

    def always_raced(*aggregates: Any, **kwargs: Any) -> Any:
        tries.append(len(aggregates))
        raise RecordConflictError("raced")

    save, ledger.save = ledger.save, always_raced
    try:
        refused = client.post(f"/v1/invoices/{bill['id']}/payments", headers=auth(tokens["finance"]),
                              json={"amount": "10.00", "paid_on": "2025-09-10", "bank_reference": "R1"})
    finally:
        ledger.save = save
    assert (refused.status_code, refused.json()["code"], refused.headers["retry-after"]) == (
        409, "version_conflict", "1")
    assert len(tries) == 3
    assert client.get(f"/v1/invoices/{bill['id']}", headers=auth(tokens["finance"])).json()["paid"] == "0.00"
    paid = client.post(f"/v1/invoices/{bill['id']}/payments", headers=auth(tokens["finance"]),
                       json={"amount": "10.00", "paid_on": "2025-09-10", "bank_reference": "R1"})
    assert paid.status_code == 201
    twice = client.post(f"/v1/invoices/{bill['id']}/payments", headers=auth(tokens["finance"]),
                        json={"amount": "10.00", "paid_on": "2025-09-10", "bank_reference": "R1"})
    assert (twice.status_code, twice.json()["code"]) == (409, "duplicate_payment")
    assert "retry-after" not in twice.headers
