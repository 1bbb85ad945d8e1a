"""Figures from the journal (R-FUND-1 … R-FUND-3, R-REP-1), through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from tests.api.helpers import auth, create_lyhty
from tests.api.membership_helpers import decide, decision_body, events, party_ids
from tests.api.test_invoicing_api import COHORT, invoices, run

SMALL = {
    "code": "SMALL", "title": "Three-party network", "starts_on": "2025-01-01", "ends_on": "2026-12-31",
    "coordinator": {"name": "Valtori", "business_id": "2574261-7"},
    "cost_sharing": {"model": "fixed_by_category", "categories": {"a": "600.00", "b": "300.00", "c": "100.00"}},
    "instalments": [{"issue_on": "2025-01-15", "share": "1"}],
    "terms": {"notice_months": 0, "minimum_commitment_months": 0},
}
# The coordinator funds nothing here; three parties are invoiced (R-ACC-4: a coordinator that funds
# the work is never invoiced, see the Lyhty figures below).
A = {"name": "Pohjois-Pohjanmaan hyvinvointialue", "business_id": "3221326-2", "signed_on": "2025-01-01",
     "category": "a"}
B = {"name": "Kansaneläkelaitos", "business_id": "0246246-0", "signed_on": "2025-01-01", "category": "b"}
C = {"name": "Helsingin kaupunki", "business_id": "0201256-6", "signed_on": "2025-01-01", "category": "c"}


def get(client: TestClient, token: str, url: str, **params: Any) -> dict[str, Any]:
    response = client.get(url, params=params, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def pay(client: TestClient, token: str, invoice_id: str, amount: str, paid_on: str) -> None:
    response = client.post(f"/v1/invoices/{invoice_id}/payments", json={"amount": amount, "paid_on": paid_on},
                           headers=auth(token))
    assert response.status_code == 201, response.text


def spend(client: TestClient, token: str, aid: str, amount: str, booked_on: str) -> None:
    response = client.post(f"/v1/agreements/{aid}/spending", headers=auth(token), json={
        "amount": amount, "booked_on": booked_on, "category": "licences", "description": "Licences"})
    assert response.status_code == 201, response.text


def small_network(client: TestClient, tokens: dict[str, str], spent: str) -> tuple[str, dict[str, str]]:
    """SMALL invoiced on 2025-01-15 and paid in full (1,000.00), then ``spent`` on licences."""
    created = client.post("/v1/agreements", json=SMALL, headers=auth(tokens["coordinator"]))
    aid = created.json()["id"]
    for body in (A, B, C):
        assert client.post(f"/v1/agreements/{aid}/parties", json=body, headers=auth(tokens["coordinator"])).status_code == 201
    run(client, tokens["scheduler"], aid, "2025-01-15")
    for invoice in invoices(client, tokens["finance"], aid):
        pay(client, tokens["finance"], invoice["id"], invoice["amount"], "2025-02-01")
    spend(client, tokens["coordinator"], aid, spent, "2025-06-30")
    return aid, party_ids(client, tokens["auditor"], aid)


def contribute(client: TestClient, token: str, aid: str, amount: str, booked_on: str) -> dict[str, Any]:
    """Finance books the coordinator's own contribution to its share, which it never invoices."""
    response = client.post(f"/v1/agreements/{aid}/own-contributions", headers=auth(token), json={
        "amount": amount, "booked_on": booked_on, "description": "Own share"})
    assert response.status_code == 201, response.text
    return response.json()


