"""Helpers for the membership and steering-group API tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.helpers import auth

VALTORI = "2574261-7"


def party_ids(client: TestClient, token: str, agreement_id: str) -> dict[str, str]:
    """Party ids by business id."""
    parties = client.get(f"/v1/agreements/{agreement_id}/parties", headers=auth(token)).json()
    return {p["business_id"]: p["party_id"] for p in parties}


def post(client: TestClient, token: str, url: str, body: dict[str, Any], key: str | None = None) -> Any:
    headers = auth(token) | ({"Idempotency-Key": key} if key else {})
    return client.post(url, json=body, headers=headers)


def decision_body(decided_on: str, kind: str, votes: dict[str, str], *, subject: dict[str, Any] | None = None,
                  present: list[str] | None = None, deputies: dict[str, str] | None = None) -> dict[str, Any]:
    """A decision where ``votes`` maps party ids to their members' votes, ``deputies`` to deputies' votes."""
    ballots = [{"party_id": pid, "vote": vote, "cast_by": "member"} for pid, vote in votes.items()]
    ballots += [{"party_id": pid, "vote": vote, "cast_by": "deputy"} for pid, vote in (deputies or {}).items()]
    return {"decided_on": decided_on, "kind": kind, "subject": subject or {},
            "present": present if present is not None else list(dict.fromkeys([*votes, *(deputies or {})])),
            "votes": ballots}


def decide(client: TestClient, token: str, agreement_id: str, body: dict[str, Any],
           key: str | None = None) -> Any:
    return post(client, token, f"/v1/agreements/{agreement_id}/decisions", body, key)


def passed_expulsion(client: TestClient, token: str, agreement_id: str, party_id: str, decided_on: str) -> str:
    """Valtori's 400,000 of Lyhty's weight votes to expel a party; returns the decision id."""
    valtori = party_ids(client, token, agreement_id)[VALTORI]
    response = decide(client, token, agreement_id, decision_body(
        decided_on, "expulsion", {valtori: "for"}, subject={"party_id": party_id}))
    assert response.status_code == 201 and response.json()["passed"], response.text
    return response.json()["decision_id"]


def events(client: TestClient) -> int:
    """How many events the store holds (to show a refused command wrote nothing)."""
    return client.app.state.ledger.recorder.max_notification_id() or 0
