"""Agreements and parties through the HTTP API, on SQLite and PostgreSQL (R-AGR-1, R-ACC-1..3, R-SHARE-1)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.helpers import COUNTY, KELA, LYHTY_BODY, UAS, auth, create_lyhty, lyhty_body


def test_lyhty_shares_annexes_and_total_funding(client: TestClient, tokens: dict[str, str]) -> None:
    """R-SHARE-1, R-ACC-1: category amounts, budget band, annexes in accession order, total = sum."""
    agreement_id = create_lyhty(client, tokens["coordinator"], KELA, COUNTY, UAS)
    parties = client.get(f"/v1/agreements/{agreement_id}/parties", headers=auth(tokens["finance"])).json()
    by_id = {p["business_id"]: p for p in parties}
    assert by_id["2574261-7"]["cost_share"] == "400000.00" and by_id["2574261-7"]["annex"] is None
    assert by_id["3221318-2"]["cost_share"] == "20000.00"  # 1.5 bn€ budget: the 1–2 bn€ band
    assert by_id["2029188-8"]["cost_share"] == "5000.00"
    assert [p["annex"] for p in parties if not p["coordinator"]] == ["1.1", "1.2", "1.3"]
    assert [p["business_id"] for p in parties] == ["2574261-7", "0246246-0", "3221318-2", "2029188-8"]
    agreement = client.get(f"/v1/agreements/{agreement_id}", headers=auth(tokens["auditor"])).json()
    assert agreement["committed_funding"] == "450000.00"
    assert agreement["status"] in ("in_force", "ended")
    assert client.get(f"/v1/agreements/{agreement_id}?as_of=2026-06-30",
                      headers=auth(tokens["auditor"])).json()["status"] == "in_force"
    assert client.get(f"/v1/agreements/{agreement_id}?as_of=2027-01-01",
                      headers=auth(tokens["auditor"])).json()["status"] == "ended"
    assert agreement["terms"]["payment_term_days"] == 21
    assert agreement["terms"]["qualified_majority"] == "2/3"


def test_accession_response_gives_party_annex_and_share(client: TestClient, tokens: dict[str, str]) -> None:
    agreement_id = create_lyhty(client, tokens["coordinator"])
    response = client.post(f"/v1/agreements/{agreement_id}/parties", json=COUNTY,
                           headers=auth(tokens["coordinator"]))
    assert response.status_code == 201
    assert response.json()["annex"] == "1.1"
    assert response.json()["cost_share"] == "20000.00"
    party = client.get(f"/v1/agreements/{agreement_id}/parties/{response.json()['party_id']}",
                       headers=auth(tokens["finance"])).json()
    assert party["name"] == COUNTY["name"] and party["status"] == "active" and party["joined_on"] == "2025-09-15"


def _events(client: TestClient) -> int:
    return client.app.state.ledger.recorder.max_notification_id() or 0


def test_invalid_business_id_is_refused_and_changes_nothing(client: TestClient, tokens: dict[str, str]) -> None:
    agreement_id = create_lyhty(client, tokens["coordinator"])
    before = _events(client)
    response = client.post(f"/v1/agreements/{agreement_id}/parties",
                           json={**KELA, "business_id": "0246246-1"}, headers=auth(tokens["coordinator"]))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_business_id"
    assert _events(client) == before


def test_same_business_id_cannot_accede_twice(client: TestClient, tokens: dict[str, str]) -> None:
    agreement_id = create_lyhty(client, tokens["coordinator"], KELA)
    before = _events(client)
    again = client.post(f"/v1/agreements/{agreement_id}/parties", json={**KELA, "signed_on": "2025-11-01"},
                        headers=auth(tokens["coordinator"]))
    assert again.status_code == 409 and again.json()["code"] == "party_already_acceded"
    assert _events(client) == before
    assert len(client.get(f"/v1/agreements/{agreement_id}/parties", headers=auth(tokens["finance"])).json()) == 2


def test_accession_outside_the_term_is_refused(client: TestClient, tokens: dict[str, str]) -> None:
    agreement_id = create_lyhty(client, tokens["coordinator"])
    before = _events(client)
    for day in ("2025-08-31", "2027-01-01"):
        response = client.post(f"/v1/agreements/{agreement_id}/parties", json={**KELA, "signed_on": day},
                               headers=auth(tokens["coordinator"]))
        assert response.status_code == 422 and response.json()["code"] == "accession_outside_term"
    assert _events(client) == before


def test_agreement_code_is_unique(client: TestClient, tokens: dict[str, str]) -> None:
    create_lyhty(client, tokens["coordinator"])
    again = client.post("/v1/agreements", json=lyhty_body(title="Another"), headers=auth(tokens["coordinator"]))
    assert again.status_code == 409 and again.json()["code"] == "agreement_code_taken"


def test_unknown_fields_and_non_string_money_get_422(client: TestClient, tokens: dict[str, str]) -> None:
    coordinator = auth(tokens["coordinator"])
    cases = [
        lyhty_body(colour="blue"),
        lyhty_body(cost_sharing={"model": "equal", "total": 100000}),
        lyhty_body(cost_sharing={"model": "equal", "total": "100000.001"}),
        lyhty_body(cost_sharing={"model": "equal", "total": "1e5"}),
        lyhty_body(cost_sharing={"model": "equal", "total": "NaN"}),
        lyhty_body(starts_on=20250901),
        lyhty_body(starts_on="1.9.2025"),
        lyhty_body(title="x" * 301),
        lyhty_body(coordinator={**LYHTY_BODY["coordinator"], "email": "a@b.fi"}),
        lyhty_body(terms={"payment_term_days": "21"}),
    ]
    for body in cases:
        response = client.post("/v1/agreements", json=body, headers=coordinator)
        assert response.status_code == 422, body
        assert response.json()["code"] == "validation_error"
    assert client.get("/v1/agreements", headers=coordinator).json() == []


def test_domain_validation_of_the_plan_and_terms(client: TestClient, tokens: dict[str, str]) -> None:
    coordinator = auth(tokens["coordinator"])
    bad_plan = lyhty_body(instalments=[{"issue_on": "2025-09-01", "share": "1/2"}])
    response = client.post("/v1/agreements", json=bad_plan, headers=coordinator)
    assert response.status_code == 422 and response.json()["code"] == "invalid_instalments"
    bad_terms = lyhty_body(terms={"refund_threshold_pp": 101})
    response = client.post("/v1/agreements", json=bad_terms, headers=coordinator)
    assert response.status_code == 422 and response.json()["code"] == "invalid_terms"
    backwards = lyhty_body(ends_on="2025-08-31")
    assert client.post("/v1/agreements", json=backwards, headers=coordinator).json()["code"] == "invalid_term"


def test_idempotency_key_replays_the_first_response(client: TestClient, tokens: dict[str, str]) -> None:
    agreement_id = create_lyhty(client, tokens["coordinator"])
    headers = {**auth(tokens["coordinator"]), "Idempotency-Key": "accession-kela-1"}
    url = f"/v1/agreements/{agreement_id}/parties"
    first = client.post(url, json=KELA, headers=headers)
    before = _events(client)
    second = client.post(url, json=dict(reversed(list(KELA.items()))), headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert _events(client) == before
    other = client.post(url, json=UAS, headers=headers)
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert _events(client) == before
    assert len(client.get(url, headers=auth(tokens["finance"])).json()) == 2


def test_idempotency_key_is_scoped_to_the_caller(client: TestClient, tokens: dict[str, str]) -> None:
    from datetime import date

    other_token = client.app.state.ledger.issue_token(role="coordinator", business_id=None, label="2",
                                                      issued_on=date(2025, 8, 1))[1]
    body = lyhty_body()
    first = client.post("/v1/agreements", json=body,
                        headers={**auth(tokens["coordinator"]), "Idempotency-Key": "k1"})
    second = client.post("/v1/agreements", json=lyhty_body(code="LYHTY-2"),
                         headers={**auth(other_token), "Idempotency-Key": "k1"})
    assert first.status_code == 201 and second.status_code == 201
    assert first.json()["id"] != second.json()["id"]


def test_bad_idempotency_key_is_refused(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.post("/v1/agreements", json=LYHTY_BODY,
                           headers={**auth(tokens["coordinator"]), "Idempotency-Key": "x" * 201})
    assert response.status_code == 422 and response.json()["code"] == "invalid_idempotency_key"


def test_body_size_is_limited(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.post("/v1/agreements", content=b"{" + b" " * 70_000 + b"}",
                           headers={**auth(tokens["coordinator"]), "content-type": "application/json"})
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"


def test_pages_are_limited_and_linked(client: TestClient, tokens: dict[str, str]) -> None:
    agreement_id = create_lyhty(client, tokens["coordinator"], KELA, COUNTY, UAS)
    url = f"/v1/agreements/{agreement_id}/parties"
    finance = auth(tokens["finance"])
    first = client.get(url, params={"limit": 3}, headers=finance)
    assert len(first.json()) == 3 and 'rel="next"' in first.headers["link"]
    after = first.json()[-1]["party_id"]
    rest = client.get(url, params={"limit": 3, "after": after}, headers=finance).json()
    assert [p["business_id"] for p in rest] == ["2029188-8"]
    assert client.get(url, params={"limit": 501}, headers=finance).status_code == 422
    assert client.get(url, params={"limit": 0}, headers=finance).status_code == 422


def test_agreements_list_in_creation_order(client: TestClient, tokens: dict[str, str]) -> None:
    coordinator = auth(tokens["coordinator"])
    for code in ("A-1", "A-2", "A-3"):
        assert client.post("/v1/agreements", json=lyhty_body(code=code), headers=coordinator).status_code == 201
    listed = client.get("/v1/agreements", params={"limit": 2}, headers=coordinator)
    assert [a["code"] for a in listed.json()] == ["A-1", "A-2"]
    rest = client.get("/v1/agreements", params={"after": listed.json()[-1]["id"]}, headers=coordinator)
    assert [a["code"] for a in rest.json()] == ["A-3"]


def test_responses_carry_a_request_id(client: TestClient) -> None:
    response = client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert response.headers["x-request-id"] == "abc-123"
    assert len(client.get("/health").headers["x-request-id"]) == 32


def test_unknown_agreement_is_404(client: TestClient, tokens: dict[str, str]) -> None:
    finance = auth(tokens["finance"])
    assert client.get("/v1/agreements/not-a-uuid", headers=finance).json()["code"] == "not_found"
    missing = client.get("/v1/agreements/6f1c1c0e-9f4e-5a51-9a55-1f0d3c3c2e10", headers=finance)
    assert missing.status_code == 404


def test_lyhty_parties_sign_in_the_summer_and_take_part_from_the_term_start(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-ACC-1 (seed 000 §6): Lyhty was signed 2025-06-25 for a term from 2025-09-01, and enters into force
    for each party when it signs; a party may sign from the agreement's signing day, and takes part
    (votes, invoicing, notice, minimum commitment) from the later of its signing and the term start."""
    coordinator = auth(tokens["coordinator"])
    created = client.post("/v1/agreements", json=lyhty_body(signed_on="2025-06-25"), headers=coordinator)
    assert created.status_code == 201, created.text
    agreement_id = created.json()["id"]
    view = client.get(f"/v1/agreements/{agreement_id}", headers=auth(tokens["auditor"])).json()
    assert (view["signed_on"], view["starts_on"]) == ("2025-06-25", "2025-09-01")
    too_early = client.post(f"/v1/agreements/{agreement_id}/parties", json={**KELA, "signed_on": "2025-06-24"},
                            headers=coordinator)
    assert (too_early.status_code, too_early.json()["code"]) == (422, "accession_outside_term")
    for body, signed_on in ((KELA, "2025-06-25"), (COUNTY, "2025-08-15"), (UAS, "2025-07-01")):
        accession = client.post(f"/v1/agreements/{agreement_id}/parties", json={**body, "signed_on": signed_on},
                                headers=coordinator)
        assert accession.status_code == 201, accession.text
    parties = {p["business_id"]: p for p in
               client.get(f"/v1/agreements/{agreement_id}/parties", headers=auth(tokens["finance"])).json()}
    kela = parties[KELA["business_id"]]
    assert (kela["signed_on"], kela["joined_on"], kela["annex"], kela["status"]) == (
        "2025-06-25", "2025-09-01", "1.1", "active")
    assert [parties[b["business_id"]]["annex"] for b in (KELA, COUNTY, UAS)] == ["1.1", "1.2", "1.3"]
    assert parties["2574261-7"]["signed_on"] == "2025-06-25"  # Valtori signs with the agreement

    run = client.post(f"/v1/agreements/{agreement_id}/invoicing-runs", json={"as_of": "2025-09-01"},
                      headers=auth(tokens["scheduler"]))
    assert len(run.json()["issued"]) == 3  # each summer signer's first instalment on its date, not a catch-up
    bills = client.get(f"/v1/agreements/{agreement_id}/invoices", params={"party_id": kela["party_id"]},
                       headers=auth(tokens["finance"])).json()
    assert [(b["instalments"], b["issued_on"], b["amount"]) for b in bills] == [([1], "2025-09-01", "12500.00")]

    early_vote = client.post(f"/v1/agreements/{agreement_id}/decisions", headers=coordinator, json={
        "decided_on": "2025-08-20", "kind": "budget", "subject": {}, "present": [kela["party_id"]],
        "votes": [{"party_id": kela["party_id"], "vote": "for"}]})
    assert (early_vote.status_code, early_vote.json()["code"]) == (422, "date_outside_term")
    notice = client.post(f"/v1/agreements/{agreement_id}/parties/{kela['party_id']}/notice", headers=coordinator,
                         json={"given_on": "2025-09-02", "ground": "organisation_changed"})
    # the year's minimum commitment runs from 2025-09-01, not from the signing on 2025-06-25 (R-TERM-1)
    assert notice.json()["effective_on"] == "2026-09-01", notice.text


def test_an_agreement_signed_after_its_term_ends_is_refused(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.post("/v1/agreements", json=lyhty_body(signed_on="2027-01-01"),
                           headers=auth(tokens["coordinator"]))
    assert (response.status_code, response.json()["code"]) == (422, "invalid_term")
