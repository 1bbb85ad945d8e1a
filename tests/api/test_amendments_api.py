"""Amendments signed by every party, commitments per party, ceilings and released portions (R-FUND-5),
through the HTTP API on SQLite and PostgreSQL, with seed 002's (DigiOne's) figures.

DigiOne here: accession fees at 50.00 a pupil; Vantaa, the host and coordinator, 25,440 pupils =
1,272,000.00 (seed 002: "Vantaan osuus n. 1,2 Me"). The 2022 amendment states 2,200,000.00 in all,
Vantaa 308,000.00 (not the key's share); the 2023 amendment a ceiling of 11,823,621.00, Vantaa
2,128,252.00. The other cities' amounts are the seed's totals less Vantaa's, spread by hand.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from projections.audit.replay import replay
from tests.api.helpers import auth
from tests.api.membership_helpers import decide, decision_body, events, party_ids, post

VANTAA, ESPOO, TAMPERE, OULU, TURKU, LAHTI, JYVASKYLA = (
    "0124610-9", "0101263-6", "0211675-2", "0187690-1", "0204819-8", "0149669-3", "0174666-4")
CITIES = [("Espoon kaupunki", ESPOO, 30000, "2020-11-01"), ("Tampereen kaupunki", TAMPERE, 19000, "2020-11-01"),
          ("Oulun kaupunki", OULU, 18000, "2020-11-01"), ("Turun kaupunki", TURKU, 16000, "2020-11-01"),
          ("Lahden kaupunki", LAHTI, 11000, "2021-09-01"), ("Jyväskylän kaupunki", JYVASKYLA, 15000, "2021-09-01")]
# 2022: 2,200,000.00, Vantaa 308,000.00; the rest sums to 1,892,000.00.
AMOUNTS_2022 = {VANTAA: "308000.00", ESPOO: "480000.00", TAMPERE: "312000.00", OULU: "296000.00",
                TURKU: "262000.00", LAHTI: "180000.00", JYVASKYLA: "362000.00"}
# 2023: at most 11,823,621.00, Vantaa 2,128,252.00; the rest sums to 9,695,369.00.
CEILING_2023 = {VANTAA: "2128252.00", ESPOO: "2553902.00", TAMPERE: "1617471.00", OULU: "1532341.00",
                TURKU: "1362081.00", LAHTI: "936431.00", JYVASKYLA: "1693143.00"}
SIGNED_2022 = {VANTAA: "2022-12-19", ESPOO: "2022-12-12", TAMPERE: "2022-12-14", OULU: "2023-01-20",
               TURKU: "2022-12-15", LAHTI: "2022-12-19", JYVASKYLA: "2022-12-20"}


def get(client: TestClient, token: str, url: str, **params: Any) -> Any:
    response = client.get(url, params=params, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def digione(client: TestClient, tokens: dict[str, str]) -> tuple[str, dict[str, str]]:
    body = {"code": "DIGI", "title": "DigiOne", "starts_on": "2020-11-01", "ends_on": "2027-12-31",
            "coordinator": {"name": "Vantaan kaupunki", "business_id": VANTAA, "is_party": True, "metric": 25440},
            "cost_sharing": {"model": "proportional", "metric": "pupils", "rate": "50.00"},
            "instalments": [{"issue_on": "2021-01-15", "share": "1/3"}, {"issue_on": "2022-01-14", "share": "1/3"},
                            {"issue_on": "2023-01-13", "share": "1/3"}]}
    response = post(client, tokens["coordinator"], "/v1/agreements", body)
    assert response.status_code == 201, response.text
    aid = response.json()["id"]
    for name, bid, pupils, signed_on in CITIES:
        joined = post(client, tokens["coordinator"], f"/v1/agreements/{aid}/parties",
                      {"name": name, "business_id": bid, "signed_on": signed_on, "metric": pupils})
        assert joined.status_code == 201, joined.text
    return aid, party_ids(client, tokens["finance"], aid)


def propose(client: TestClient, tokens: dict[str, str], aid: str, body: dict[str, Any], key: str | None = None) -> Any:
    return post(client, tokens["coordinator"], f"/v1/agreements/{aid}/amendments", body, key)


def sign(client: TestClient, tokens: dict[str, str], aid: str, number: int, party_id: str, signed_on: str,
         reference: str = "Kaupunginvaltuusto § 1") -> Any:
    return post(client, tokens["coordinator"], f"/v1/agreements/{aid}/amendments/{number}/signatures",
                {"party_id": party_id, "signed_on": signed_on, "decision_reference": reference})


def amendment_2022(client: TestClient, tokens: dict[str, str], aid: str, ids: dict[str, str]) -> dict[str, Any]:
    response = propose(client, tokens, aid, {
        "dated_on": "2022-12-01", "parties": [{"party_id": ids[b], "amount": a} for b, a in AMOUNTS_2022.items()],
        "instalments": [{"issue_on": "2023-01-13", "share": "1"}]})
    assert response.status_code == 201, response.text
    return response.json()


def sign_all(client: TestClient, tokens: dict[str, str], aid: str, number: int, ids: dict[str, str],
             dates: dict[str, str]) -> dict[str, Any]:
    made: dict[str, Any] = {}
    for bid, day in sorted(dates.items(), key=lambda item: item[1]):
        response = sign(client, tokens, aid, number, ids[bid], day)
        assert response.status_code == 201, response.text
        made = response.json()
    return made


def run(client: TestClient, tokens: dict[str, str], aid: str, as_of: str) -> list[str]:
    response = post(client, tokens["scheduler"], f"/v1/agreements/{aid}/invoicing-runs", {"as_of": as_of})
    assert response.status_code == 200, response.text
    return response.json()["issued"]


def invoices(client: TestClient, tokens: dict[str, str], aid: str) -> list[dict[str, Any]]:
    return get(client, tokens["finance"], f"/v1/agreements/{aid}/invoices", limit=500, as_of="2027-12-31")


def row(figures: dict[str, Any], party_id: str) -> dict[str, Any]:
    return next(r for r in figures["parties"] if r["party_id"] == party_id)


def contribute(client: TestClient, tokens: dict[str, str], aid: str, amount: str, booked_on: str) -> Any:
    return post(client, tokens["finance"], f"/v1/agreements/{aid}/own-contributions",
                {"amount": amount, "booked_on": booked_on, "description": "Vantaan oma osuus"})


# Items 1 and 2: commitments, and amendments that bind only when every party has signed ---------------

def test_the_2022_amendment_binds_on_the_last_signature_and_vantaa_owes_122_758(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-FUND-5, seed 002: the 2022 amendment (2,200,000.00, Vantaa 308,000.00, not the key's 411,… ) is
    pending, commits and invoices nothing, until all seven cities have signed, each citing its own
    council decision; Oulu signs last on 2023-01-20, so it binds from then and the next run invoices it.
    Vantaa: 1,272,000.00 + 308,000.00 = 1,580,000.00 committed; it contributes 1,457,242.00 (it is the
    host and is never invoiced, R-ACC-4) and 122,758.00 is unpaid."""
    aid, ids = digione(client, tokens)
    made = amendment_2022(client, tokens, aid, ids)
    assert (made["status"], made["signed_on"], made["total"], made["decision_id"]) == (
        "pending", None, "2200000.00", None)
    assert {p["party_id"]: (p["additional_share"], p["signed"]) for p in made["parties"]} == {
        ids[b]: (a, False) for b, a in AMOUNTS_2022.items()}
    assert sorted(made["signatories"]) == sorted(ids.values())
    assert [i["number"] for i in made["instalments"]] == [4]

    run(client, tokens, aid, "2023-01-19")
    assert not [i for i in invoices(client, tokens, aid) if 4 in i["instalments"]]  # pending: nothing billed
    dates = dict(SIGNED_2022)
    last = dates.pop(OULU)
    sign_all(client, tokens, aid, 1, ids, dates)
    early = get(client, tokens["auditor"], f"/v1/agreements/{aid}/amendments/1")
    assert (early["status"], len(early["signatures"])) == ("pending", 6)
    assert get(client, tokens["finance"], f"/v1/agreements/{aid}/funding", as_of="2023-01-19")["committed"] == \
        "6722000.00"  # the fees alone: 134,440 pupils × 50.00
    bound = sign(client, tokens, aid, 1, ids[OULU], last, "Oulun kaupunginhallitus 16.1.2023 § 20").json()
    assert (bound["status"], bound["signed_on"]) == ("binding", "2023-01-20")
    assert {s["party_id"]: s["decision_reference"] for s in bound["signatures"]}[ids[OULU]] == \
        "Oulun kaupunginhallitus 16.1.2023 § 20"

    issued = run(client, tokens, aid, "2023-01-20")
    billed = {i["party_id"]: i["amount"] for i in invoices(client, tokens, aid) if i["instalments"] == [4]}
    assert len(issued) == len(billed) == 6 and ids[VANTAA] not in billed  # the host never invoices itself
    assert billed == {ids[b]: a for b, a in AMOUNTS_2022.items() if b != VANTAA}
    for amount, booked_on in (("526666.67", "2021-02-01"), ("526666.67", "2022-02-01"), ("403908.66", "2023-02-01")):
        assert contribute(client, tokens, aid, amount, booked_on).status_code == 201

    vantaa = row(get(client, tokens["finance"], f"/v1/agreements/{aid}/balances", as_of="2023-12-31"), ids[VANTAA])
    assert {k: vantaa[k] for k in ("cost_share", "committed", "invoiced", "paid", "contributed", "unpaid")} == {
        "cost_share": "1272000.00", "committed": "1580000.00", "invoiced": "0.00", "paid": "1457242.00",
        "contributed": "1457242.00", "unpaid": "122758.00"}
    before = row(get(client, tokens["finance"], f"/v1/agreements/{aid}/balances", as_of="2023-01-19"), ids[VANTAA])
    assert (before["committed"], before["unpaid"]) == ("1272000.00", "218666.66")  # 1,272,000.00 − 2 × 526,666.67
    funding = get(client, tokens["auditor"], f"/v1/agreements/{aid}/funding", as_of="2023-12-31")
    assert row(funding, ids[VANTAA]) == {"party_id": ids[VANTAA], "committed": "1580000.00", "invoiced": "0.00",
                                         "paid": "1457242.00", "unpaid": "122758.00"}
    assert (funding["committed"], funding["commitments"]["committed"], funding["paid"]) == (
        "8922000.00", "8922000.00", "1457242.00")
    assert funding["unpaid"] == "7464758.00"  # 8,922,000.00 − 1,457,242.00: the other cities paid nothing yet
    espoo = row(funding, ids[ESPOO])
    assert (espoo["committed"], espoo["invoiced"], espoo["unpaid"]) == ("1980000.00", "1980000.00", "1980000.00")
    too_much = contribute(client, tokens, aid, "122758.01", "2023-03-01")
    assert (too_much.status_code, too_much.json()["code"]) == (409, "contribution_exceeds_commitment")


