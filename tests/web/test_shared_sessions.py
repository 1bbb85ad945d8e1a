"""Web sessions kept in the events' database: every process of the service knows every session, a restart
signs no one out, sign-out holds everywhere, and the table never holds a usable session id."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.sessions import COOKIE, IDLE_S, TABLE, TOUCH_S, Sessions, SessionTable
from api.settings import Settings
from domain.application import Ledger
from projections.journal.sql import quote
from tests.web.browser import sign_in_with_form

pytestmark = pytest.mark.persistence


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


def _rows(table: SessionTable) -> list[tuple[str, ...]]:
    name = f"{quote(table.datastore.schema)}.{TABLE}" if table.postgres else TABLE
    return table.run([(f"SELECT id_hash, token_hash FROM {name} ORDER BY expires_at", ())])[0]


def test_a_session_opened_in_one_process_works_in_another_and_sign_out_holds_in_both(
        settings: Settings, client: TestClient, tokens: dict[str, str]) -> None:
    sign_in_with_form(client, tokens["finance"])
    session_id = client.cookies[COOKIE]
    assert client.get("/agreements").status_code == 200
    with TestClient(create_app(settings)) as other:  # a second process of the service on the same store
        other.cookies.set(COOKIE, session_id)
        assert other.get("/agreements", follow_redirects=False).status_code == 200
        form = other.get("/agreements").text
        csrf = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        assert other.post("/sign-out", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    refused = client.get("/agreements", follow_redirects=False)
    assert (refused.status_code, refused.headers["location"].split("?")[0]) == (303, "/sign-in")


def test_a_restart_signs_no_one_out(settings: Settings, tokens: dict[str, str], client: TestClient) -> None:
    """The session is in the store, not in the process: a process started afterwards knows it."""
    sign_in_with_form(client, tokens["auditor"])
    session_id = client.cookies[COOKIE]
    with TestClient(create_app(settings)) as restarted:
        restarted.cookies.set(COOKIE, session_id)
        assert restarted.get("/agreements", follow_redirects=False).status_code == 200


def test_the_table_holds_the_hash_of_the_id_and_sessions_lapse_when_idle(ledger: Ledger) -> None:
    clock = Clock()
    sessions = Sessions(SessionTable(ledger), clock=clock)
    session_id, opened = sessions.open("a" * 64)
    ((id_hash, token_hash),) = _rows(sessions.table)
    assert id_hash == hashlib.sha256(session_id.encode()).hexdigest() != session_id
    assert token_hash.strip() == "a" * 64
    assert sessions.get(session_id) == opened
    assert sessions.get(session_id + "x") is None and sessions.get("x" * 65) is None and sessions.get(None) is None
    # A request within a minute does not write; a later one restarts the idle time.
    clock.now += TOUCH_S - 1
    assert sessions.get(session_id).expires_at == opened.expires_at  # type: ignore[union-attr]
    clock.now += IDLE_S / 2
    touched = sessions.get(session_id)
    assert touched is not None and touched.expires_at == clock.now + IDLE_S
    clock.now += IDLE_S - 1  # past the first expiry, within the restarted one
    assert sessions.get(session_id) is not None
    clock.now += IDLE_S  # a working day without a request: signed out, and the row is gone
    assert sessions.get(session_id) is None
    assert _rows(sessions.table) == []


def test_a_full_table_sheds_lapsed_sessions_then_those_nearest_to_lapsing(ledger: Ledger) -> None:
    clock = Clock()
    sessions = Sessions(SessionTable(ledger), idle_s=100, max_size=4, clock=clock)
    opened = []
    for number in range(4):
        opened.append(sessions.open(f"{number:064d}")[0])
        clock.now += 10
    assert len(_rows(sessions.table)) == 4
    newest = sessions.open("f" * 64)[0]  # full: the two nearest to lapsing go
    assert [sessions.get(sid) is not None for sid in opened] == [False, False, True, True]
    assert sessions.get(newest) is not None
    clock.now += 1_000  # every session lapsed: the next sign-in clears them
    sessions.open("e" * 64)
    assert len(_rows(sessions.table)) == 1


def test_sign_out_removes_the_row(ledger: Ledger) -> None:
    sessions = Sessions(SessionTable(ledger))
    session_id, _ = sessions.open("b" * 64)
    sessions.close(session_id)
    sessions.close("x" * 65)  # too long to be ours: nothing to do
    assert sessions.get(session_id) is None and _rows(sessions.table) == []
