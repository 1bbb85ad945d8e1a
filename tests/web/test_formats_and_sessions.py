"""Finnish formats, the language choice, and the session cookie's flags, CSRF and revocation."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient

from api.web.formats import day, from_accept_language, money
from tests.web.browser import sign_in_with_form

NBSP = "\u00a0"


def test_money_and_dates_are_written_the_finnish_way_first() -> None:
    assert money("12500.00", "fi") == f"12{NBSP}500,00{NBSP}€"
    assert money("-1234567.5", "fi") == f"\u22121{NBSP}234{NBSP}567,50{NBSP}€"
    assert money("12500.00", "en") == "€12,500.00"
    assert day("2025-09-01", "fi") == "1.9.2025"
    assert day(date(2025, 9, 1), "sv") == "2025-09-01"
    assert day("2025-09-01", "en") == "1 Sep 2025"


def test_the_language_follows_the_browser_by_weight_and_falls_back_to_finnish() -> None:
    assert from_accept_language("en-GB,en;q=0.9,fi;q=0.8") == "en"
    assert from_accept_language("de-DE, sv;q=0.5, fi;q=0.7") == "fi"
    assert from_accept_language("de, fr") == "fi"


def test_every_word_the_templates_use_is_there_in_finnish_swedish_and_english() -> None:
    from pathlib import Path

    from api.web.messages import _WORDS

    templates = Path(__file__).resolve().parents[2] / "api" / "web" / "templates"
    used = {key for path in templates.glob("*.html") for key in re.findall(r"""\bt\(["']([a-z_]+)["'][,)]""",
                                                                          path.read_text())}
    assert used and used <= set(_WORDS), sorted(used - set(_WORDS))
    assert all(all(words) and len(words) == 3 for words in _WORDS.values())


def _sign_in(client: TestClient, token: str) -> str:
    response = sign_in_with_form(client, token)
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie  # plain http here
    assert "ledger_session=" in cookie
    return str(response.cookies["ledger_session"])


@pytest.mark.persistence
def test_a_session_signs_in_holds_no_token_and_ends_with_the_token(client: TestClient,
                                                                     tokens: dict[str, str]) -> None:
    session_id = _sign_in(client, tokens["finance"])
    assert tokens["finance"] not in session_id
    assert client.get("/agreements").status_code == 200
    assert client.get("/v1/agreements").status_code == 200  # a GET of the API for a signed-in browser
    refused = client.post("/v1/agreements/00000000-0000-0000-0000-000000000000/payments",
                          json={"reference": "1232", "amount": "1.00", "paid_on": "2025-09-01"})
    assert refused.status_code == 401  # a write needs the bearer token, never the cookie
    ledger = client.app.state.ledger
    principal = ledger.authenticate(tokens["finance"])
    ledger.revoke_token(principal.token_id, revoked_on=date(2025, 9, 1))
    client.app.state.tokens._entries.clear()  # as if LEDGER_TOKEN_CACHE_S had passed
    response = client.get("/agreements", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")


@pytest.mark.persistence
def test_sign_in_without_the_form_token_or_with_a_bad_token_is_refused(client: TestClient,
                                                                       tokens: dict[str, str]) -> None:
    client.get("/sign-in")
    no_csrf = client.post("/sign-in", data={"token": tokens["finance"], "csrf": "forged"}, follow_redirects=False)
    assert no_csrf.status_code == 401 and "ledger_session" not in no_csrf.headers.get("set-cookie", "")
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/sign-in").text)
    assert csrf is not None
    bad = client.post("/sign-in", data={"token": "clt_nope", "csrf": csrf.group(1)}, follow_redirects=False)
    assert bad.status_code == 401 and "ledger_session" not in bad.headers.get("set-cookie", "")


@pytest.mark.persistence
def test_a_form_without_the_session_csrf_token_writes_nothing(client: TestClient, tokens: dict[str, str]) -> None:
    from api.demo import load_demo

    ids = load_demo(client.app.state.ledger)
    _sign_in(client, tokens["coordinator"])
    lyhty = ids["LYHTY"]
    response = client.post(f"/agreements/{lyhty}/record/spending",
                           data={"csrf": "forged", "idempotency_key": "web-test-1", "amount": "100.00",
                                 "booked_on": "2025-10-01", "category": "staff", "description": "x"})
    assert response.status_code == 422
    assert client.app.state.ledger.list_spending(lyhty, quarter="2025-Q4", limit=10) == []