def test_a_total_without_amounts_is_split_by_the_key_and_still_needs_every_signature(
        client: TestClient, tokens: dict[str, str]) -> None:
    """The old request shape (decision_id, signed_on, total): proposed amounts by the key (pupils); a
    passed steering decision alone binds nobody (R-FUND-5). Vantaa 25,440 of 134,440 pupils of
    2,200,000.00 = 416,304.67… → 416,304.67."""
    aid, ids = digione(client, tokens)
    decision = decide(client, tokens["coordinator"], aid, decision_body(
        "2022-12-01", "budget", {pid: "for" for pid in ids.values()}, subject={"amendment": True}))
    assert decision.json()["passed"] is True
    response = propose(client, tokens, aid, {"decision_id": decision.json()["decision_id"], "signed_on": "2022-12-19",
                                             "total": "2200000.00",
                                             "instalments": [{"issue_on": "2023-01-13", "share": "1"}]})
    assert response.status_code == 201, response.text
    made = response.json()
    shares = {p["party_id"]: Decimal(p["additional_share"]) for p in made["parties"]}
    assert made["status"] == "pending" and sum(shares.values()) == Decimal("2200000.00")
    assert shares[ids[VANTAA]] == Decimal("416304.67")
    run(client, tokens, aid, "2024-01-31")
    assert not [i for i in invoices(client, tokens, aid) if 4 in i["instalments"]]
    view = get(client, tokens["auditor"], f"/v1/agreements/{aid}", as_of="2024-01-31")
    assert (view["committed_funding"], view["amendments"]) == ("6722000.00", [])


