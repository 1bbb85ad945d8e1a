"""The checkpoint exit and the host's protection through the HTTP API, on SQLite and PostgreSQL (R-FUND-6).

Seed 002, 2023 amendment: a forerunner may leave only at the checkpoint 2024-04-30; it pays its share of
the costs accrued to it, of the wind-down costs and of the shared services' maintenance fees to the end
of 2029, and other costs its leaving causes, less what it has paid. If the project stops not by Vantaa's
doing, the others answer for Vantaa's project costs by their accession fees, Vantaa bearing its own part.

The demo DigiOne: Vantaa (host) 25,440 pupils, Espoo 30,000, Tampere 19,000, Oulu 18,000, Turku 15,560,
Lahti 11,000, Jyväskylä 15,000: 134,000 pupils; accession fees 50.00 a pupil in three yearly thirds
(Espoo 1,500,000.00: 500,000.00 each; Oulu 900,000.00: 300,000.00 each). Every figure is worked by hand.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from api.demo import load_demo
from domain.agreements.agreement import Agreement
from projections.audit.replay import replay
from projections.journal.runner import JournalRunner
from tests.api.helpers import auth
from tests.api.membership_helpers import decide, decision_body, events, party_ids, post
from tests.domain.test_funding import ESPOO, JYVASKYLA, LAHTI, OULU, TAMPERE, TURKU, VANTAA

CHECKPOINT = {"amendment": 1, "checkpoint": "2024-04-30", "fees_until": "2029-12-31"}
# 1,340,000.00 accrued is 10.00 a pupil; 134,000.01 of wind-down is 1.00 a pupil and a cent, which goes to
# the largest remainder, Espoo's; 402,000.00 of maintenance a year is 3.00 a pupil, × 68 months
# (2024-05 … 2029-12) / 12 = 2,278,000.00, 17.00 a pupil.
COSTS = {"accrued_costs": "1340000.00", "wind_down_costs": "134000.01", "maintenance_fees_per_year": "402000.00"}


def get(client: TestClient, token: str, url: str, **params: Any) -> Any:
    response = client.get(url, params=params, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def invoices_of(client: TestClient, token: str, agreement_id: str, party_id: str) -> list[dict[str, Any]]:
    return get(client, token, f"/v1/agreements/{agreement_id}/invoices", party_id=party_id, limit=500,
               as_of="2024-12-31")


@pytest.fixture
def digione(client: TestClient, tokens: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The demo DigiOne with the 2023 amendment binding (recorded as signed on 2023-12-11), its three
    instalments invoiced; Espoo has paid two thirds, Oulu one."""
    ledger = client.app.state.ledger
    aid = load_demo(ledger)["DIGIONE"]
    agreement: Agreement = ledger.repository.get(aid)
    agreement.funding_amended(amendment=1, decision_id=uuid4(), signed_on=date(2023, 12, 11), total=Decimal("0.00"),
                              shares={}, instalments=[])
    ledger.save(agreement)
    agreement_id = str(aid)
    ids = party_ids(client, tokens["finance"], agreement_id)
    response = post(client, tokens["scheduler"], f"/v1/agreements/{agreement_id}/invoicing-runs", {"as_of": "2023-01-13"})
    assert response.status_code == 200 and len(response.json()["issued"]) == 18, response.text
    for bid, count in ((ESPOO, 2), (OULU, 1)):
        for invoice in sorted(invoices_of(client, tokens["finance"], agreement_id, ids[bid]),
                              key=lambda i: i["instalments"])[:count]:
            paid = post(client, tokens["finance"], f"/v1/invoices/{invoice['id']}/payments",
                        {"amount": invoice["amount"], "paid_on": invoice["due_on"], "bank_reference": None})
            assert paid.status_code == 201, paid.text
    return agreement_id, ids


def name_checkpoint(client: TestClient, tokens: dict[str, str], agreement_id: str) -> Any:
    return post(client, tokens["coordinator"], f"/v1/agreements/{agreement_id}/exit-checkpoint", CHECKPOINT)


def exit_url(agreement_id: str, party_id: str) -> str:
    return f"/v1/agreements/{agreement_id}/parties/{party_id}/checkpoint-exit"


def confirm(client: TestClient, token: str, agreement_id: str, party_id: str, key: str | None = None,
            **change: str) -> Any:
    body = {"exit_on": "2024-04-30", "confirmed_on": "2024-05-15", **COSTS, **change}
    return post(client, token, exit_url(agreement_id, party_id), body, key)