def test_lyhty_balances_and_funding_match_the_hand_computed_figures(client: TestClient,
                                                                    tokens: dict[str, str]) -> None:
    """After the 2025-09-01 run, Valtori books half its share as its own contribution (R-ACC-4: never
    invoiced), Kela pays half its invoice and Helsinki's university nothing."""
    aid = create_lyhty(client, tokens["coordinator"], *COHORT)
    run(client, tokens["scheduler"], aid, "2025-09-01")
    ids = party_ids(client, tokens["finance"], aid)
    bills = {i["party_id"]: i for i in invoices(client, tokens["finance"], aid)}
    assert ids["2574261-7"] not in bills
    contribute(client, tokens["finance"], aid, "200000.00", "2025-09-10")
    pay(client, tokens["finance"], bills[ids["0246246-0"]]["id"], "6250.00", "2025-09-20")
    spend(client, tokens["coordinator"], aid, "50000.00", "2025-09-30")

    balances = get(client, tokens["finance"], f"/v1/agreements/{aid}/balances", as_of="2025-09-30")
    rows = {row["party_id"]: row for row in balances["parties"]}
    valtori, kela, university = rows[ids["2574261-7"]], rows[ids["0246246-0"]], rows[ids["0313471-7"]]
    assert (valtori["cost_share"], valtori["invoiced"], valtori["paid"], valtori["contributed"], valtori["outstanding"],
            valtori["overdue"]) == ("400000.00", "0.00", "200000.00", "200000.00", "0.00", "0.00")
    assert (kela["invoiced"], kela["paid"], kela["outstanding"], kela["overdue"]) == (
        "12500.00", "6250.00", "6250.00", "6250.00")  # due 2025-09-22
    assert (university["invoiced"], university["outstanding"], university["overdue"]) == (
        "5000.00", "5000.00", "5000.00")
    total_invoiced = Decimal("150000.00") + 12500 + 10000 + 5000
    assert balances["totals"]["invoiced"] == f"{total_invoiced:.2f}"
    assert balances["totals"]["paid"] == "206250.00"
    assert balances["totals"]["outstanding"] == f"{total_invoiced - Decimal('6250.00'):.2f}"
    assert balances["totals"]["contributed"] == "200000.00"
    assert balances["totals"]["cost_share"] == "755000.00"

    funding = get(client, tokens["coordinator"], f"/v1/agreements/{aid}/funding", as_of="2025-09-30")
    assert (funding["original_funding"], funding["committed"], funding["received"], funding["spent"],
            funding["remaining"]) == ("755000.00", "755000.00", "206250.00", "50000.00", "156250.00")
    assert funding["remaining_pct"] == "20.70"  # 156,250 of 755,000
    # R-FUND-1, R-FUND-3: 20.70 % is left, above the threshold, but in force money left extends the work.
    assert (funding["refund_possible"], funding["refund_reason"], funding["refund_threshold_pp"]) == (
        False, "agreement_not_dissolved", 20)

    before = get(client, tokens["finance"], f"/v1/agreements/{aid}/balances", as_of="2025-09-15")
    assert {r["party_id"]: r["paid"] for r in before["parties"]}[ids["0246246-0"]] == "0.00"
    assert before["totals"]["paid"] == "200000.00"


def test_balances_a_page_of_parties_at_a_time_keep_every_partys_totals(client: TestClient,
                                                                        tokens: dict[str, str]) -> None:
    """Lyhty's balances two parties a page: the pages in accession order make the whole list, each with the
    totals of all parties and a Link to the next while full; a party's token pages through its own row;
    a file is never paged (422 ``file_not_paged``) and a bad limit or cursor changes nothing."""
    aid = create_lyhty(client, tokens["coordinator"], *COHORT)
    run(client, tokens["scheduler"], aid, "2025-09-01")
    bills = invoices(client, tokens["finance"], aid)
    pay(client, tokens["finance"], bills[0]["id"], "6250.00", "2025-09-20")
    url = f"/v1/agreements/{aid}/balances"
    whole = get(client, tokens["finance"], url, as_of="2025-09-30")
    assert len(whole["parties"]) == 5 and Decimal(whole["totals"]["overdue"]) > 0
    rows, params, pages = [], {"as_of": "2025-09-30", "limit": 2}, 0
    while True:
        response = client.get(url, params=params, headers=auth(tokens["finance"]))
        assert response.status_code == 200, response.text
        page, pages = response.json(), pages + 1
        assert page["totals"] == whole["totals"] and page["as_of"] == "2025-09-30"
        rows += page["parties"]
        if "next" not in response.links:
            break
        assert len(page["parties"]) == 2
        next_url = response.links["next"]["url"]
        assert f"after={page['parties'][-1]['party_id']}" in next_url and "as_of=2025-09-30" in next_url
        params = {"as_of": "2025-09-30", "limit": 2, "after": page["parties"][-1]["party_id"]}
    assert rows == whole["parties"] and pages == 3  # 2 + 2 + 1: the last page is not full, no Link
    kela = [row for row in whole["parties"] if row["party_id"] == party_ids(client, tokens["finance"], aid)["0246246-0"]]
    own = get(client, tokens["party"], url, as_of="2025-09-30", limit=1)  # Kela's token: its own row
    assert own["parties"] == kela and own["totals"]["invoiced"] == kela[0]["invoiced"]
    for params, code in (({"limit": 2, "format": "csv"}, "file_not_paged"),
                         ({"after": whole["parties"][0]["party_id"], "format": "xlsx"}, "file_not_paged"),
                         ({"limit": 0}, None), ({"limit": 501}, None)):
        response = client.get(url, params=params, headers=auth(tokens["finance"]))
        assert response.status_code == 422, (params, response.text)
        if code is not None:
            assert response.json()["code"] == code
    funded = get(client, tokens["coordinator"], f"/v1/agreements/{aid}/funding", as_of="2025-09-30")
    response = client.get(f"/v1/agreements/{aid}/funding", params={"as_of": "2025-09-30", "limit": 2},
                          headers=auth(tokens["coordinator"]))
    first = response.json()
    assert first.pop("parties") == funded.pop("parties")[:2] and first == funded
    assert "limit=2" in response.links["next"]["url"]
    # a cursor that is no id is no item, as on every list
    assert client.get(url, params={"after": "not-an-id"}, headers=auth(tokens["finance"])).status_code == 404