def test_signatures_are_checked_and_a_refused_one_changes_nothing(client: TestClient, tokens: dict[str, str]) -> None:
    aid, ids = digione(client, tokens)
    amendment_2022(client, tokens, aid, ids)
    assert sign(client, tokens, aid, 1, ids[ESPOO], "2022-12-12").status_code == 201
    before = events(client)
    for number, party, day, reference, status, code in (
            (1, ids[ESPOO], "2022-12-13", "x", 409, "amendment_already_signed"),
            (1, "6f1c1c0e-9f4e-5a51-9a55-1f0d3c3c2e10", "2022-12-13", "x", 409, "not_a_signatory"),
            (1, ids[TAMPERE], "2022-11-30", "x", 422, "signature_before_amendment"),
            (1, ids[TAMPERE], "2028-01-03", "x", 409, "agreement_not_in_force"),
            (1, ids[TAMPERE], "2022-12-13", "   ", 422, "invalid_text"),
            (1, ids[TAMPERE], "2022-12-13", "x" * 201, 422, "validation_error"),
            (2, ids[TAMPERE], "2022-12-13", "x", 404, "not_found")):
        response = sign(client, tokens, aid, number, party, day, reference)
        assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert events(client) == before
    sign_all(client, tokens, aid, 1, ids, {b: d for b, d in SIGNED_2022.items() if b != ESPOO})
    again = sign(client, tokens, aid, 1, ids[ESPOO], "2023-02-01")
    assert (again.status_code, again.json()["code"]) == (409, "amendment_already_binding")
    for role in ("finance", "scheduler", "auditor", "party"):
        assert sign(client, {"coordinator": tokens[role]}, aid, 1, ids[TAMPERE], "2022-12-13").status_code == 403