def test_a_forerunner_may_exit_only_at_the_checkpoint_the_amendment_names(
        client: TestClient, tokens: dict[str, str], digione: tuple[str, dict[str, str]]) -> None:
    """R-FUND-6: no checkpoint named, or any other date than 2024-04-30, is refused and changes nothing."""
    agreement_id, ids = digione
    before = events(client)
    response = confirm(client, tokens["coordinator"], agreement_id, ids[OULU])
    assert (response.status_code, response.json()["code"]) == (409, "no_exit_checkpoint")
    bad = post(client, tokens["coordinator"], f"/v1/agreements/{agreement_id}/exit-checkpoint",
               {**CHECKPOINT, "amendment": 2})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_amendment")
    early = post(client, tokens["coordinator"], f"/v1/agreements/{agreement_id}/exit-checkpoint",
                 {**CHECKPOINT, "checkpoint": "2023-06-30"})  # before the amendment binds
    assert (early.status_code, early.json()["code"]) == (422, "date_outside_term")
    assert events(client) == before
    assert name_checkpoint(client, tokens, agreement_id).status_code == 201
    again = name_checkpoint(client, tokens, agreement_id)
    assert (again.status_code, again.json()["code"]) == (409, "checkpoint_already_named")
    assert get(client, tokens["auditor"], f"/v1/agreements/{agreement_id}/exit-checkpoint") == {
        "agreement_id": agreement_id, **CHECKPOINT}
    before = events(client)
    for day in ("2024-04-29", "2024-05-01", "2024-12-31"):
        response = confirm(client, tokens["coordinator"], agreement_id, ids[OULU], exit_on=day)
        assert (response.status_code, response.json()["code"], response.json()["checkpoint"]) == (
            409, "not_the_checkpoint", "2024-04-30")
        response = client.get(exit_url(agreement_id, ids[OULU]), params={**COSTS, "exit_on": day, "as_of": "2024-05-15"},
                              headers=auth(tokens["finance"]))
        assert (response.status_code, response.json()["code"]) == (409, "not_the_checkpoint")
    old_route = f"/v1/agreements/{agreement_id}/parties/{ids[OULU]}/exit-settlement"
    query = {"accrued_costs": "1340000.00", "wind_down_costs": "0.00"}
    other_day = client.get(old_route, params={**query, "checkpoint": "2024-05-31"}, headers=auth(tokens["finance"]))
    assert (other_day.status_code, other_day.json()["code"]) == (409, "not_the_checkpoint")
    at_it = get(client, tokens["finance"], old_route, **query, checkpoint="2024-04-30")
    assert at_it["accrued_costs_share"] == "180000.00"  # 10.00 × 18,000 pupils
    host = confirm(client, tokens["coordinator"], agreement_id, ids[VANTAA])
    assert (host.status_code, host.json()["code"]) == (409, "coordinator_cannot_leave")
    before_checkpoint = confirm(client, tokens["coordinator"], agreement_id, ids[OULU], confirmed_on="2024-04-01")
    assert (before_checkpoint.status_code, before_checkpoint.json()["code"]) == (422, "invalid_date")
    assert events(client) == before


