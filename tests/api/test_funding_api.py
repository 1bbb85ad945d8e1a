"""Tranches, amendments and exit settlement through the HTTP API, on SQLite and PostgreSQL
(R-FUND-5, R-FUND-6, R-GOV-3, R-INV-2, R-INV-3)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from api.demo import load_demo
from domain.agreements.agreement import Agreement
from domain.application import Ledger
from tests.api.helpers import KELA, auth, lyhty_body
from tests.api.membership_helpers import VALTORI, decide, decision_body, events, party_ids, post
from tests.domain.test_funding import DIGIONE_AMENDMENT, ESPOO, VANTAA

MUNICIPALITIES = {"name": "Suomen Kuntaliitto ry", "business_id": "0926151-4", "signed_on": "2025-09-01",
                  "category": "municipalities"}
LATE_UNIVERSITY = {"name": "Turun yliopisto", "business_id": "0245896-3", "signed_on": "2026-02-01",
                   "category": "university"}
TRANCHE_PLAN = [{"issue_on": "2025-09-01", "share": "1/2"},
                {"issue_on": "2026-01-15", "share": "1/2", "requires_release": True}]
AMENDMENT = {"signed_on": "2022-12-19", "total": "2200000.00",
             "instalments": [{"issue_on": "2023-01-13", "share": "1/2"},
                             {"issue_on": "2024-01-12", "share": "1/2", "requires_release": True}]}


def get(client: TestClient, token: str, url: str, **params: Any) -> Any:
    response = client.get(url, params=params, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def run(client: TestClient, token: str, agreement_id: str, as_of: str) -> dict[str, Any]:
    response = post(client, token, f"/v1/agreements/{agreement_id}/invoicing-runs", {"as_of": as_of})
    assert response.status_code == 200, response.text
    return response.json()


def invoices(client: TestClient, token: str, agreement_id: str) -> list[dict[str, Any]]:
    return get(client, token, f"/v1/agreements/{agreement_id}/invoices", limit=500, as_of="2027-12-31")


def tranche_lyhty(client: TestClient, tokens: dict[str, str], *parties: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """Lyhty whose second half (2026-01-15) is a tranche, with Valtori, Kuntaliitto and Kela."""
    response = post(client, tokens["coordinator"], "/v1/agreements", lyhty_body(instalments=TRANCHE_PLAN))
    assert response.status_code == 201, response.text
    agreement_id = response.json()["id"]
    for party in (MUNICIPALITIES, KELA, *parties):
        assert post(client, tokens["coordinator"], f"/v1/agreements/{agreement_id}/parties", party).status_code == 201
    return agreement_id, party_ids(client, tokens["finance"], agreement_id)


def release(client: TestClient, tokens: dict[str, str], agreement_id: str, voter: str, day: str, number: int,
            vote: str = "for") -> Any:
    body = decision_body(day, "tranche_release", {voter: vote}, subject={"instalment": number})
    return decide(client, tokens["coordinator"], agreement_id, body)


def stored(client: TestClient, agreement_id: str, name: str) -> list[Any]:
    return [e for e in client.app.state.ledger.events.get(UUID(agreement_id)) if type(e).__name__ == name]


# Tranches ---------------------------------------------------------------------------------------

def test_a_tranche_is_invoiced_once_by_the_first_run_on_or_after_its_release(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-FUND-5, R-GOV-3: runs after the tranche's date issue nothing for it until a passed release; a failed
    motion releases nothing; the first run on or after the release issues it, dated that run's as_of."""
    agreement_id, ids = tranche_lyhty(client, tokens)
    assert len(run(client, tokens["scheduler"], agreement_id, "2025-09-01")["issued"]) == 2  # not Valtori (R-ACC-4)
    assert run(client, tokens["scheduler"], agreement_id, "2026-02-01") == {
        "issued": [], "already_issued": 2, "periods": None}
    failed = release(client, tokens, agreement_id, ids[VALTORI], "2026-02-10", 2, vote="against").json()
    assert failed["passed"] is False
    assert run(client, tokens["scheduler"], agreement_id, "2026-02-15")["issued"] == []
    passed = release(client, tokens, agreement_id, ids[VALTORI], "2026-03-02", 2)
    assert passed.status_code == 201 and passed.json()["passed"] is True
    assert run(client, tokens["finance"], agreement_id, "2026-03-01")["issued"] == []  # before the release
    issued = run(client, tokens["scheduler"], agreement_id, "2026-03-02")["issued"]
    assert len(issued) == 2
    second = [i for i in invoices(client, tokens["finance"], agreement_id) if i["id"] in issued]
    assert {(i["instalments"] == [2], i["issued_on"], i["due_on"]) for i in second} == {
        (True, "2026-03-02", "2026-03-23")}
    assert sorted(i["amount"] for i in second) == ["12500.00", "150000.00"]
    for as_of in ("2026-03-02", "2026-06-01"):
        assert run(client, tokens["scheduler"], agreement_id, as_of)["issued"] == []
    released = stored(client, agreement_id, "TrancheReleased")
    assert [(e.instalment, e.released_on, str(e.decision_id)) for e in released] == [
        (2, date(2026, 3, 2), passed.json()["decision_id"])]
    plan = get(client, tokens["auditor"], f"/v1/agreements/{agreement_id}", as_of="2026-06-01")["instalments"]
    assert [(i["number"], i["requires_release"], i["released_on"], i["released_by"]) for i in plan] == [
        (1, False, None, None), (2, True, "2026-03-02", passed.json()["decision_id"])]