def test_a_bad_proposal_is_a_problem_and_changes_nothing(client: TestClient, tokens: dict[str, str]) -> None:
    aid, ids = digione(client, tokens)
    stated = [{"party_id": ids[b], "amount": a} for b, a in AMOUNTS_2022.items()]
    before = events(client)
    for body, status, code in (
            ({"dated_on": "2022-12-01", "parties": stated, "total": "2200000.01",
              "instalments": [{"issue_on": "2023-01-13", "share": "1"}]}, 422, "amendment_total_mismatch"),
            ({"dated_on": "2022-12-01", "parties": stated + stated[:1],
              "instalments": [{"issue_on": "2023-01-13", "share": "1"}]}, 422, "invalid_amendment_party"),
            ({"dated_on": "2022-12-01", "parties": stated}, 422, "invalid_instalments"),
            ({"dated_on": "2022-12-01", "parties": stated, "ceiling": True,
              "instalments": [{"issue_on": "2023-01-13", "share": "1"}]}, 422, "invalid_instalments"),
            ({"dated_on": "2022-12-01", "instalments": [{"issue_on": "2023-01-13", "share": "1"}]}, 422,
             "invalid_amount"),
            ({"parties": stated, "instalments": [{"issue_on": "2023-01-13", "share": "1"}]}, 422, "invalid_date"),
            ({"dated_on": "2022-12-01", "parties": [{"party_id": ids[ESPOO], "amount": 480000}],
              "instalments": [{"issue_on": "2023-01-13", "share": "1"}]}, 422, "validation_error")):
        response = propose(client, tokens, aid, body)
        assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert events(client) == before


