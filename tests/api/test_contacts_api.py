"""Contact persons through the API, on SQLite and PostgreSQL: their personal data lives only in the erasable
store, and an erasure leaves no trace of it anywhere, while the history and the figures stay as they were
(R-REC-1, R-CONF-1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.settings import Settings
from projections.audit.export import export, verify_export
from tests.api.helpers import auth
from tests.api.membership_helpers import VALTORI, events
from tests.api.personal_data_helpers import (PERSON, add_contact, contacts, erase, sqlite_files,
                                             traces_in_files, traces_in_tables)
from tests.api.test_figures_api import get, small_network

KELA, HELSINKI = "0246246-0", "0201256-6"


def figures(client: TestClient, tokens: dict[str, str], aid: str) -> list[dict[str, Any]]:
    return [get(client, tokens["auditor"], f"/v1/agreements/{aid}/{url}", as_of="2025-12-31")
            for url in ("balances", "funding", "refunds/preview")]


def test_an_erased_contact_leaves_no_trace_and_the_history_still_verifies(
        client: TestClient, tokens: dict[str, str], settings: Settings, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """R-REC-1: add, read and erase a contact; afterwards its name, e-mail, phone and title are in no
    table (events, idempotency records, journal, chain, contacts), no file of an SQLite store, no audit
    export and no log line; the chain verifies and every figure is what it was."""
    aid, ids = small_network(client, tokens, spent="100.00")
    before = figures(client, tokens, aid)
    created = add_contact(client, tokens["coordinator"], aid, ids[KELA], key="add-zelda")
    assert created.status_code == 201, created.text
    contact_id = created.json()["contact_id"]
    listed = contacts(client, tokens["party"], aid, ids[KELA]).json()
    assert listed == [{"contact_id": contact_id, "party_id": ids[KELA], "status": "active", **PERSON,
                       "added_on": listed[0]["added_on"], "erased_on": None}]
    assert {table for table, _ in traces_in_tables(settings)} == {"ledger_contacts"}  # and nowhere else
    if settings.database == "sqlite":
        assert traces_in_files(sqlite_files(settings))  # the search finds what is there

    erased = erase(client, tokens["coordinator"], contact_id)
    assert erased.status_code == 200, erased.text
    assert erased.json()["status"] == "erased" and erased.json()["erased_by"]
    listed = contacts(client, tokens["auditor"], aid, ids[KELA]).json()
    assert [(c["contact_id"], c["status"], c["name"], c["email"], c["phone"], c["title"])
            for c in listed] == [(contact_id, "erased", None, None, None, None)]
    assert traces_in_tables(settings) == set()
    if settings.database == "sqlite":
        assert traces_in_files(sqlite_files(settings)) == set()
    exported = export(client.app.state.audit, client.app.state.journal, tmp_path / "export")
    assert verify_export(tmp_path / "export").ok and exported["events"] == events(client)
    assert traces_in_files(list((tmp_path / "export").iterdir())) == set()
    verdict = get(client, tokens["auditor"], "/v1/audit/verify")
    assert verdict["ok"] is True and verdict["events_checked"] == events(client)
    assert figures(client, tokens, aid) == before
    logged = capsys.readouterr().out
    assert '"path": "/v1/contacts/' in logged and not any(trace in logged for trace in
                                                             ("Zelda", "Quarrington", "ylonen-testi"))


def test_the_events_record_the_contact_and_its_erasure_by_opaque_ids_only(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-REC-1: the register's events carry the contact id, the dates and who asked, nothing personal."""
    aid, ids = small_network(client, tokens, spent="1.00")
    contact_id = add_contact(client, tokens["coordinator"], aid, ids[KELA]).json()["contact_id"]
    erase(client, tokens["coordinator"], contact_id)
    trail = get_events(client, tokens)
    added, erased = (next(e for e in trail if e["type"] == f"ContactRegister.{kind}")
                     for kind in ("ContactPersonAdded", "ContactPersonErased"))
    assert set(added["payload"]) == {"contact_id", "added_on"}
    assert added["payload"]["contact_id"] == contact_id
    assert set(erased["payload"]) == {"contact_id", "erased_on", "erased_by"}
    opened = next(e for e in trail if e["type"] == "ContactRegister.Opened")
    assert opened["payload"]["party_id"] == ids[KELA] and opened["payload"]["agreement_id"] == aid