def test_known_at_leaves_out_a_back_dated_payment_recorded_later(client: TestClient,
                                                                tokens: dict[str, str]) -> None:
    """The answer as the ledger knew it: a payment dated 2025-09-10 but recorded now is not in it."""
    aid = create_lyhty(client, tokens["coordinator"], *COHORT)
    run(client, tokens["scheduler"], aid, "2025-09-01")
    kela = {i["party_id"]: i for i in invoices(client, tokens["finance"], aid)}[
        party_ids(client, tokens["finance"], aid)["0246246-0"]]
    get(client, tokens["finance"], f"/v1/agreements/{aid}/balances")  # the journal has caught up
    time.sleep(0.01)
    known_at = datetime.now(timezone.utc).isoformat()
    time.sleep(0.01)
    pay(client, tokens["finance"], kela["id"], "12500.00", "2025-09-10")
    now = get(client, tokens["finance"], f"/v1/agreements/{aid}/balances", as_of="2025-12-31")
    then = get(client, tokens["finance"], f"/v1/agreements/{aid}/balances", as_of="2025-12-31", known_at=known_at)
    assert (now["totals"]["paid"], then["totals"]["paid"]) == ("12500.00", "0.00")
    naive = client.get(f"/v1/agreements/{aid}/balances", params={"known_at": "2025-12-31T12:00:00"},
                       headers=auth(tokens["finance"]))
    assert naive.status_code == 422 and naive.json()["code"] == "invalid_known_at"


