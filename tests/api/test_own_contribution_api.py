"""The coordinator's own share, never invoiced (R-ACC-4), through the API on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from domain.kernel.money import ZERO
from projections.journal.queries import sums

from tests.api.helpers import COUNTY, KELA, auth, create_lyhty, lyhty_body
from tests.api.membership_helpers import events, party_ids

VALTORI = "2574261-7"


def contribute(client: TestClient, token: str, agreement_id: str, amount: str, booked_on: str,
               key: str | None = None) -> Any:
    headers = auth(token) | ({"Idempotency-Key": key} if key else {})
    return client.post(f"/v1/agreements/{agreement_id}/own-contributions", headers=headers,
                       json={"amount": amount, "booked_on": booked_on, "description": "The state's share"})


def figures(client: TestClient, token: str, agreement_id: str, what: str, as_of: str) -> dict[str, Any]:
    response = client.get(f"/v1/agreements/{agreement_id}/{what}", params={"as_of": as_of}, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def test_valtori_keeps_its_share_and_weight_books_its_own_contribution_and_gets_no_invoice(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-ACC-4 (seed 000 §9.2): Valtori carries the state's 400,000.00; it is never invoiced, has no
    reference or overdue; finance books its contribution, and funding shows it received from that day."""
    agreement_id = create_lyhty(client, tokens["coordinator"], KELA, COUNTY)
    ids = party_ids(client, tokens["finance"], agreement_id)
    client.post(f"/v1/agreements/{agreement_id}/invoicing-runs", json={"as_of": "2026-01-15"},
                headers=auth(tokens["scheduler"]))
    bills = client.get(f"/v1/agreements/{agreement_id}/invoices", headers=auth(tokens["finance"])).json()
    assert len(bills) == 4 and ids[VALTORI] not in {b["party_id"] for b in bills}
    booked = contribute(client, tokens["finance"], agreement_id, "200000.00", "2025-09-05", key="state-1")
    assert booked.status_code == 201, booked.text
    assert booked.json() == {"party_id": ids[VALTORI], "amount": "200000.00", "booked_on": "2025-09-05",
                             "contributed": "200000.00"}
    again = contribute(client, tokens["finance"], agreement_id, "200000.00", "2025-09-05", key="state-1")
    assert again.json() == booked.json()  # the same key: the first answer, nothing booked twice
    assert contribute(client, tokens["finance"], agreement_id, "200000.00", "2026-01-20").status_code == 201

    balances = figures(client, tokens["finance"], agreement_id, "balances", "2026-03-31")
    valtori = next(row for row in balances["parties"] if row["party_id"] == ids[VALTORI])
    assert (valtori["cost_share"], valtori["invoiced"], valtori["paid"], valtori["contributed"],
            valtori["outstanding"], valtori["overdue"]) == (
        "400000.00", "0.00", "400000.00", "400000.00", "0.00", "0.00")
    assert balances["totals"]["invoiced"] == "45000.00" and balances["totals"]["overdue"] == "45000.00"
    received = [figures(client, tokens["finance"], agreement_id, "funding", day)["received"]
                for day in ("2025-09-04", "2025-09-05", "2026-01-20")]
    assert received == ["0.00", "200000.00", "400000.00"]
    funding = figures(client, tokens["finance"], agreement_id, "funding", "2026-01-20")
    assert funding["original_funding"] == funding["committed"] == "445000.00"


def test_a_contribution_past_the_commitment_or_without_a_coordinator_share_is_refused(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-ACC-4: never more than the coordinator committed; a coordinator that funds nothing books nothing;
    only finance books; bad input changes nothing."""
    agreement_id = create_lyhty(client, tokens["coordinator"], KELA)
    assert contribute(client, tokens["finance"], agreement_id, "399999.99", "2025-09-05").status_code == 201
    before = events(client)
    over = contribute(client, tokens["finance"], agreement_id, "0.02", "2025-09-06")
    assert (over.status_code, over.json()["code"]) == (409, "contribution_exceeds_commitment")
    for amount, code in (("0.00", "invalid_amount"), ("-1.00", "invalid_amount"), ("1.001", "validation_error")):
        response = contribute(client, tokens["finance"], agreement_id, amount, "2025-09-06")
        assert (response.status_code, response.json()["code"]) == (422, code), amount
    early = contribute(client, tokens["finance"], agreement_id, "0.01", "2025-08-31")
    assert (early.status_code, early.json()["code"]) == (422, "date_outside_term")
    for role in ("coordinator", "scheduler", "auditor", "party"):
        assert contribute(client, tokens[role], agreement_id, "0.01", "2025-09-06").status_code == 403
    assert events(client) == before

    body = lyhty_body(code="NOSHARE", coordinator={"name": "Valtori", "business_id": VALTORI})
    other = client.post("/v1/agreements", json=body, headers=auth(tokens["coordinator"])).json()["id"]
    refused = contribute(client, tokens["finance"], other, "1.00", "2025-09-06")
    assert (refused.status_code, refused.json()["code"]) == (409, "coordinator_not_a_party")


def test_the_contribution_is_posted_to_the_journal_on_the_coordinator_s_own_account(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-ACC-4: money in on the coordinator's cash line against its own-contribution account, balanced."""
    agreement_id = create_lyhty(client, tokens["coordinator"], KELA)
    ids = party_ids(client, tokens["finance"], agreement_id)
    assert contribute(client, tokens["finance"], agreement_id, "1000.00", "2025-09-05").status_code == 201
    runner = client.app.state.journal
    runner.catch_up()
    found = sums(runner.store, UUID(agreement_id), as_of=date(2025, 9, 5))
    valtori = UUID(ids[VALTORI])
    assert found[("cash_received", valtori)] == 1000 and found[("own_contributions", valtori)] == -1000
    assert sum(found.values(), ZERO) == 0
