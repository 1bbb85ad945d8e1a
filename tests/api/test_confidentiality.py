"""R-CONF-1 through the API, on SQLite and PostgreSQL: a party's token sees only its own figures, and a
summary across parties is given to a party only when no other organisation's figure can be taken out
of it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import KELA, auth, create_lyhty
from tests.api.membership_helpers import decide, decision_body
from tests.api.personal_data_helpers import add_contact
from tests.api.test_figures_api import SMALL, get, pay, small_network
from tests.api.test_invoicing_api import invoices, run

OWN, OTHERS = "0246246-0", ("3221326-2", "0201256-6")  # Kela's token; Pohjois-Pohjanmaa and Helsinki


def _party_sweep(client: TestClient, tokens: dict[str, str], aid: str, ids: dict[str, str]
                 ) -> tuple[list[str], list[str], list[str]]:
    """(routes a party reads, routes that are 403 for it, routes that are 404 for it) in SMALL."""
    base = f"/v1/agreements/{aid}"
    staff_invoices = invoices(client, tokens["finance"], aid)
    own_invoice = next(i["id"] for i in staff_invoices if i["party_id"] == ids[OWN])
    other_invoice = next(i["id"] for i in staff_invoices if i["party_id"] != ids[OWN])
    valtori, helsinki = (ids[bid] for bid in OTHERS)
    decision = decide(client, tokens["coordinator"], aid, decision_body(
        "2025-03-01", "other", {valtori: "for", ids[OWN]: "against", helsinki: "for"})).json()["decision_id"]
    add_contact(client, tokens["coordinator"], aid, valtori)
    readable = [f"{base}/balances", f"{base}/balances?as_of=2025-12-31&known_at=2026-11-01T00:00:00%2B02:00",
                f"{base}/invoices", f"{base}/invoices?party_id={valtori}", f"/v1/invoices/{own_invoice}",
                f"{base}/parties", f"{base}/parties/{ids[OWN]}", f"{base}/parties/{ids[OWN]}/contacts",
                f"{base}/reports/summary?year=2025",  # and the project account, holding no party's figure (R-REP-1)
                f"{base}/reports/quarterly?year=2025&quarter=1", f"{base}/reports/quarterly?year=2025&quarter=1"
                "&format=csv", f"{base}/reports/annual?year=2025", f"{base}/reports/annual?year=2025&format=csv"]
    forbidden = [f"{base}/funding", f"{base}/refunds/preview",
                 f"{base}/final-account", f"{base}/final-account?format=csv",
                 f"{base}/decisions", f"{base}/decisions/{decision}", f"{base}/spending?quarter=2025-Q2",
                 f"{base}/unmatched-payments", f"{base}/amendments",
                 f"{base}/parties/{valtori}/exit-settlement?checkpoint=2025-06-30&accrued_costs=0.00"
                 "&wind_down_costs=0.00", "/v1/audit/events", "/v1/audit/verify",
                 "/v1/audit/replay?as_of=2025-12-31"]
    hidden = [f"/v1/invoices/{other_invoice}", f"{base}/parties/{valtori}", f"{base}/parties/{helsinki}",
              f"{base}/parties/{valtori}/contacts", f"{base}/parties/{helsinki}/contacts"]
    return readable, forbidden, hidden


def test_a_party_token_reaches_nothing_of_another_party(client: TestClient, tokens: dict[str, str]) -> None:
    """R-CONF-1, R-REP-1, api.md Roles: every route a party's token can call answers with its own figures
    or the agreement's totals only (the quarterly report and the annual account included); the routes
    that show every party's figures (funding, refunds, final account, decisions, spending, audit…) are
    403, and another party's objects are 404."""
    aid, ids = small_network(client, tokens, spent="100.00")
    readable, forbidden, hidden = _party_sweep(client, tokens, aid, ids)
    party = auth(tokens["party"])
    others = [ids[bid] for bid in OTHERS] + ["Pohjois-Pohjanmaan hyvinvointialue", "Helsingin kaupunki"]
    for url in readable:
        response = client.get(url, headers=party)
        assert response.status_code == 200, (url, response.text)
        assert not [other for other in others if other in response.text], url
    for url in forbidden:
        response = client.get(url, headers=party)
        assert (response.status_code, response.json()["code"]) == (403, "forbidden"), url
    for url in hidden:
        response = client.get(url, headers=party)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), url
    own = get(client, tokens["party"], f"/v1/agreements/{aid}/balances")
    assert [row["party_id"] for row in own["parties"]] == [ids[OWN]]
    assert {k: v for k, v in own["totals"].items() if k != "cost_share"} == {
        k: v for k, v in own["parties"][0].items() if k in own["totals"] and k != "cost_share"}
    own_invoices = get_list(client, tokens["party"], f"/v1/agreements/{aid}/invoices")
    assert {invoice["party_id"] for invoice in own_invoices} == {ids[OWN]}
    assert get_list(client, tokens["party"], f"/v1/agreements/{aid}/invoices", party_id=ids[OTHERS[0]]) == []


