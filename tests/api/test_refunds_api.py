"""Refunds only when the cooperation lapses (R-FUND-1 … R-FUND-3), through the API on SQLite and PostgreSQL.

Seed 000 §17: the funding left after the wind-down of a dissolved cooperation is refunded in
proportion to what each party paid; an expelled party gets nothing; a party that left by notice kept
paying its share for the term (R-TERM-3) and shares by what it paid, unless the agreement's terms say
otherwise (``refund_to_withdrawn_parties``).
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.helpers import auth
from tests.api.membership_helpers import decide, decision_body, events, party_ids, post
from tests.api.test_figures_api import get, pay, spend
from tests.api.test_invoicing_api import invoices, run

A, B, C, D = "0246246-0", "0201256-6", "0313471-7", "3221318-2"
FOUR = {
    "code": "FOUR", "title": "Four parties, 100,000.00", "starts_on": "2025-01-01", "ends_on": "2027-12-31",
    "coordinator": {"name": "Valtori", "business_id": "2574261-7"},
    "cost_sharing": {"model": "fixed_by_category",
                     "categories": {"a": "40000.00", "b": "30000.00", "c": "20000.00", "d": "10000.00"}},
    "instalments": [{"issue_on": "2025-01-15", "share": "1"}],
}
NAMES = {A: "Kansaneläkelaitos", B: "Helsingin kaupunki", C: "Helsingin yliopisto",
         D: "Keski-Suomen hyvinvointialue"}


def four_parties_paid_and_spent(client: TestClient, tokens: dict[str, str], **terms: Any
                                ) -> tuple[str, dict[str, str]]:
    """Shares 40,000 / 30,000 / 20,000 / 10,000, all paid by 2025-02-01; 50,000.00 spent on 2026-03-31."""
    created = client.post("/v1/agreements", json={**FOUR, "terms": terms}, headers=auth(tokens["coordinator"]))
    assert created.status_code == 201, created.text
    aid = created.json()["id"]
    for bid, category in zip((A, B, C, D), "abcd", strict=True):
        joined = client.post(f"/v1/agreements/{aid}/parties", headers=auth(tokens["coordinator"]), json={
            "name": NAMES[bid], "business_id": bid, "signed_on": "2025-01-01", "category": category})
        assert joined.status_code == 201, joined.text
    run(client, tokens["scheduler"], aid, "2025-01-15")
    for invoice in invoices(client, tokens["finance"], aid):
        pay(client, tokens["finance"], invoice["id"], invoice["amount"], "2025-02-01")
    spend(client, tokens["coordinator"], aid, "50000.00", "2026-03-31")
    return aid, party_ids(client, tokens["auditor"], aid)


def d_gives_notice(client: TestClient, tokens: dict[str, str], aid: str, ids: dict[str, str]) -> None:
    notice = post(client, tokens["coordinator"], f"/v1/agreements/{aid}/parties/{ids[D]}/notice",
                  {"given_on": "2026-06-01", "ground": "organisation_changed"})
    assert notice.status_code == 200 and notice.json()["effective_on"] == "2026-09-01", notice.text


def passed(client: TestClient, tokens: dict[str, str], aid: str, ids: dict[str, str], day: str, kind: str) -> str:
    """A decision of A, B and C, all for; returns its id."""
    votes = {ids[bid]: "for" for bid in (A, B, C)}
    response = decide(client, tokens["coordinator"], aid, decision_body(day, kind, votes))
    assert response.status_code == 201 and response.json()["passed"], response.text
    return response.json()["decision_id"]


def preview(client: TestClient, tokens: dict[str, str], aid: str, as_of: str) -> dict[str, Any]:
    return get(client, tokens["finance"], f"/v1/agreements/{aid}/refunds/preview", as_of=as_of)


def refund(client: TestClient, tokens: dict[str, str], aid: str, decision_id: str, as_of: str) -> Any:
    return post(client, tokens["coordinator"], f"/v1/agreements/{aid}/refunds",
                {"decision_id": decision_id, "as_of": as_of})


def test_a_dissolved_cooperation_refunds_50000_by_what_each_paid_the_party_that_left_by_notice_too(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-FUND-2, R-FUND-3, R-TERM-3 (seed figures): 100,000.00 paid 40 : 30 : 20 : 10, D withdrew on
    2026-09-01, the cooperation was dissolved on 2026-10-01 with 50,000.00 spent; the refunds are
    20,000.00, 15,000.00, 10,000.00 and 5,000.00, paid once, on a decision taken after the dissolution."""
    aid, ids = four_parties_paid_and_spent(client, tokens)
    d_gives_notice(client, tokens, aid, ids)
    passed(client, tokens, aid, ids, "2026-10-01", "dissolution")
    decision = passed(client, tokens, aid, ids, "2026-10-15", "refund")

    shown = preview(client, tokens, aid, "2026-10-31")
    assert (shown["remaining"], shown["remaining_pct"], shown["refund_possible"], shown["reason"],
            shown["dissolved_on"]) == ("50000.00", "50.00", True, None, "2026-10-01")
    expected = {ids[A]: ("40000.00", "20000.00"), ids[B]: ("30000.00", "15000.00"),
                ids[C]: ("20000.00", "10000.00"), ids[D]: ("10000.00", "5000.00")}
    assert {r["party_id"]: (r["paid"], r["refund"]) for r in shown["parties"]} == expected
    assert shown["excluded"] == []

    paid = refund(client, tokens, aid, decision, "2026-10-31")
    assert paid.status_code == 201, paid.text
    assert {r["party_id"]: r["amount"] for r in paid.json()["refunds"]} == {
        pid: amounts[1] for pid, amounts in expected.items()}
    again = refund(client, tokens, aid, decision, "2026-10-31")
    assert again.status_code == 409 and again.json()["code"] == "refunds_already_issued"
    balances = get(client, tokens["finance"], f"/v1/agreements/{aid}/balances", as_of="2026-10-31")
    assert {r["party_id"]: r["refunded"] for r in balances["parties"]} == {
        pid: amounts[1] for pid, amounts in expected.items()}
    funding = get(client, tokens["finance"], f"/v1/agreements/{aid}/funding", as_of="2026-10-31")
    assert (funding["refunded"], funding["remaining"], funding["refund_possible"], funding["refund_reason"]) == (
        "50000.00", "0.00", False, "at_or_below_threshold")