def get_events(client: TestClient, tokens: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get("/v1/audit/events", params={"limit": 500}, headers=auth(tokens["auditor"]))
    assert response.status_code == 200
    return response.json()


def test_who_may_add_read_and_erase_contacts(client: TestClient, tokens: dict[str, str]) -> None:
    """R-CONF-1 and api.md Roles: the coordinator adds and erases; coordinator, finance and auditor read
    every party's contacts, a party only its own (404 for another's); no token is 401."""
    aid, ids = small_network(client, tokens, spent="1.00")
    contact_id = add_contact(client, tokens["coordinator"], aid, ids[HELSINKI]).json()["contact_id"]
    for role in ("finance", "scheduler", "auditor", "party"):
        assert add_contact(client, tokens[role], aid, ids[KELA]).status_code == 403, role
        assert erase(client, tokens[role], contact_id).status_code == 403, role
    for role in ("coordinator", "finance", "auditor"):
        listed = contacts(client, tokens[role], aid, ids[HELSINKI]).json()
        assert [c["contact_id"] for c in listed] == [contact_id]
    assert contacts(client, tokens["scheduler"], aid, ids[HELSINKI]).status_code == 403
    other = contacts(client, tokens["party"], aid, ids[HELSINKI])
    assert other.status_code == 404 and other.json()["code"] == "not_found"
    assert contacts(client, tokens["party"], aid, ids[KELA]).json() == []
    assert client.get(f"/v1/agreements/{aid}/parties/{ids[KELA]}/contacts").status_code == 401
    assert client.post(f"/v1/contacts/{contact_id}/erasure").status_code == 401
    assert [c["status"] for c in contacts(client, tokens["auditor"], aid, ids[HELSINKI]).json()] == ["active"]


def test_unknown_agreements_parties_and_contacts_are_404(client: TestClient, tokens: dict[str, str]) -> None:
    aid, ids = small_network(client, tokens, spent="1.00")
    unknown = "00000000-0000-4000-8000-000000000000"
    for url in (f"/v1/agreements/{unknown}/parties/{ids[KELA]}/contacts",
                f"/v1/agreements/{aid}/parties/{unknown}/contacts",
                f"/v1/agreements/{aid}/parties/x/contacts"):
        assert client.post(url, json=PERSON, headers=auth(tokens["coordinator"])).status_code == 404, url
        assert client.get(url, headers=auth(tokens["auditor"])).status_code == 404, url
    for contact_id in (unknown, "not-a-uuid"):
        response = erase(client, tokens["coordinator"], contact_id)
        assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.parametrize("change, code", [
    ({"email": "zelda.quarrington"}, "invalid_email"),
    ({"email": "zelda@@ylonen-testi.fi"}, "invalid_email"),
    ({"email": "zelda quarrington@ylonen-testi.fi"}, "invalid_email"),
    ({"email": "zelda@localhost"}, "invalid_email"),
    ({"email": "x" * 250 + "@a.fi"}, "validation_error"),
    ({"phone": "call me"}, "invalid_phone"),
    ({"phone": "+358 1"}, "invalid_phone"),
    ({"name": "Zelda\nQuarrington"}, "invalid_text"),
    ({"name": "   "}, "invalid_text"),
    ({"name": "Z" * 201}, "validation_error"),
    ({"title": "T" * 201}, "validation_error"),
    ({"name": None}, "validation_error"),
    ({"email": 42}, "validation_error"),
    ({"birthday": "1980-01-01"}, "validation_error"),
])
def test_bad_contact_details_are_422_with_a_stable_code_and_change_nothing(
        client: TestClient, tokens: dict[str, str], settings: Settings, change: dict[str, Any],
        code: str) -> None:
    """Bad input is refused before anything is stored, and the problem never repeats the value."""
    aid, ids = small_network(client, tokens, spent="1.00")
    written = events(client)
    response = add_contact(client, tokens["coordinator"], aid, ids[KELA], {**PERSON, **change})
    assert response.status_code == 422 and response.json()["code"] == code, response.text
    assert "Quarrington" not in response.text and "ylonen-testi" not in response.text
    assert events(client) == written and contacts(client, tokens["auditor"], aid, ids[KELA]).json() == []
    assert traces_in_tables(settings) == set()


def test_optional_fields_may_be_left_out_and_details_are_trimmed(client: TestClient,
                                                                 tokens: dict[str, str]) -> None:
    aid, ids = small_network(client, tokens, spent="1.00")
    body = {"name": "  Zelda Quarrington ", "email": " Zelda.Quarrington@YLONEN-testi.FI "}
    assert add_contact(client, tokens["coordinator"], aid, ids[KELA], body).status_code == 201
    [listed] = contacts(client, tokens["auditor"], aid, ids[KELA]).json()
    assert (listed["name"], listed["email"], listed["phone"], listed["title"]) == (
        "Zelda Quarrington", "Zelda.Quarrington@ylonen-testi.fi", None, None)


def test_an_idempotency_key_repeats_the_first_answer_until_and_after_erasure(
        client: TestClient, tokens: dict[str, str], settings: Settings) -> None:
    """api.md Idempotency-Key: the same key and body answer the first contact id and add nothing; another
    body is 409. The stored record holds no personal data, so after the erasure the key still answers
    the first contact id, adding nothing."""
    aid, ids = small_network(client, tokens, spent="1.00")
    first = add_contact(client, tokens["coordinator"], aid, ids[KELA], key="k-1")
    written = events(client)
    again = add_contact(client, tokens["coordinator"], aid, ids[KELA], key="k-1")
    assert again.status_code == 201 and again.json() == first.json() and events(client) == written
    other = add_contact(client, tokens["coordinator"], aid, ids[KELA], {**PERSON, "title": "Other"},
                        key="k-1")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    elsewhere = add_contact(client, tokens["coordinator"], aid, ids[HELSINKI], key="k-1")
    assert elsewhere.status_code == 409 and events(client) == written
    assert erase(client, tokens["coordinator"], first.json()["contact_id"], key="e-1").status_code == 200
    erased_at = events(client)
    assert erase(client, tokens["coordinator"], first.json()["contact_id"], key="e-1").status_code == 200
    after = add_contact(client, tokens["coordinator"], aid, ids[KELA], key="k-1")
    assert after.status_code == 201 and after.json() == first.json() and events(client) == erased_at
    assert len(contacts(client, tokens["auditor"], aid, ids[KELA]).json()) == 1
    assert traces_in_tables(settings) == set()


def test_a_contact_is_erased_once(client: TestClient, tokens: dict[str, str]) -> None:
    aid, ids = small_network(client, tokens, spent="1.00")
    contact_id = add_contact(client, tokens["coordinator"], aid, ids[KELA]).json()["contact_id"]
    assert erase(client, tokens["coordinator"], contact_id).status_code == 200
    written = events(client)
    second = erase(client, tokens["coordinator"], contact_id)
    assert second.status_code == 409 and second.json()["code"] == "contact_already_erased"
    assert events(client) == written


def test_the_coordinator_has_contacts_under_its_party_id_even_when_it_is_not_a_party(
        client: TestClient, tokens: dict[str, str]) -> None:
    body = {"code": "HOST", "title": "Hosted network", "starts_on": "2025-01-01", "ends_on": "2026-12-31",
            "coordinator": {"name": "Valtori", "business_id": VALTORI},
            "cost_sharing": {"model": "equal", "total": "1000.00"}}
    aid = client.post("/v1/agreements", json=body, headers=auth(tokens["coordinator"])).json()["id"]
    coordinator = get(client, tokens["auditor"], f"/v1/agreements/{aid}")["coordinator"]
    assert client.get(f"/v1/agreements/{aid}/parties/{coordinator['party_id']}",
                      headers=auth(tokens["auditor"])).status_code == 404  # not a party ...
    assert add_contact(client, tokens["coordinator"], aid, coordinator["party_id"]).status_code == 201
    assert [c["name"] for c in contacts(client, tokens["finance"], aid, coordinator["party_id"]).json()] == [
        PERSON["name"]]  # ... yet it has contact persons


def test_contacts_are_listed_a_page_at_a_time_and_capped_per_party(client: TestClient,
                                                                   tokens: dict[str, str]) -> None:
    """Every list has a page limit; a party has at most 20 contacts that are not erased."""
    aid, ids = small_network(client, tokens, spent="1.00")
    added = [add_contact(client, tokens["coordinator"], aid, ids[KELA], {**PERSON, "name": f"Person {n}"})
             for n in range(20)]
    assert all(response.status_code == 201 for response in added)
    written = events(client)
    full = add_contact(client, tokens["coordinator"], aid, ids[KELA])
    assert (full.status_code, full.json()["code"]) == (409, "too_many_contacts") and events(client) == written
    page = contacts(client, tokens["auditor"], aid, ids[KELA], limit=15)
    assert [c["name"] for c in page.json()] == [f"Person {n}" for n in range(15)]
    assert 'rel="next"' in page.headers["link"]
    rest = contacts(client, tokens["auditor"], aid, ids[KELA], limit=15, after=page.json()[-1]["contact_id"])
    assert [c["name"] for c in rest.json()] == [f"Person {n}" for n in range(15, 20)]
    assert contacts(client, tokens["auditor"], aid, ids[KELA], limit=501).status_code == 422
    assert erase(client, tokens["coordinator"], added[0].json()["contact_id"]).status_code == 200
    assert add_contact(client, tokens["coordinator"], aid, ids[KELA]).status_code == 201


def test_an_accession_may_bring_its_contacts_and_they_are_erasable_like_any_other(
        client: TestClient, tokens: dict[str, str], settings: Settings) -> None:
    """R-ACC-1 with R-REC-1: contacts given with the accession are added to the new party in the same save;
    its idempotency record keeps only how many there were."""
    aid, ids = small_network(client, tokens, spent="1.00")
    uas = {"name": "Haaga-Helia Oy Ab", "business_id": "2029188-8", "signed_on": "2025-03-01",
           "category": "c", "contacts": [PERSON, {"name": "Deputy Person", "email": "deputy@example.fi"}]}
    url, headers = f"/v1/agreements/{aid}/parties", auth(tokens["coordinator"]) | {"Idempotency-Key": "acc-1"}
    acceded = client.post(url, json=uas, headers=headers)
    assert acceded.status_code == 201, acceded.text
    party_id, contact_ids = acceded.json()["party_id"], acceded.json()["contact_ids"]
    listed = contacts(client, tokens["auditor"], aid, party_id).json()
    assert [(c["contact_id"], c["name"], c["added_on"]) for c in listed] == [
        (contact_ids[0], PERSON["name"], "2025-03-01"), (contact_ids[1], "Deputy Person", "2025-03-01")]
    assert {table for table, _ in traces_in_tables(settings)} == {"ledger_contacts"}
    written = events(client)
    assert client.post(url, json=uas, headers=headers).json() == acceded.json() and events(client) == written
    changed = {**uas, "contacts": [{**PERSON, "phone": "+358 50 000 0000"}, uas["contacts"][1]]}
    assert client.post(url, json=changed, headers=headers).json()["code"] == "idempotency_key_reused"
    assert erase(client, tokens["coordinator"], contact_ids[0]).status_code == 200
    assert traces_in_tables(settings) == set()
    assert client.post(url, json=uas, headers=headers).json() == acceded.json()


def test_an_accession_without_contacts_answers_as_before_and_a_bad_contact_refuses_the_accession(
        client: TestClient, tokens: dict[str, str]) -> None:
    """api.md: extend, never break; a bad contact is 422 and nothing is recorded, not even the accession."""
    aid, _ = small_network(client, tokens, spent="1.00")
    uas = {"name": "Haaga-Helia Oy Ab", "business_id": "2029188-8", "signed_on": "2025-03-01",
           "category": "c"}
    written = events(client)
    bad = client.post(f"/v1/agreements/{aid}/parties", headers=auth(tokens["coordinator"]),
                      json={**uas, "contacts": [{**PERSON, "email": "not an address"}]})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_email" and events(client) == written
    plain = client.post(f"/v1/agreements/{aid}/parties", json=uas, headers=auth(tokens["coordinator"]))
    assert plain.status_code == 201 and plain.json()["contact_ids"] == []
    assert set(plain.json()) == {"party_id", "annex", "cost_share", "contact_ids"}
    too_many = client.post(f"/v1/agreements/{aid}/parties", headers=auth(tokens["coordinator"]),
                           json={**uas, "business_id": "0313471-7", "contacts": [PERSON] * 21})
    assert too_many.status_code == 422 and too_many.json()["code"] == "validation_error"