def test_oulus_exit_worksheet_is_invoiced_on_confirmation_once(
        client: TestClient, tokens: dict[str, str], digione: tuple[str, dict[str, str]]) -> None:
    """Oulu (18,000 pupils): accrued 180,000.00 + wind-down 18,000.00 (the odd cent is Espoo's) + maintenance
    306,000.00 (17.00 × 18,000) = 504,000.00 owed; it paid 300,000.00, so 204,000.00 is invoiced. Its two
    open thirds (300,000.00 each) are credited: the settlement replaces them. It has left at the checkpoint."""
    agreement_id, ids = digione
    assert name_checkpoint(client, tokens, agreement_id).status_code == 201
    before = events(client)
    sheet = get(client, tokens["finance"], exit_url(agreement_id, ids[OULU]), exit_on="2024-04-30",
                as_of="2024-05-15", **COSTS)
    assert events(client) == before  # the worksheet writes nothing
    assert [(line["line"], line["amount"]) for line in sheet["lines"]] == [
        ("accrued_costs", "180000.00"), ("wind_down_costs", "18000.00"), ("maintenance_fees", "306000.00"),
        ("other_exit_costs", "0.00")]
    maintenance = sheet["lines"][2]["basis"]
    assert (maintenance["total"], maintenance["months"], maintenance["from"], maintenance["until"],
            maintenance["key_share"]) == ("2278000.00", 68, "2024-05-01", "2029-12-31", "9/67")
    assert (sheet["owed"], sheet["paid"], sheet["open_invoices"], sheet["balance"], sheet["settles_by"]) == (
        "504000.00", "300000.00", "600000.00", "204000.00", "invoice")

    done = confirm(client, tokens["coordinator"], agreement_id, ids[OULU], key="oulu-exit")
    assert done.status_code == 201, done.text
    result = done.json()
    assert (result["balance"], result["refund"], result["confirmed_on"]) == ("204000.00", "0.00", "2024-05-15")
    assert sorted(c["amount"] for c in result["credited_invoices"]) == ["300000.00", "300000.00"]
    own = invoices_of(client, tokens["finance"], agreement_id, ids[OULU])
    settlement = next(i for i in own if i["id"] == result["invoice_id"])
    assert (settlement["amount"], settlement["issued_on"], settlement["instalments"]) == ("204000.00", "2024-05-15", [])
    assert sorted((i["instalments"], i["outstanding"]) for i in own if i["instalments"]) == [
        ([1], "0.00"), ([2], "0.00"), ([3], "0.00")]
    balances = get(client, tokens["finance"], f"/v1/agreements/{agreement_id}/balances", as_of="2024-06-30")
    oulu = next(p for p in balances["parties"] if p["party_id"] == ids[OULU])
    assert {k: oulu[k] for k in ("invoiced", "credited", "paid", "outstanding")} == {
        "invoiced": "1104000.00", "credited": "600000.00", "paid": "300000.00", "outstanding": "204000.00"}
    party = next(p for p in get(client, tokens["finance"], f"/v1/agreements/{agreement_id}/parties")
                 if p["party_id"] == ids[OULU])
    assert (party["status"], party["left_on"]) == ("withdrawn", "2024-04-30")
    replayed = confirm(client, tokens["coordinator"], agreement_id, ids[OULU], key="oulu-exit")
    assert replayed.json() == result
    twice = confirm(client, tokens["coordinator"], agreement_id, ids[OULU])
    assert (twice.status_code, twice.json()["code"]) == (409, "exit_already_confirmed")
    stored = [e for e in client.app.state.ledger.events.get(UUID(agreement_id))
              if type(e).__name__ == "PartyExitedAtCheckpoint"]
    assert [(str(e.party_id), e.left_on) for e in stored] == [(ids[OULU], date(2024, 4, 30))]


def test_espoo_paid_more_than_it_owes_and_is_refunded_the_rest(
        client: TestClient, tokens: dict[str, str], digione: tuple[str, dict[str, str]]) -> None:
    """Espoo (30,000 of 134,000 pupils, 15/67): 300,000.00 + 30,000.01 + 510,000.00 + other exit costs
    12,345.67 = 852,345.68 owed; it paid 1,000,000.00: 147,654.32 comes back; its open third is credited."""
    agreement_id, ids = digione
    assert name_checkpoint(client, tokens, agreement_id).status_code == 201
    done = confirm(client, tokens["coordinator"], agreement_id, ids[ESPOO], other_exit_costs="12345.67")
    assert done.status_code == 201, done.text
    result = done.json()
    assert [line["amount"] for line in result["lines"]] == ["300000.00", "30000.01", "510000.00", "12345.67"]
    assert (result["owed"], result["paid"], result["balance"], result["settles_by"], result["refund"],
            result["invoice_id"]) == ("852345.68", "1000000.00", "-147654.32", "refund", "147654.32", None)
    assert [c["amount"] for c in result["credited_invoices"]] == ["500000.00"]
    balances = get(client, tokens["finance"], f"/v1/agreements/{agreement_id}/balances", as_of="2024-06-30")
    espoo = next(p for p in balances["parties"] if p["party_id"] == ids[ESPOO])
    assert (espoo["refunded"], espoo["credited"], espoo["outstanding"]) == ("147654.32", "500000.00", "0.00")
    ledger = client.app.state.ledger
    with JournalRunner(ledger) as live:  # R-REC-1: the audit replay rebuilds these figures from the events
        report = replay(ledger, live, [date(2024, 5, 15), date(2024, 6, 30)], [UUID(agreement_id)])
    assert report.ok and report.figures_compared > 0, [d.line() for d in report.differences]


