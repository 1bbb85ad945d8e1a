"""Who may do what (api.md Roles): 401 without a valid token, 403 for a role without the right,
404 for what a party may not see (R-CONF-1, R-TERM-5)."""

from __future__ import annotations

import time
from datetime import date

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from tests.api.helpers import COUNTY, KELA, auth, create_lyhty, lyhty_body
from tests.api.personal_data_helpers import PERSON

ROLES = ("coordinator", "finance", "scheduler", "auditor", "party")


def _routes(agreement_id: str, party_id: str) -> list[tuple[str, str, dict | None, tuple[str, ...]]]:
    """Every route with the roles allowed to call it."""
    base = f"/v1/agreements/{agreement_id}"
    return [
        ("POST", "/v1/agreements", lyhty_body(code="NEW"), ("coordinator",)),
        ("GET", "/v1/agreements", None, ROLES),
        ("GET", base, None, ROLES),
        ("POST", f"{base}/parties", {**COUNTY, "business_id": "3221326-2"}, ("coordinator",)),
        ("GET", f"{base}/parties", None, ROLES),
        ("GET", f"{base}/parties/{party_id}", None, ROLES),
        ("POST", f"{base}/parties/{party_id}/contacts", PERSON, ("coordinator",)),
        ("GET", f"{base}/parties/{party_id}/contacts", None, ("coordinator", "finance", "auditor", "party")),
    ]


@pytest.fixture
def lyhty(client: TestClient, tokens: dict[str, str]) -> tuple[str, str]:
    agreement_id = create_lyhty(client, tokens["coordinator"], KELA)
    parties = client.get(f"/v1/agreements/{agreement_id}/parties", headers=auth(tokens["finance"])).json()
    return agreement_id, next(p["party_id"] for p in parties if p["business_id"] == KELA["business_id"])


def test_every_route_without_a_valid_token_is_401(client: TestClient, lyhty: tuple[str, str]) -> None:
    for method, url, body, _ in _routes(*lyhty):
        for headers in ({}, auth("clt_not-a-token"), {"Authorization": "Basic dXNlcjpwYXNz"}):
            response = client.request(method, url, json=body, headers=headers)
            assert response.status_code == 401, (method, url, headers)
            assert response.json()["code"] == "unauthorized"
            assert response.headers["www-authenticate"] == "Bearer"


def test_every_route_refuses_roles_without_the_right(client: TestClient, tokens: dict[str, str],
                                                     lyhty: tuple[str, str]) -> None:
    for method, url, body, allowed in _routes(*lyhty):
        for role in ROLES:
            if role in allowed:
                continue
            response = client.request(method, url, json=body, headers=auth(tokens[role]))
            assert response.status_code == 403, (method, url, role)
            assert response.json()["code"] == "forbidden"


def test_allowed_roles_get_through(client: TestClient, tokens: dict[str, str], lyhty: tuple[str, str]) -> None:
    for method, url, body, allowed in _routes(*lyhty):
        for role in allowed:
            response = client.request(method, url, json=body, headers=auth(tokens[role]))
            assert response.status_code in (200, 201, 409), (method, url, role, response.text)


def test_party_token_sees_only_its_own_party(client: TestClient, tokens: dict[str, str],
                                             lyhty: tuple[str, str]) -> None:
    agreement_id, kela_id = lyhty
    party = auth(tokens["party"])
    listed = client.get(f"/v1/agreements/{agreement_id}/parties", headers=party).json()
    assert [p["business_id"] for p in listed] == [KELA["business_id"]]
    assert client.get(f"/v1/agreements/{agreement_id}/parties/{kela_id}", headers=party).status_code == 200
    valtori = next(p for p in client.get(f"/v1/agreements/{agreement_id}/parties",
                                         headers=auth(tokens["finance"])).json() if p["coordinator"])
    other = client.get(f"/v1/agreements/{agreement_id}/parties/{valtori['party_id']}", headers=party)
    assert other.status_code == 404 and other.json()["code"] == "not_found"


def test_party_token_cannot_see_agreements_it_is_not_party_to(client: TestClient, tokens: dict[str, str],
                                                              lyhty: tuple[str, str]) -> None:
    coordinator = auth(tokens["coordinator"])
    other = client.post("/v1/agreements", json=lyhty_body(code="OTHER"), headers=coordinator).json()["id"]
    party = auth(tokens["party"])
    assert [a["code"] for a in client.get("/v1/agreements", headers=party).json()] == ["LYHTY"]
    for url in (f"/v1/agreements/{other}", f"/v1/agreements/{other}/parties"):
        response = client.get(url, headers=party)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert client.get(f"/v1/agreements/{lyhty[0]}", headers=party).status_code == 200


@pytest.mark.parametrize("cache_s", [0, 0.3])
def test_a_revoked_token_is_401_once_its_cached_check_expires(settings: Settings, cache_s: float) -> None:
    """LEDGER_TOKEN_CACHE_S: a checked token is trusted for that long (0: never), then checked again."""
    with TestClient(create_app(settings.model_copy(update={"token_cache_s": cache_s}))) as client:
        ledger = client.app.state.ledger
        token_id, token = ledger.issue_token(role="auditor", business_id=None, label="t",
                                             issued_on=date(2025, 9, 1))
        assert client.get("/v1/agreements", headers=auth(token)).status_code == 200
        ledger.revoke_token(token_id, revoked_on=date(2025, 9, 2))  # as `ledger tokens revoke` does
        if cache_s:
            assert client.get("/v1/agreements", headers=auth(token)).status_code == 200  # still cached
            time.sleep(cache_s + 0.05)
        assert client.get("/v1/agreements", headers=auth(token)).status_code == 401
        assert client.get("/v1/agreements", headers=auth("not-a-token")).status_code == 401
        assert client.get("/v1/agreements", headers=auth("x" * 201)).status_code == 401


def test_tokens_are_stored_only_as_hashes(client: TestClient, tokens: dict[str, str]) -> None:
    """No stored event contains a token in clear."""
    ledger = client.app.state.ledger
    stored = b"".join(n.state for n in ledger.recorder.select_notifications(start=1, limit=1000))
    assert stored
    for token in tokens.values():
        assert token.encode() not in stored


def test_health_needs_no_token(client: TestClient) -> None:
    assert client.get("/health").status_code == 200
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/health").json()["status"] == "ok"