def test_a_release_minuted_late_never_bills_an_instalment_twice(client: TestClient, tokens: dict[str, str]) -> None:
    """R-INV-2, R-INV-3: Turun yliopisto joins 2026-02-01 and is billed instalment 1 alone. A release dated
    2026-01-20, minuted afterwards, puts instalment 2 on its catch-up invoice; the next run bills 2 alone."""
    agreement_id, ids = tranche_lyhty(client, tokens, LATE_UNIVERSITY)
    run(client, tokens["scheduler"], agreement_id, "2026-02-01")
    assert release(client, tokens, agreement_id, ids[VALTORI], "2026-01-20", 2).json()["passed"] is True
    run(client, tokens["scheduler"], agreement_id, "2026-02-02")
    late = [i for i in invoices(client, tokens["finance"], agreement_id)
            if i["party_id"] == ids[LATE_UNIVERSITY["business_id"]]]
    assert [(i["instalments"], i["amount"]) for i in late] == [([1], "5000.00"), ([2], "5000.00")]


@pytest.mark.parametrize("subject, status, code", [
    ({"instalment": 3}, 422, "invalid_subject"),
    ({"instalment": 1}, 422, "invalid_subject"),
    ({"instalment": "2"}, 422, "invalid_subject"),
    ({"tranche": 2}, 422, "invalid_subject"),
    ({"instalment": 2, "extra": {"nested": 1}}, 422, "validation_error"),
])
def test_a_release_naming_no_tranche_is_refused_and_changes_nothing(
        client: TestClient, tokens: dict[str, str], subject: dict[str, Any], status: int, code: str) -> None:
    agreement_id, ids = tranche_lyhty(client, tokens)
    before = events(client)
    body = decision_body("2026-01-10", "tranche_release", {ids[VALTORI]: "for"}, subject=subject)
    response = decide(client, tokens["coordinator"], agreement_id, body)
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert events(client) == before


def test_a_tranche_is_released_once(client: TestClient, tokens: dict[str, str]) -> None:
    agreement_id, ids = tranche_lyhty(client, tokens)
    assert release(client, tokens, agreement_id, ids[VALTORI], "2026-01-10", 2).json()["passed"] is True
    before = events(client)
    for vote in ("for", "against"):
        again = release(client, tokens, agreement_id, ids[VALTORI], "2026-02-10", 2, vote=vote)
        assert (again.status_code, again.json()["code"]) == (409, "tranche_already_released")
    assert events(client) == before


# Amendments -------------------------------------------------------------------------------------