# The host's protection ------------------------------------------------------------------------

def stop(client: TestClient, tokens: dict[str, str], agreement_id: str, ids: dict[str, str], subject: dict[str, Any],
         kind: str = "other") -> str:
    body = decision_body("2024-06-03", kind, {pid: "for" for pid in ids.values()}, subject=subject)
    response = decide(client, tokens["coordinator"], agreement_id, body)
    assert response.status_code == 201 and response.json()["passed"], response.text
    return str(response.json()["decision_id"])


def test_the_others_reimburse_the_hosts_costs_by_accession_fees(client: TestClient, tokens: dict[str, str],
                                                                 digione: tuple[str, dict[str, str]]) -> None:
    """R-FUND-6: 1,340,000.03 of Vantaa's costs by accession fees (50.00 a pupil): 10.00 a pupil and 3 cents
    to the largest remainders, Espoo (.672), Vantaa (.570) and Tampere (.425). Vantaa bears its 254,400.01;
    the six others are invoiced 1,085,600.02, once per decision."""
    agreement_id, ids = digione
    split = get(client, tokens["finance"], f"/v1/agreements/{agreement_id}/host-reimbursement",
                host_costs="1340000.03", on="2024-06-03")
    parts = {row["party_id"]: row["part"] for row in split["parties"]}
    assert parts == {ids[VANTAA]: "254400.01", ids[ESPOO]: "300000.01", ids[TAMPERE]: "190000.01",
                     ids[OULU]: "180000.00", ids[TURKU]: "155600.00", ids[LAHTI]: "110000.00",
                     ids[JYVASKYLA]: "150000.00"}
    assert (split["host_part"], split["reimbursed_by_others"], split["accession_fees"]) == (
        "254400.01", "1085600.02", "6700000.00")
    at_fault = stop(client, tokens, agreement_id, ids, {"project_stopped": True})
    before = events(client)
    body = {"decision_id": at_fault, "host_costs": "1340000.03", "issued_on": "2024-06-03"}
    refused = post(client, tokens["coordinator"], f"/v1/agreements/{agreement_id}/host-reimbursements", body)
    assert (refused.status_code, refused.json()["code"]) == (409, "host_fault_not_excluded")
    budget = stop(client, tokens, agreement_id, ids, {"host_at_fault": False}, kind="budget")
    refused = post(client, tokens["coordinator"], f"/v1/agreements/{agreement_id}/host-reimbursements",
                   {**body, "decision_id": budget})
    assert (refused.status_code, refused.json()["code"]) == (409, "decision_required")
    before = events(client)
    decision_id = stop(client, tokens, agreement_id, ids, {"project_stopped": True, "host_at_fault": False})
    assert events(client) == before + 2  # the decision and its minute
    made = post(client, tokens["coordinator"], f"/v1/agreements/{agreement_id}/host-reimbursements",
                {**body, "decision_id": decision_id})
    assert made.status_code == 201, made.text
    issued = made.json()["invoices"]
    assert len(issued) == 6
    listed = get(client, tokens["finance"], f"/v1/agreements/{agreement_id}/invoices", limit=500, as_of="2024-12-31")
    billed = {i["party_id"]: i["amount"] for i in listed if i["id"] in issued}
    assert ids[VANTAA] not in billed and sum(Decimal(a) for a in billed.values()) == Decimal("1085600.02")
    assert billed[ids[ESPOO]] == "300000.01"
    twice = post(client, tokens["coordinator"], f"/v1/agreements/{agreement_id}/host-reimbursements",
                 {**body, "decision_id": decision_id})
    assert (twice.status_code, twice.json()["code"]) == (409, "host_costs_already_invoiced")


def test_roles_for_the_checkpoint_exit(client: TestClient, tokens: dict[str, str],
                                       digione: tuple[str, dict[str, str]]) -> None:
    """The coordinator names the checkpoint, confirms exits and invoices the host's costs; parties see none."""
    agreement_id, ids = digione
    for role in ("finance", "scheduler", "auditor", "party"):
        assert name_checkpoint(client, {"coordinator": tokens[role]}, agreement_id).status_code == 403
        assert confirm(client, tokens[role], agreement_id, ids[OULU]).status_code == 403
    response = client.get(exit_url(agreement_id, ids[OULU]), params={**COSTS, "exit_on": "2024-04-30",
                                                                     "as_of": "2024-05-15"},
                          headers=auth(tokens["party"]))
    assert response.status_code == 403