def get_list(client: TestClient, token: str, url: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get(url, params=params, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def test_the_summary_gives_totals_only_and_agrees_with_the_annual_account(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-CONF-1, R-REP-1: SMALL (600, 300 and 100 paid, 100 spent) is summarised for its parties too."""
    aid, _ = small_network(client, tokens, spent="100.00")
    summary = get(client, tokens["party"], f"/v1/agreements/{aid}/reports/summary", year=2025)
    assert summary == {"agreement_id": aid, "year": 2025, "from": "2025-01-01", "to": "2025-12-31",
                       "parties": 3, "invoiced": "1000.00", "credited": "0.00", "received": "1000.00",
                       "unallocated": "0.00", "spent": "100.00", "refunded": "0.00", "remaining": "900.00",
                       "confidential_until": "2031-12-31"}
    annual = get(client, tokens["auditor"], f"/v1/agreements/{aid}/reports/annual", year=2025)
    assert (summary["received"], summary["spent"], summary["remaining"]) == (
        annual["year_total"]["money_in"], annual["year_total"]["spent"], annual["funding"]["remaining"])
    assert get(client, tokens["finance"], f"/v1/agreements/{aid}/reports/summary", year=2025) == summary
    assert client.get(f"/v1/agreements/{aid}/reports/summary", params={"year": 2025},
                      headers=auth(tokens["scheduler"])).status_code == 403
    assert client.get(f"/v1/agreements/{aid}/reports/summary", params={"year": 1999},
                      headers=auth(tokens["auditor"])).status_code == 422


def refused_to_party(client: TestClient, tokens: dict[str, str], aid: str, year: int = 2025) -> str:
    response = client.get(f"/v1/agreements/{aid}/reports/summary", params={"year": year},
                          headers=auth(tokens["party"]))
    assert response.status_code == 403 and response.json()["code"] == "summary_would_disclose", response.text
    assert client.get(f"/v1/agreements/{aid}/reports/summary", params={"year": year},
                      headers=auth(tokens["auditor"])).status_code == 200  # staff read every figure anyway
    return str(response.json()["detail"])


def test_with_two_parties_the_summary_and_the_funding_totals_are_refused_to_a_party(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-CONF-1: with two parties, the total less the reader's own figure is the other's."""
    aid = create_lyhty(client, tokens["coordinator"], KELA)
    assert "2 parties" in refused_to_party(client, tokens, aid)
    seen = get(client, tokens["party"], f"/v1/agreements/{aid}")
    assert (seen["original_funding"], seen["committed_funding"]) == (None, None)
    assert (seen["ceiling"], seen["released"], seen["unreleased"]) == (None, None, None)  # R-FUND-5's totals too
    listed = get_list(client, tokens["party"], "/v1/agreements")
    assert [(a["id"], a["original_funding"]) for a in listed] == [(aid, None)]
    assert get(client, tokens["auditor"], f"/v1/agreements/{aid}")["original_funding"] == "425000.00"


def test_with_three_parties_a_party_sees_the_funding_totals(client: TestClient,
                                                            tokens: dict[str, str]) -> None:
    aid, _ = small_network(client, tokens, spent="1.00")
    assert get(client, tokens["party"], f"/v1/agreements/{aid}")["original_funding"] == "1000.00"


@pytest.mark.parametrize("categories, paid_by, reason", [
    ({"a": "950.00", "b": "30.00", "c": "20.00"}, "all", "dominated by one party"),
    ({"a": "600.00", "b": "300.00", "c": "100.00"}, "Pohjois-Pohjanmaa", "received is made of 1 parties"),
])
def test_a_figure_of_one_or_two_parties_or_dominated_by_one_is_refused_to_a_party(
        client: TestClient, tokens: dict[str, str], categories: dict[str, str], paid_by: str,
        reason: str) -> None:
    """R-CONF-1: three parties are not enough when a figure is one party's amount, or nearly."""
    body = {**SMALL, "cost_sharing": {"model": "fixed_by_category", "categories": categories}}
    aid = client.post("/v1/agreements", json=body, headers=auth(tokens["coordinator"])).json()["id"]
    for bid, category in (("3221326-2", "a"), (KELA["business_id"], "b"), ("0201256-6", "c")):
        party = {"name": f"Party {category}", "business_id": bid, "signed_on": "2025-01-01",
                 "category": category}
        assert client.post(f"/v1/agreements/{aid}/parties", json=party,
                           headers=auth(tokens["coordinator"])).status_code == 201
    run(client, tokens["scheduler"], aid, "2025-01-15")
    for invoice in invoices(client, tokens["finance"], aid):
        if paid_by == "all" or invoice["amount"] == categories["a"]:
            pay(client, tokens["finance"], invoice["id"], invoice["amount"], "2025-02-01")
    assert reason in refused_to_party(client, tokens, aid)


def test_a_single_credit_note_is_one_party_figure_and_refuses_the_year(client: TestClient,
                                                                      tokens: dict[str, str]) -> None:
    aid, ids = small_network(client, tokens, spent="1.00")
    assert client.get(f"/v1/agreements/{aid}/reports/summary", params={"year": 2025},
                      headers=auth(tokens["party"])).status_code == 200
    helsinki = next(i for i in invoices(client, tokens["finance"], aid) if i["party_id"] == ids[OTHERS[1]])
    credited = client.post(f"/v1/invoices/{helsinki['id']}/credit-notes", headers=auth(tokens["finance"]),
                           json={"amount": "10.00", "issued_on": "2025-03-01", "reason": "Discount"})
    assert credited.status_code == 201, credited.text
    assert "credited is made of 1 parties" in refused_to_party(client, tokens, aid)
    assert client.get(f"/v1/agreements/{aid}/reports/summary", params={"year": 2026},
                      headers=auth(tokens["party"])).status_code == 200  # no credit note in 2026


def test_once_the_confidentiality_period_is_over_the_summary_is_published_to_parties(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-CONF-1: figures are confidential for `confidentiality_years` after the end, not for ever."""
    body = {**SMALL, "code": "PAST", "starts_on": "2019-01-01", "ends_on": "2020-12-31",
            "instalments": [{"issue_on": "2019-01-15", "share": "1"}],
            "terms": {**SMALL["terms"], "confidentiality_years": 1}}
    aid = client.post("/v1/agreements", json=body, headers=auth(tokens["coordinator"])).json()["id"]
    kela = {"name": "Kela", "business_id": KELA["business_id"], "signed_on": "2019-01-01", "category": "b"}
    acceded = client.post(f"/v1/agreements/{aid}/parties", json=kela, headers=auth(tokens["coordinator"]))
    assert acceded.status_code == 201
    summary = get(client, tokens["party"], f"/v1/agreements/{aid}/reports/summary", year=2019)
    assert (summary["parties"], summary["confidential_until"]) == (1, "2021-12-31")
    assert get(client, tokens["party"], f"/v1/agreements/{aid}")["original_funding"] == "300.00"