def test_digione_party_with_1_58_m_committed_and_1_457_242_paid_owes_122_758(client: TestClient,
                                                                           tokens: dict[str, str]) -> None:
    """Seed 002, R-FUND-5: Vantaa's accession fee 1,272,000.00 (25,440 pupils at 50.00) and its 308,000.00 in
    the 2022 amendment, binding once signed (here Vantaa is the only party, so its signature binds it):
    commitments 1,580,000.00, paid 1,457,242.00 (its own contributions, R-ACC-4), unpaid 122,758.00."""
    body = {"code": "DIGI", "title": "DigiOne", "starts_on": "2020-11-01", "ends_on": "2027-12-31",
            "coordinator": {"name": "Vantaan kaupunki", "business_id": "0124610-9", "is_party": True,
                            "metric": 25440},
            "cost_sharing": {"model": "proportional", "metric": "pupils", "rate": "50.00"},
            "instalments": [{"issue_on": "2021-01-15", "share": "1/3"}, {"issue_on": "2022-01-14", "share": "1/3"},
                            {"issue_on": "2023-01-13", "share": "1/3"}]}
    aid = client.post("/v1/agreements", json=body, headers=auth(tokens["coordinator"])).json()["id"]
    vantaa_id = client.get(f"/v1/agreements/{aid}/parties", headers=auth(tokens["finance"])).json()[0]["party_id"]
    amendment = client.post(f"/v1/agreements/{aid}/amendments", headers=auth(tokens["coordinator"]), json={
        "dated_on": "2022-12-01", "parties": [{"party_id": vantaa_id, "amount": "308000.00"}],
        "instalments": [{"issue_on": "2023-01-13", "share": "1"}]})
    assert (amendment.status_code, amendment.json()["status"]) == (201, "pending"), amendment.text
    signed = client.post(f"/v1/agreements/{aid}/amendments/1/signatures", headers=auth(tokens["coordinator"]),
                         json={"party_id": vantaa_id, "signed_on": "2022-12-19",
                               "decision_reference": "Vantaan kaupunginhallitus 19.12.2022"})
    assert (signed.status_code, signed.json()["status"]) == (201, "binding"), signed.text
    run(client, tokens["scheduler"], aid, "2023-01-13")
    assert invoices(client, tokens["finance"], aid) == []  # R-ACC-4: Vantaa, the host, never invoices itself
    for amount, booked_on in (("526666.67", "2021-02-01"), ("526666.67", "2022-02-01"), ("403908.66", "2023-02-01")):
        contribute(client, tokens["finance"], aid, amount, booked_on)
    vantaa = get(client, tokens["finance"], f"/v1/agreements/{aid}/balances", as_of="2023-12-31")["parties"][0]
    assert (vantaa["cost_share"], vantaa["committed"], vantaa["paid"], vantaa["contributed"], vantaa["invoiced"],
            vantaa["unpaid"], vantaa["overdue"]) == (
        "1272000.00", "1580000.00", "1457242.00", "1457242.00", "0.00", "122758.00", "0.00")
    before = get(client, tokens["finance"], f"/v1/agreements/{aid}/balances", as_of="2022-12-18")["parties"][0]
    assert (before["committed"], before["unpaid"]) == ("1272000.00", "218666.66")  # not yet signed
    funding = get(client, tokens["finance"], f"/v1/agreements/{aid}/funding", as_of="2023-12-31")
    assert (funding["received"], funding["committed"], funding["paid"], funding["unpaid"]) == (
        "1457242.00", "1580000.00", "1457242.00", "122758.00")
    too_much = client.post(f"/v1/agreements/{aid}/own-contributions", headers=auth(tokens["finance"]), json={
        "amount": "122758.01", "booked_on": "2023-03-01", "description": "More than committed"})
    assert (too_much.status_code, too_much.json()["code"]) == (409, "contribution_exceeds_commitment")


def dissolve(client: TestClient, tokens: dict[str, str], aid: str, ids: dict[str, str], on: str) -> str:
    """Pohjois-Pohjanmaa and Kela (900 of the 1,000 weight) dissolve SMALL; returns the decision id (R-FUND-2)."""
    decision = decide(client, tokens["coordinator"], aid, decision_body(
        on, "dissolution", {ids[A["business_id"]]: "for", ids["0246246-0"]: "for"}))
    assert decision.status_code == 201 and decision.json()["passed"], decision.text
    return str(decision.json()["decision_id"])


def test_refund_preview_splits_25_percent_by_payments_to_the_cent(client: TestClient,
                                                                  tokens: dict[str, str]) -> None:
    """R-FUND-2: dissolved, 250.01 of 1,000.00 left (25 %) goes back 6 : 3 : 1, summing exactly."""
    aid, ids = small_network(client, tokens, spent="749.99")
    dissolve(client, tokens, aid, ids, "2025-12-01")
    preview = get(client, tokens["coordinator"], f"/v1/agreements/{aid}/refunds/preview", as_of="2025-12-31")
    assert (preview["remaining"], preview["remaining_pct"], preview["refund_possible"]) == ("250.01", "25.00", True)
    refunds = {row["party_id"]: (row["paid"], row["refund"]) for row in preview["parties"]}
    assert refunds == {ids[A["business_id"]]: ("600.00", "150.01"), ids["0246246-0"]: ("300.00", "75.00"),
                       ids["0201256-6"]: ("100.00", "25.00")}