# Item 3: a ceiling paid in released portions --------------------------------------------------------

def ceiling_2023(client: TestClient, tokens: dict[str, str], aid: str, ids: dict[str, str]) -> dict[str, Any]:
    response = propose(client, tokens, aid, {
        "dated_on": "2023-06-01", "ceiling": True,
        "parties": [{"party_id": ids[b], "amount": a} for b, a in CEILING_2023.items()]})
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "pending"
    return sign_all(client, tokens, aid, response.json()["amendment"], ids, dict.fromkeys(CEILING_2023, "2023-06-30"))


def release(client: TestClient, tokens: dict[str, str], aid: str, ids: dict[str, str], day: str,
            subject: dict[str, Any]) -> Any:
    return decide(client, tokens["coordinator"], aid, decision_body(
        day, "tranche_release", {pid: "for" for pid in ids.values()}, subject=subject))


# 4,000,000.00 by shares of the ceiling, in cents 400,000,000 × share / 11,823,621: the floors sum to
# 399,999,997; the 3 cents left go to Jyväskylä (.995), Oulu (.473) and Vantaa (.443).
PORTION_2024 = {VANTAA: "720000.08", ESPOO: "863999.95", TAMPERE: "547199.88", OULU: "518399.91",
                TURKU: "460799.95", LAHTI: "316800.07", JYVASKYLA: "572800.16"}