@pytest.fixture
def digione(client: TestClient, tokens: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The demo DigiOne: seven cities, 134,000 pupils, 6,700,000.00 of accession fees in three yearly thirds."""
    agreement_id = str(load_demo(client.app.state.ledger)["DIGIONE"])
    return agreement_id, party_ids(client, tokens["finance"], agreement_id)


def unanimous(client: TestClient, tokens: dict[str, str], agreement_id: str, ids: dict[str, str], day: str,
              kind: str, subject: dict[str, Any]) -> str:
    body = decision_body(day, kind, {pid: "for" for pid in ids.values()}, subject=subject)
    response = decide(client, tokens["coordinator"], agreement_id, body)
    assert response.status_code == 201 and response.json()["passed"], response.text
    return str(response.json()["decision_id"])


def amend(client: TestClient, token: str, agreement_id: str, body: dict[str, Any], key: str | None = None) -> Any:
    return post(client, token, f"/v1/agreements/{agreement_id}/amendments", body, key)


def sign_all(client: TestClient, tokens: dict[str, str], agreement_id: str, number: int, ids: dict[str, str],
             day: str) -> dict[str, Any]:
    """Every party signs amendment ``number`` on ``day``, each citing its own council's decision (R-FUND-5)."""
    made: dict[str, Any] = {}
    for bid, pid in ids.items():
        response = post(client, tokens["coordinator"], f"/v1/agreements/{agreement_id}/amendments/{number}/signatures",
                        {"party_id": pid, "signed_on": day, "decision_reference": f"Kaupunginhallitus {bid}"})
        assert response.status_code == 201, response.text
        made = response.json()
    assert made["status"] == "binding"
    return made


def test_digione_amendment_adds_2_2_million_by_pupils_and_is_invoiced_by_the_runs(
        client: TestClient, tokens: dict[str, str], digione: tuple[str, dict[str, str]]) -> None:
    """R-FUND-5: the old request shape (a total, no amounts) proposes the split of tests/domain/test_funding.py;
    it binds once every city has signed (2022-12-19); each party's amendment invoices sum to its additional
    share; committed = 6,700,000.00 + 2,200,000.00."""
    agreement_id, ids = digione
    decision_id = unanimous(client, tokens, agreement_id, ids, "2022-12-01", "budget",
                            {"amendment": True, "total": "2200000.00"})
    response = amend(client, tokens["coordinator"], agreement_id, {"decision_id": decision_id, **AMENDMENT})
    assert response.status_code == 201, response.text
    proposed = response.json()
    assert (proposed["status"], proposed["signed_on"], proposed["dated_on"]) == ("pending", None, "2022-12-19")
    made = sign_all(client, tokens, agreement_id, 1, ids, "2022-12-19")
    assert (made["amendment"], made["decision_id"], made["total"]) == (1, decision_id, "2200000.00")
    assert made["signed_on"] == "2022-12-19"
    assert [(i["number"], i["requires_release"]) for i in made["instalments"]] == [(4, False), (5, True)]
    assert {p["party_id"]: Decimal(p["additional_share"]) for p in made["parties"]} == {
        ids[bid]: amount for bid, amount in DIGIONE_AMENDMENT.items()}
    view = get(client, tokens["auditor"], f"/v1/agreements/{agreement_id}", as_of="2023-01-01")
    assert (view["original_funding"], view["committed_funding"]) == ("6700000.00", "8900000.00")
    earlier = get(client, tokens["auditor"], f"/v1/agreements/{agreement_id}", as_of="2022-12-18")
    assert (earlier["committed_funding"], earlier["amendments"]) == ("6700000.00", [])
    assert get(client, tokens["finance"], f"/v1/agreements/{agreement_id}/amendments") == [made]
    assert [str(e.decision_id) for e in stored(client, agreement_id, "AmendmentProposed")] == [decision_id]
    assert len(stored(client, agreement_id, "AmendmentSigned")) == 7 and not stored(client, agreement_id,
                                                                                  "FundingAmended")

    run(client, tokens["scheduler"], agreement_id, "2023-01-13")
    assert run(client, tokens["scheduler"], agreement_id, "2024-06-01")["issued"] == []  # 5 awaits release
    unanimous(client, tokens, agreement_id, ids, "2024-02-01", "tranche_release", {"instalment": 5})
    assert len(run(client, tokens["scheduler"], agreement_id, "2024-06-01")["issued"]) == 6  # not Vantaa
    listed = invoices(client, tokens["finance"], agreement_id)
    shares = {p["party_id"]: Decimal(p["cost_share"]) for p in get(
        client, tokens["finance"], f"/v1/agreements/{agreement_id}/parties")}
    assert not [i for i in listed if i["party_id"] == ids[VANTAA]]  # the host never invoices itself (R-ACC-4)
    for bid, extra in DIGIONE_AMENDMENT.items():
        if bid == VANTAA:
            continue
        own = [i for i in listed if i["party_id"] == ids[bid]]
        assert sum(Decimal(i["amount"]) for i in own if set(i["instalments"]) <= {4, 5}) == extra
        assert sum(Decimal(i["amount"]) for i in own) == shares[ids[bid]] + extra
    assert sum(Decimal(i["amount"]) for i in listed) == Decimal("8900000.00") - shares[ids[VANTAA]] - DIGIONE_AMENDMENT[VANTAA]


def bad(change: dict[str, Any]) -> dict[str, Any]:
    return {**AMENDMENT, **change}


@pytest.mark.parametrize("body, status, code", [
    (bad({"total": 2200000}), 422, "validation_error"),
    (bad({"total": "2200000.001"}), 422, "validation_error"),
    (bad({"total": "2.2e6"}), 422, "validation_error"),
    (bad({"reason": "more money"}), 422, "validation_error"),
    (bad({"instalments": []}), 422, "invalid_instalments"),
    (bad({"instalments": [{"issue_on": "2023-01-13", "share": "1/2"}]}), 422, "invalid_instalments"),
    (bad({"instalments": [{"issue_on": "2022-12-01", "share": "1"}]}), 422, "invalid_instalments"),
    (bad({"instalments": [{"issue_on": "2028-01-03", "share": "1"}]}), 422, "invalid_instalments"),
    (bad({"total": "0.00"}), 422, "invalid_amount"),
    (bad({"signed_on": "2020-10-01"}), 422, "date_outside_term"),
    (bad({"total": "2000000.00"}), 409, "decision_required"),
    (bad({"signed_on": "2022-11-30"}), 409, "decision_required"),
    (bad({"decision_id": "00000000-0000-4000-8000-000000000000"}), 409, "decision_required"),
])
def test_a_bad_amendment_is_a_problem_with_a_stable_code_and_changes_nothing(
        client: TestClient, tokens: dict[str, str], digione: tuple[str, dict[str, str]],
        body: dict[str, Any], status: int, code: str) -> None:
    agreement_id, ids = digione
    decision_id = unanimous(client, tokens, agreement_id, ids, "2022-12-01", "budget",
                            {"amendment": True, "total": "2200000.00"})
    before = events(client)
    response = amend(client, tokens["coordinator"], agreement_id, {"decision_id": decision_id, **body})
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert events(client) == before


@pytest.mark.parametrize("kind, subject", [
    ("budget", {"total": "2200000.00"}),  # no "amendment": true
    ("extension", {"new_ends_on": "2028-12-31"}),
])
def test_an_amendment_needs_a_decision_that_decides_an_amendment(
        client: TestClient, tokens: dict[str, str], digione: tuple[str, dict[str, str]],
        kind: str, subject: dict[str, Any]) -> None:
    agreement_id, ids = digione
    decision_id = unanimous(client, tokens, agreement_id, ids, "2022-12-01", kind, subject)
    before = events(client)
    response = amend(client, tokens["coordinator"], agreement_id, {"decision_id": decision_id, **AMENDMENT})
    assert (response.status_code, response.json()["code"]) == (409, "decision_required")
    assert events(client) == before


def test_a_decision_naming_a_bad_total_is_refused(client: TestClient, tokens: dict[str, str],
                                                   digione: tuple[str, dict[str, str]]) -> None:
    agreement_id, ids = digione
    body = decision_body("2022-12-01", "budget", {ids[VANTAA]: "for"}, subject={"amendment": True, "total": "lots"})
    response = decide(client, tokens["coordinator"], agreement_id, body)
    assert (response.status_code, response.json()["code"]) == (422, "invalid_subject")


def test_an_amendment_is_signed_once_per_decision_and_key(client: TestClient, tokens: dict[str, str],
                                                          digione: tuple[str, dict[str, str]]) -> None:
    """Idempotency-Key: the same key and body return the first response; the decision authorises one amendment."""
    agreement_id, ids = digione
    decision_id = unanimous(client, tokens, agreement_id, ids, "2022-12-01", "other", {"amendment": True})
    body = {"decision_id": decision_id, **AMENDMENT}
    first = amend(client, tokens["coordinator"], agreement_id, body, key="amendment-2022")
    before = events(client)
    again = amend(client, tokens["coordinator"], agreement_id, body, key="amendment-2022")
    assert (again.status_code, again.json()) == (201, first.json())
    other = amend(client, tokens["coordinator"], agreement_id, {**body, "total": "1.00"}, key="amendment-2022")
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_key_reused")
    twice = amend(client, tokens["coordinator"], agreement_id, body)
    assert (twice.status_code, twice.json()["code"]) == (409, "decision_already_used")
    assert events(client) == before
    assert len(get(client, tokens["auditor"], f"/v1/agreements/{agreement_id}/amendments")) == 1


# Exit settlement ---------------------------------------------------------------------------------

def settlement_url(agreement_id: str, party_id: str) -> str:
    return f"/v1/agreements/{agreement_id}/parties/{party_id}/exit-settlement"


QUERY = {"checkpoint": "2024-04-30", "accrued_costs": "1340000.00", "wind_down_costs": "134000.01"}


def test_espoos_exit_at_the_digione_checkpoint(client: TestClient, tokens: dict[str, str],
                                              digione: tuple[str, dict[str, str]]) -> None:
    """R-FUND-6, worked by hand: 30,000 of 134,000 pupils. Accrued 1,340,000.00 → 300,000.00; wind-down
    134,000.01 → 30,000.01 (the odd cent to Espoo's largest remainder); the amendment's 2025-01-10 third
    (released 2024-03-01) of Espoo's 300,000.00 → 100,000.00 of fees; the unreleased 2026-01-09 third is
    pending, outside the total; the 2024-01-12 third was billed before the checkpoint."""
    agreement_id, ids = digione
    decision_id = unanimous(client, tokens, agreement_id, ids, "2023-05-01", "budget", {"amendment": True})
    thirds = [{"issue_on": "2024-01-12", "share": "1/3"},
              {"issue_on": "2025-01-10", "share": "1/3", "requires_release": True},
              {"issue_on": "2026-01-09", "share": "1/3", "requires_release": True}]
    assert amend(client, tokens["coordinator"], agreement_id, {"decision_id": decision_id, "signed_on": "2023-06-01",
                                                               "total": "1340000.00", "instalments": thirds}
                 ).status_code == 201
    sign_all(client, tokens, agreement_id, 1, ids, "2023-06-01")
    unanimous(client, tokens, agreement_id, ids, "2024-03-01", "tranche_release", {"instalment": 5})
    before = events(client)
    for role in ("coordinator", "finance", "auditor"):
        settlement = get(client, tokens[role], settlement_url(agreement_id, ids[ESPOO]), **QUERY)
        assert {k: settlement[k] for k in ("accrued_costs_share", "wind_down_costs_share", "fees", "total",
                                           "pending_tranches", "commitment_ends_on")} == {
            "accrued_costs_share": "300000.00", "wind_down_costs_share": "30000.01", "fees": "100000.00",
            "total": "430000.01", "pending_tranches": "100000.00", "commitment_ends_on": "2027-12-31"}
        assert [(f["number"], f["amount"]) for f in settlement["fee_instalments"]] == [(5, "100000.00")]
    assert events(client) == before  # a calculation writes nothing


@pytest.mark.parametrize("change, status, code", [
    ({"accrued_costs": "1e3"}, 422, "validation_error"),
    ({"accrued_costs": "10.001"}, 422, "validation_error"),
    ({"wind_down_costs": "-1.00"}, 422, "invalid_amount"),
    ({"checkpoint": "2024-02-30"}, 422, "validation_error"),
    ({"checkpoint": None}, 422, "validation_error"),
    ({"checkpoint": "2028-01-01"}, 422, "date_outside_term"),
])
def test_a_bad_settlement_query_is_a_problem(client: TestClient, tokens: dict[str, str],
                                             digione: tuple[str, dict[str, str]],
                                             change: dict[str, Any], status: int, code: str) -> None:
    agreement_id, ids = digione
    query = {k: v for k, v in {**QUERY, **change}.items() if v is not None}
    response = client.get(settlement_url(agreement_id, ids[ESPOO]), params=query, headers=auth(tokens["finance"]))
    assert (response.status_code, response.json()["code"]) == (status, code), response.text


def test_the_coordinator_has_no_exit_and_an_unknown_party_is_not_found(
        client: TestClient, tokens: dict[str, str], digione: tuple[str, dict[str, str]]) -> None:
    agreement_id, ids = digione
    response = client.get(settlement_url(agreement_id, ids[VANTAA]), params=QUERY, headers=auth(tokens["finance"]))
    assert (response.status_code, response.json()["code"]) == (409, "coordinator_cannot_leave")
    response = client.get(settlement_url(agreement_id, str(uuid4())), params=QUERY, headers=auth(tokens["finance"]))
    assert response.status_code == 404


def test_roles_for_amendments_and_settlements(client: TestClient, tokens: dict[str, str],
                                              digione: tuple[str, dict[str, str]]) -> None:
    """api.md: the coordinator signs amendments; settlements are for coordinator, finance and auditor."""
    agreement_id, ids = digione
    body = {"decision_id": str(uuid4()), **AMENDMENT}
    for role in ("finance", "scheduler", "auditor", "party"):
        assert amend(client, tokens[role], agreement_id, body).status_code == 403
    for role in ("scheduler", "party"):
        response = client.get(settlement_url(agreement_id, ids[ESPOO]), params=QUERY, headers=auth(tokens[role]))
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")
        amendments = client.get(f"/v1/agreements/{agreement_id}/amendments", headers=auth(tokens[role]))
        assert amendments.status_code == (200 if role == "scheduler" else 403)
    assert client.get(settlement_url(agreement_id, ids[ESPOO]), params=QUERY).status_code == 401
    assert client.post(f"/v1/agreements/{agreement_id}/amendments", json=body).status_code == 401


# Persistence -------------------------------------------------------------------------------------

def test_a_plan_stored_before_tranches_existed_still_loads_and_invoices(ledger: Ledger) -> None:
    """The Created event of an older agreement has instalments without requires_release."""
    old = Agreement(code="OLD", title="Old plan", coordinator={"name": "Valtori", "business_id": "2574261-7"},
                    starts_on=date(2025, 1, 1), ends_on=date(2026, 12, 31), currency="EUR",
                    cost_sharing={"model": "equal", "total": "100.00"},
                    instalments=[{"issue_on": date(2025, 3, 1), "share": "1"}], terms={}, signed_on=None, invoicer=None)
    ledger.save(old)
    ledger.accede(old.id, name="Espoon kaupunki", business_id=ESPOO, signed_on=date(2025, 2, 1))
    view = ledger.get_agreement(old.id, as_of=date(2025, 3, 1))
    assert [(i["number"], i["requires_release"]) for i in view["instalments"]] == [(1, False)]
    assert len(ledger.run_invoicing(old.id, as_of=date(2025, 3, 1))["issued"]) == 1


def test_releases_and_amendments_survive_snapshots(ledger: Ledger) -> None:
    """Past the Agreement's snapshot interval (50 events), a fresh application reads them back."""
    aid = load_demo(ledger)["DIGIONE"]
    ids = [UUID(p["party_id"]) for p in ledger.list_parties(aid, limit=10)]
    votes = [{"party_id": p, "vote": "for"} for p in ids]

    def decide_all(day: date, kind: str, subject: dict[str, Any]) -> UUID:
        return UUID(ledger.record_decision(aid, decided_on=day, kind=kind, subject=subject, present=ids,
                                           votes=votes)["decision_id"])

    decision = decide_all(date(2022, 12, 1), "budget", {"amendment": True})
    ledger.amend_funding(aid, decision_id=decision, dated_on=date(2022, 12, 19), total="2200000.00",
                         instalments=[{**i, "issue_on": date.fromisoformat(i["issue_on"])}
                                      for i in AMENDMENT["instalments"]])
    for pid in ids:
        ledger.sign_amendment(aid, 1, party_id=pid, signed_on=date(2022, 12, 19), decision_reference="Valtuusto")
    for n in range(45):
        decide_all(date(2023, 2, 1), "other", {"item": n})
    decide_all(date(2024, 2, 1), "tranche_release", {"instalment": 5})
    fresh = Ledger(env=ledger.env)
    try:
        assert fresh.snapshots is not None and list(fresh.snapshots.get(aid))
        view = fresh.get_agreement(aid, as_of=date(2024, 6, 1))
        assert view["committed_funding"] == "8900000.00"
        assert view["amendments"][0]["instalments"][1]["released_on"] == "2024-02-01"
        assert len(fresh.run_invoicing(aid, as_of=date(2024, 6, 1))["issued"]) == 6 * 5  # not Vantaa, the host
    finally:
        fresh.close()