def test_while_in_force_nothing_is_refunded_and_a_decision_before_the_dissolution_does_not_count(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-FUND-1, R-FUND-3: in force, money left extends the work: the preview shows no refund and why,
    and a refund is refused with agreement_not_dissolved; after the dissolution, a refund decision
    taken before it is refused with refund_not_allowed. Nothing is written."""
    aid, ids = four_parties_paid_and_spent(client, tokens)
    early = passed(client, tokens, aid, ids, "2026-09-15", "refund")

    shown = preview(client, tokens, aid, "2026-09-30")
    assert (shown["remaining"], shown["refund_possible"], shown["reason"], shown["dissolved_on"]) == (
        "50000.00", False, "agreement_not_dissolved", None)
    assert {r["refund"] for r in shown["parties"]} == {"0.00"} and len(shown["parties"]) == 4
    funding = get(client, tokens["finance"], f"/v1/agreements/{aid}/funding", as_of="2026-09-30")
    assert (funding["refund_possible"], funding["refund_reason"]) == (False, "agreement_not_dissolved")

    before = events(client)
    refused = refund(client, tokens, aid, early, "2026-09-30")
    assert refused.status_code == 409 and refused.json()["code"] == "agreement_not_dissolved", refused.text
    assert events(client) == before

    passed(client, tokens, aid, ids, "2026-10-01", "dissolution")
    assert preview(client, tokens, aid, "2026-09-30")["reason"] == "agreement_not_dissolved"  # not yet then
    before = events(client)
    for as_of, code in (("2026-09-30", "agreement_not_dissolved"), ("2026-10-31", "refund_not_allowed")):
        response = refund(client, tokens, aid, early, as_of)
        assert response.status_code == 409 and response.json()["code"] == code, response.text
    assert events(client) == before
    funding = get(client, tokens["finance"], f"/v1/agreements/{aid}/funding", as_of="2026-10-31")
    assert (funding["refunded"], funding["refund_possible"]) == ("0.00", True)


def refunds_without_d(client: TestClient, tokens: dict[str, str], aid: str, ids: dict[str, str], decision: str,
                      reason: str) -> None:
    """D, left out for ``reason``, gets nothing: the preview and the refunds paid split 50,000.00 over A, B
    and C by what they paid, 40 : 30 : 20 by largest remainder."""
    shown = preview(client, tokens, aid, "2026-10-31")
    expected = {ids[A]: "22222.22", ids[B]: "16666.67", ids[C]: "11111.11"}
    assert {r["party_id"]: r["refund"] for r in shown["parties"]} == expected
    assert shown["excluded"] == [{"party_id": ids[D], "reason": reason, "paid": "10000.00"}]
    paid = refund(client, tokens, aid, decision, "2026-10-31")
    assert paid.status_code == 201, paid.text
    assert {r["party_id"]: r["amount"] for r in paid.json()["refunds"]} == expected


def test_with_the_term_off_a_party_that_left_by_notice_gets_nothing_and_the_rest_is_split_40_30_20(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-FUND-2 (configurable): with refund_to_withdrawn_parties false, D gets 0 and 50,000.00 is split
    40 : 30 : 20 by largest remainder: 22,222.22, 16,666.67 and 11,111.11."""
    aid, ids = four_parties_paid_and_spent(client, tokens, refund_to_withdrawn_parties=False)
    assert get(client, tokens["auditor"], f"/v1/agreements/{aid}")["terms"]["refund_to_withdrawn_parties"] is False
    d_gives_notice(client, tokens, aid, ids)
    passed(client, tokens, aid, ids, "2026-10-01", "dissolution")
    decision = passed(client, tokens, aid, ids, "2026-10-02", "refund")

    refunds_without_d(client, tokens, aid, ids, decision, "withdrawn")


def test_an_expelled_party_gets_nothing_back(client: TestClient, tokens: dict[str, str]) -> None:
    """R-FUND-2, R-TERM-4 (seed 000 §17: "… ei tässä tapauksessa palauteta"): D, expelled, gets 0 although
    it paid 10,000.00; the others share 50,000.00 by what they paid, 40 : 30 : 20."""
    aid, ids = four_parties_paid_and_spent(client, tokens)
    url = f"/v1/agreements/{aid}/parties/{ids[D]}"
    breach = post(client, tokens["coordinator"], f"{url}/breach-notices",
                  {"given_on": "2026-05-04", "description": "Material breach, not cured."})
    assert breach.status_code == 201, breach.text
    expulsion = decide(client, tokens["coordinator"], aid, decision_body(
        "2026-06-15", "expulsion", {ids[b]: "for" for b in (A, B, C)}, subject={"party_id": ids[D]}))
    assert expulsion.json()["passed"], expulsion.text
    expelled = post(client, tokens["coordinator"], f"{url}/expulsion",
                    {"decided_on": "2026-06-15", "decision_id": expulsion.json()["decision_id"]})
    assert expelled.status_code == 200, expelled.text
    passed(client, tokens, aid, ids, "2026-10-01", "dissolution")
    decision = passed(client, tokens, aid, ids, "2026-10-01", "refund")

    refunds_without_d(client, tokens, aid, ids, decision, "expelled")
    balances = get(client, tokens["finance"], f"/v1/agreements/{aid}/balances", as_of="2026-10-31")
    assert {r["party_id"]: r["refunded"] for r in balances["parties"]}[ids[D]] == "0.00"


def test_the_refund_term_must_be_true_or_false(client: TestClient, tokens: dict[str, str]) -> None:
    before = events(client)
    for value in ("yes", 1, None):
        body = {**FOUR, "code": "FOUR-BAD", "terms": {"refund_to_withdrawn_parties": value}}
        response = client.post("/v1/agreements", json=body, headers=auth(tokens["coordinator"]))
        if value is None:  # null is "not given": the default, true
            assert response.status_code == 201, response.text
            terms = get(client, tokens["auditor"], f"/v1/agreements/{response.json()['id']}")["terms"]
            assert terms["refund_to_withdrawn_parties"] is True
        else:
            assert response.status_code == 422 and response.json()["code"] == "validation_error", value
            assert events(client) == before