def test_the_2023_ceiling_commits_only_released_portions_and_never_passes_11_823_621(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-FUND-5, seed 002: the ceiling of 11,823,621.00 (Vantaa 2,128,252.00) binds on 2023-06-30 but
    commits nothing until the steering group releases the 2024 portion of 4,000,000.00, split by the
    shares of the ceiling (Vantaa 720,000.08); the next run invoices it. A release past what is left
    (7,823,621.01) is refused, as is one per party past Vantaa's own ceiling; the last portion gives
    each city exactly what is left of its own, and the replay reproduces every figure."""
    aid, ids = digione(client, tokens)
    amendment_2022(client, tokens, aid, ids)
    sign_all(client, tokens, aid, 1, ids, SIGNED_2022)
    bound = ceiling_2023(client, tokens, aid, ids)
    assert (bound["amendment"], bound["status"], bound["ceiling"], bound["released"], bound["instalments"]) == (
        2, "binding", True, "0.00", [])
    funding = get(client, tokens["finance"], f"/v1/agreements/{aid}/funding", as_of="2023-12-31")
    assert (funding["committed"], funding["ceiling"], funding["released"], funding["unreleased"]) == (
        "8922000.00", "11823621.00", "0.00", "11823621.00")

    assert len(run(client, tokens, aid, "2024-01-14")) == 6 * 4  # the fees and the 2022 amendment, not Vantaa
    early = release(client, tokens, aid, ids, "2023-06-29", {"amendment": 2, "total": "4000000.00"})
    assert (early.status_code, early.json()["code"]) == (409, "amendment_not_binding")
    passed = release(client, tokens, aid, ids, "2024-01-15", {"amendment": 2, "total": "4000000.00"})
    assert passed.status_code == 201 and passed.json()["passed"], passed.text
    portion = get(client, tokens["auditor"], f"/v1/agreements/{aid}/amendments/2")["portions"]
    assert [(p["portion"], p["number"], p["released_on"], p["total"]) for p in portion] == [
        (1, 5, "2024-01-15", "4000000.00")]
    assert {p["party_id"]: p["amount"] for p in portion[0]["parties"]} == {ids[b]: a for b, a in PORTION_2024.items()}
    issued = run(client, tokens, aid, "2024-01-15")
    billed = {i["party_id"]: i["amount"] for i in invoices(client, tokens, aid) if i["instalments"] == [5]}
    assert len(issued) == 6 and billed == {ids[b]: a for b, a in PORTION_2024.items() if b != VANTAA}

    funding = get(client, tokens["finance"], f"/v1/agreements/{aid}/funding", as_of="2024-01-15")
    assert (funding["committed"], funding["released"], funding["unreleased"]) == (
        "12922000.00", "4000000.00", "7823621.00")
    assert row(funding, ids[VANTAA])["committed"] == "2300000.08"  # 1,580,000.00 + 720,000.08
    assert get(client, tokens["finance"], f"/v1/agreements/{aid}/funding", as_of="2024-01-14")["committed"] == \
        "8922000.00"

    before = events(client)
    over = release(client, tokens, aid, ids, "2025-01-15", {"amendment": 2, "total": "7823621.01"})
    assert (over.status_code, over.json()["code"]) == (409, "ceiling_exceeded")
    per_party = release(client, tokens, aid, ids, "2025-01-15",
                        {"amendment": 2, "total": "1408252.00", "per_party": True})
    assert per_party.json()["passed"] is True
    decision_id = per_party.json()["decision_id"]
    url = f"/v1/agreements/{aid}/amendments/2/releases"
    mark = events(client)
    past = post(client, tokens["coordinator"], url, {"decision_id": decision_id, "parties": [
        {"party_id": ids[VANTAA], "amount": "1408252.00"}]})  # Vantaa has 2,128,252.00 − 720,000.08 left
    assert (past.status_code, past.json()["code"]) == (409, "ceiling_exceeded")
    mismatch = post(client, tokens["coordinator"], url, {"decision_id": decision_id, "parties": [
        {"party_id": ids[VANTAA], "amount": "1000000.00"}]})
    assert (mismatch.status_code, mismatch.json()["code"]) == (422, "release_total_mismatch")
    assert events(client) == mark
    ok = post(client, tokens["coordinator"], url, {"decision_id": decision_id, "parties": [
        {"party_id": ids[VANTAA], "amount": "1000000.00"}, {"party_id": ids[ESPOO], "amount": "408252.00"}]})
    assert ok.status_code == 201, ok.text
    twice = post(client, tokens["coordinator"], url, {"decision_id": decision_id, "parties": [
        {"party_id": ids[VANTAA], "amount": "1000000.00"}, {"party_id": ids[ESPOO], "amount": "408252.00"}]})
    assert (twice.status_code, twice.json()["code"]) == (409, "decision_already_used")
    assert events(client) > before

    rest = release(client, tokens, aid, ids, "2026-01-15", {"amendment": 2, "total": "6415369.00"})
    assert rest.status_code == 201 and rest.json()["passed"], rest.text
    final = get(client, tokens["auditor"], f"/v1/agreements/{aid}/amendments/2")
    assert (final["released"], final["unreleased"], len(final["portions"])) == ("11823621.00", "0.00", 3)
    vantaa_last = {p["party_id"]: p["amount"] for p in final["portions"][2]["parties"]}[ids[VANTAA]]
    assert vantaa_last == "408251.92"  # 2,128,252.00 − 720,000.08 − 1,000,000.00
    funding = get(client, tokens["finance"], f"/v1/agreements/{aid}/funding", as_of="2026-12-31")
    assert (funding["committed"], funding["unreleased"]) == ("20745621.00", "0.00")  # 8,922,000 + 11,823,621
    assert row(funding, ids[VANTAA])["committed"] == "3708252.00"  # 1,580,000.00 + 2,128,252.00
    more = release(client, tokens, aid, ids, "2026-02-01", {"amendment": 2, "total": "0.01"})
    assert (more.status_code, more.json()["code"]) == (409, "ceiling_exceeded")

    ledger = client.app.state.ledger
    report = replay(ledger, client.app.state.journal, [date.fromisoformat(d) for d in ("2023-06-30", "2024-01-15", "2026-12-31")])
    assert report.ok, report.differences[:5]