def test_no_refund_at_exactly_20_percent(client: TestClient, tokens: dict[str, str]) -> None:
    """R-FUND-2: dissolved with exactly 20 percentage points of the funding left, nothing is refunded."""
    aid, ids = small_network(client, tokens, spent="800.00")
    dissolve(client, tokens, aid, ids, "2025-12-01")
    preview = get(client, tokens["coordinator"], f"/v1/agreements/{aid}/refunds/preview", as_of="2025-12-31")
    assert (preview["remaining"], preview["refund_possible"], preview["reason"]) == (
        "200.00", False, "at_or_below_threshold")
    assert {row["refund"] for row in preview["parties"]} == {"0.00"}
    funding = get(client, tokens["auditor"], f"/v1/agreements/{aid}/funding", as_of="2025-12-31")
    assert (funding["remaining_pct"], funding["refund_possible"], funding["refund_reason"]) == (
        "20.00", False, "at_or_below_threshold")


def test_refunds_need_the_dissolution_and_a_passed_decision_and_a_party_that_left_by_notice_shares(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-FUND-2, R-FUND-3: Helsinki withdrew by notice and, having paid, shares; nothing is refunded while
    SMALL is in force (agreement_not_dissolved) or without a passed decision (refund_not_allowed); once
    dissolved, 250.01 goes back 6 : 3 : 1 on the decision, once."""
    aid, ids = small_network(client, tokens, spent="749.99")
    helsinki = ids["0201256-6"]
    notice = client.post(f"/v1/agreements/{aid}/parties/{helsinki}/notice", headers=auth(tokens["coordinator"]),
                         json={"given_on": "2025-07-01", "ground": "organisation_changed"})
    assert notice.status_code == 200, notice.text
    in_force = get(client, tokens["coordinator"], f"/v1/agreements/{aid}/refunds/preview", as_of="2025-12-31")
    assert (in_force["refund_possible"], in_force["reason"]) == (False, "agreement_not_dissolved")
    refused = client.post(f"/v1/agreements/{aid}/refunds", headers=auth(tokens["coordinator"]),
                          json={"decision_id": "6f1c1c0e-9f4e-5a51-9a55-1f0d3c3c2e10", "as_of": "2025-12-31"})
    assert refused.status_code == 409 and refused.json()["code"] == "agreement_not_dissolved"

    dissolve(client, tokens, aid, ids, "2025-12-01")
    preview = get(client, tokens["coordinator"], f"/v1/agreements/{aid}/refunds/preview", as_of="2025-12-31")
    refunds = {ids[A["business_id"]]: "150.01", ids["0246246-0"]: "75.00", helsinki: "25.00"}
    assert {row["party_id"]: row["refund"] for row in preview["parties"]} == refunds
    refused = client.post(f"/v1/agreements/{aid}/refunds", headers=auth(tokens["coordinator"]),
                          json={"decision_id": "6f1c1c0e-9f4e-5a51-9a55-1f0d3c3c2e10", "as_of": "2025-12-31"})
    assert refused.status_code == 409 and refused.json()["code"] == "refund_not_allowed"
    before = events(client)
    decision = decide(client, tokens["coordinator"], aid, decision_body(
        "2025-12-15", "refund", {ids[A["business_id"]]: "for", ids["0246246-0"]: "for"}))
    assert decision.json()["passed"], decision.text
    body = {"decision_id": decision.json()["decision_id"], "as_of": "2025-12-31"}
    paid = client.post(f"/v1/agreements/{aid}/refunds", json=body, headers=auth(tokens["coordinator"]))
    assert paid.status_code == 201, paid.text
    assert {r["party_id"]: r["amount"] for r in paid.json()["refunds"]} == refunds
    again = client.post(f"/v1/agreements/{aid}/refunds", json=body, headers=auth(tokens["coordinator"]))
    assert again.status_code == 409 and again.json()["code"] == "refunds_already_issued"
    assert events(client) == before + 3  # the decision, its minute in the agreement, and the refunds
    after = get(client, tokens["finance"], f"/v1/agreements/{aid}/balances", as_of="2025-12-31")
    assert {r["party_id"]: r["refunded"] for r in after["parties"]} == refunds
    funding = get(client, tokens["finance"], f"/v1/agreements/{aid}/funding", as_of="2025-12-31")
    assert (funding["refunded"], funding["remaining"]) == ("250.01", "0.00")


def test_quarterly_report_and_annual_account_add_up(client: TestClient, tokens: dict[str, str]) -> None:
    """R-REP-1: money in and out per quarter; the year is the sum of its quarters; also as CSV."""
    aid, _ = small_network(client, tokens, spent="749.99")
    q1 = get(client, tokens["coordinator"], f"/v1/agreements/{aid}/reports/quarterly", year=2025, quarter=1)
    assert (q1["opening_balance"], q1["invoiced"], q1["money_in"], q1["money_out"], q1["closing_balance"]) == (
        "0.00", "1000.00", "1000.00", "0.00", "1000.00")
    q2 = get(client, tokens["coordinator"], f"/v1/agreements/{aid}/reports/quarterly", year=2025, quarter=2)
    assert (q2["opening_balance"], q2["spent"], q2["money_out"], q2["closing_balance"]) == (
        "1000.00", "749.99", "749.99", "250.01")
    annual = get(client, tokens["auditor"], f"/v1/agreements/{aid}/reports/annual", year=2025)
    assert [q["closing_balance"] for q in annual["quarters"]] == ["1000.00", "250.01", "250.01", "250.01"]
    assert (annual["year_total"]["money_in"], annual["year_total"]["money_out"]) == ("1000.00", "749.99")
    assert annual["funding"]["remaining"] == "250.01"
    csv = client.get(f"/v1/agreements/{aid}/reports/annual", params={"year": 2025, "format": "csv"},
                     headers=auth(tokens["auditor"]))
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert len(lines) == 6 and lines[0].startswith("quarter,from,to,opening_balance") and lines[-1].startswith("2025,")


REPORTS = (("reports/quarterly", {"year": 2025, "quarter": 2}), ("reports/annual", {"year": 2025}))


def test_a_party_reads_the_quarterly_report_and_annual_account_of_its_agreement(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-REP-1: money use is reported to the parties every quarter and the annual project account goes to
    the network, so Kela's token reads both, as JSON and CSV, with the figures the staff see (they hold no
    party's own figure, so R-CONF-1 does not apply); the scheduler still gets 403."""
    aid, _ = small_network(client, tokens, spent="749.99")
    for url, params in REPORTS:
        staff = get(client, tokens["coordinator"], f"/v1/agreements/{aid}/{url}", **params)
        assert get(client, tokens["party"], f"/v1/agreements/{aid}/{url}", **params) == staff
        as_csv = {name: client.get(f"/v1/agreements/{aid}/{url}", params={**params, "format": "csv"},
                                   headers=auth(tokens[name])) for name in ("party", "auditor")}
        assert as_csv["party"].status_code == 200 and as_csv["party"].headers["content-type"].startswith("text/csv")
        assert as_csv["party"].text == as_csv["auditor"].text
        scheduler = client.get(f"/v1/agreements/{aid}/{url}", params=params, headers=auth(tokens["scheduler"]))
        assert (scheduler.status_code, scheduler.json()["code"]) == (403, "forbidden")
    q2 = get(client, tokens["party"], f"/v1/agreements/{aid}/reports/quarterly", year=2025, quarter=2)
    assert (q2["from"], q2["to"], q2["spent"], q2["money_out"]) == ("2025-04-01", "2025-06-30", "749.99", "749.99")
    annual = get(client, tokens["party"], f"/v1/agreements/{aid}/reports/annual", year=2025)
    assert (annual["year_total"]["spent"], len(annual["quarters"])) == ("749.99", 4)
    assert annual["year_total"]["closing_balance"] == annual["funding"]["remaining"]


def test_a_party_token_of_another_organisation_finds_no_reports(client: TestClient, tokens: dict[str, str]) -> None:
    """R-REP-1, api.md Roles: a party's token sees the reports only of agreements it belongs to; for any
    other agreement they are 404, as every object it may not see, in JSON and in CSV."""
    aid, _ = small_network(client, tokens, spent="1.00")
    outsider = client.app.state.ledger.issue_token(role="party", business_id="0245896-3", label="Turun yliopisto",
                                                   issued_on=date(2025, 8, 1))[1]
    for url, params in REPORTS:
        for fmt in ("json", "csv"):
            response = client.get(f"/v1/agreements/{aid}/{url}", params={**params, "format": fmt},
                                  headers=auth(outsider))
            assert (response.status_code, response.json()["code"]) == (404, "not_found"), (url, fmt)
            assert aid in response.json()["detail"]


def test_figures_roles_and_bad_input(client: TestClient, tokens: dict[str, str]) -> None:
    """A party reads only its own balance; funding and refunds are for the staff roles (the reports are
    the parties' too, R-REP-1: see the next test)."""
    aid, ids = small_network(client, tokens, spent="1.00")
    own = get(client, tokens["party"], f"/v1/agreements/{aid}/balances")
    assert [row["party_id"] for row in own["parties"]] == [ids["0246246-0"]]
    assert own["totals"]["paid"] == "300.00"
    for url in ("funding", "refunds/preview"):
        assert client.get(f"/v1/agreements/{aid}/{url}", headers=auth(tokens["party"])).status_code == 403
    assert client.get(f"/v1/agreements/{aid}/funding", headers=auth(tokens["scheduler"])).status_code == 403
    assert client.get(f"/v1/agreements/{aid}/reports/quarterly", params={"year": 2025, "quarter": 5},
                      headers=auth(tokens["finance"])).status_code == 422
    assert client.get(f"/v1/agreements/{aid}/balances", params={"as_of": "2025-02-30"},
                      headers=auth(tokens["finance"])).status_code == 422


def test_final_account_closes_the_network_and_asks_for_a_decision_on_unused_funds(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-FUND-4: at the end the account is final, shows the unused funds and needs the steering group's
    decision on their use; before the end it is provisional."""
    aid, ids = small_network(client, tokens, spent="749.99")
    url = f"/v1/agreements/{aid}/final-account"
    before = get(client, tokens["coordinator"], url, as_of="2026-06-30")
    assert (before["status"], before["ended_on"], before["decision_required"]) == (
        "provisional", "2026-12-31", False)
    final = get(client, tokens["auditor"], url, as_of="2027-01-31")
    assert (final["status"], final["unused_funds"], final["decision_required"]) == ("final", "250.01", True)
    assert final["unused_funds_decision"] is None
    assert (final["funding"]["received"], final["funding"]["spent"]) == ("1000.00", "749.99")
    assert {row["party_id"]: row["paid"] for row in final["parties"]} == {
        ids[A["business_id"]]: "600.00", ids["0246246-0"]: "300.00", ids["0201256-6"]: "100.00"}
    assert (final["totals"]["invoiced"], final["totals"]["outstanding"]) == ("1000.00", "0.00")

    decision = decide(client, tokens["coordinator"], aid, decision_body(
        "2027-01-20", "unused_funds", dict.fromkeys(ids.values(), "for"),
        subject={"use": "carried to the successor network"}))
    assert decision.json()["passed"], decision.text
    decided = get(client, tokens["finance"], url, as_of="2027-01-31")
    assert decided["decision_required"] is False
    assert decided["unused_funds_decision"]["decision_id"] == decision.json()["decision_id"]
    assert decided["unused_funds_decision"]["subject"] == {"use": "carried to the successor network"}
    # As of a day before the decision, it is not yet known.
    assert get(client, tokens["finance"], url, as_of="2027-01-19")["unused_funds_decision"] is None

    csv = client.get(url, params={"as_of": "2027-01-31", "format": "csv"}, headers=auth(tokens["auditor"]))
    lines = csv.text.strip().splitlines()
    assert csv.headers["content-type"].startswith("text/csv")
    assert lines[0].startswith("party_id,name,status,cost_share,invoiced,paid")
    assert len(lines) == 5 and lines[-1].startswith(",total,final,1000.00,1000.00,1000.00")
    assert client.get(url, headers=auth(tokens["party"])).status_code == 403


def test_final_account_of_a_dissolved_network_is_final_from_the_dissolution(client: TestClient,
                                                                            tokens: dict[str, str]) -> None:
    """R-FUND-4 with R-FUND-2: a network dissolved early ends on the day of the decision."""
    aid, ids = small_network(client, tokens, spent="100.00")
    decision = decide(client, tokens["coordinator"], aid, decision_body(
        "2025-09-30", "dissolution", dict.fromkeys(ids.values(), "for")))
    assert decision.json()["passed"], decision.text
    account = get(client, tokens["coordinator"], f"/v1/agreements/{aid}/final-account", as_of="2025-10-01")
    assert (account["status"], account["ended_on"], account["unused_funds"]) == ("final", "2025-09-30", "900.00")
    assert account["decision_required"] is True
