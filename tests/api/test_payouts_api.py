"""Money out (R-FUND-2, R-FUND-3): refunds leave as a SEPA pain.001.001.03 file that validates against the
schema sepaxml ships, each payout with an EndToEndId that the bank's camt.054 debit entry confirms; on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import xmlschema
from fastapi.testclient import TestClient
from lxml import etree

from api.sepa.pain001 import SCHEMA_PATH
from tests.api.helpers import auth
from tests.api.money_helpers import refunded_network
from tests.api.test_figures_api import A

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
VALTORI = {"iban": "FI21 1234 5600 0007 85", "bic": "NDEAFIHH", "recorded_on": "2025-12-01"}
ACCOUNTS = {A["business_id"]: ("FI1250001200000203", "OKOYFIHH"), "0246246-0": ("FI2880012700000449", "DABAFIHH"),
            "0201256-6": ("FI6615763000123451", "NDEAFIHH")}
FILE = {"prepared_on": "2026-01-05", "execution_on": "2026-01-07"}


def post(client: TestClient, token: str, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json=body, headers=auth(token))


def record_accounts(client: TestClient, tokens: dict[str, str], aid: str, ids: dict[str, str]) -> None:
    for business_id, (iban, bic) in ACCOUNTS.items():
        url = f"/v1/agreements/{aid}/parties/{ids[business_id]}/payout-account"
        recorded = post(client, tokens["coordinator"], url, {"iban": iban, "bic": bic, "recorded_on": "2025-12-20"})
        assert recorded.status_code == 201, recorded.text


def payouts(client: TestClient, token: str, aid: str) -> dict[str, dict[str, Any]]:
    listed = client.get(f"/v1/agreements/{aid}/payouts", params={"as_of": "2026-01-31"}, headers=auth(token))
    assert listed.status_code == 200, listed.text
    return {row["party_id"]: row for row in listed.json()}


def test_the_refunds_leave_in_one_pain001_file_that_validates_against_the_schema(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-FUND-2: the 250.01 refunded 150.01 : 75.00 : 25.00 goes out as one pain.001.001.03 message from
    Valtori's account: three transfers to the parties' accounts, control sum 250.01, each with the
    EndToEndId the payouts list shows; the same file is served again by its batch, and a second file
    finds nothing due."""
    aid, ids, refunds = refunded_network(client, tokens)
    assert {row["status"] for row in payouts(client, tokens["finance"], aid).values()} == {"due"}
    missing = post(client, tokens["finance"], f"/v1/agreements/{aid}/payouts/pain001", FILE)
    assert (missing.status_code, missing.json()["code"]) == (409, "payout_account_missing")
    record_accounts(client, tokens, aid, ids)
    no_debtor = post(client, tokens["finance"], f"/v1/agreements/{aid}/payouts/pain001", FILE)
    assert (no_debtor.status_code, no_debtor.json()["code"]) == (409, "debtor_account_missing")
    assert post(client, tokens["finance"], f"/v1/agreements/{aid}/debtor-account", VALTORI).status_code == 201

    made = post(client, tokens["finance"], f"/v1/agreements/{aid}/payouts/pain001", FILE)
    assert made.status_code == 201, made.text
    assert made.headers["content-type"].startswith("application/xml")
    xmlschema.XMLSchema(SCHEMA_PATH).validate(made.text)
    document = etree.fromstring(made.content)
    assert document.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS) == "3"
    assert document.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=NS) == "250.01"
    block = document.find("p:CstmrCdtTrfInitn/p:PmtInf", namespaces=NS)
    assert block.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == "FI2112345600000785"
    assert block.findtext("p:DbtrAgt/p:FinInstnId/p:BIC", namespaces=NS) == "NDEAFIHH"
    assert block.findtext("p:ReqdExctnDt", namespaces=NS) == "2026-01-07"
    sent = {tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS): (
        tx.findtext("p:Amt/p:InstdAmt", namespaces=NS), tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS))
        for tx in block.findall("p:CdtTrfTxInf", namespaces=NS)}
    listed = payouts(client, tokens["auditor"], aid)
    assert sent == {ACCOUNTS[bid][0]: (refunds[ids[bid]], listed[ids[bid]]["end_to_end_id"]) for bid in ACCOUNTS}
    assert {row["status"] for row in listed.values()} == {"sent"}
    assert all(len(row["end_to_end_id"]) == 35 for row in listed.values())

    batch = made.headers["x-payout-batch"]
    again = client.get(f"/v1/agreements/{aid}/payout-batches/{batch}/pain001.xml", headers=auth(tokens["auditor"]))
    assert (again.status_code, again.content) == (200, made.content)
    summary = client.get(f"/v1/agreements/{aid}/payout-batches/{batch}", headers=auth(tokens["finance"])).json()
    assert (summary["total"], summary["debtor"]["name"], len(summary["payouts"])) == ("250.01", "Valtori", 3)
    second = post(client, tokens["finance"], f"/v1/agreements/{aid}/payouts/pain001", FILE)
    assert (second.status_code, second.json()["code"]) == (409, "no_payouts_due")


def test_the_banks_debit_entries_mark_the_payouts_paid_once(client: TestClient, tokens: dict[str, str]) -> None:
    """R-INV-4 (nothing dropped, nothing twice): a camt.054 debit entry naming a payout's EndToEndId with its
    amount confirms it (booked_on and archive id shown); the same entry again is already_confirmed; another
    amount is amount_mismatch and records nothing; an EndToEndId of no payout of ours is unknown. A debtor
    account given in the request is used instead of a recorded one."""
    aid, ids, _ = refunded_network(client, tokens)
    record_accounts(client, tokens, aid, ids)
    debtor = {"iban": "FI4147010000123459", "bic": "POPFFI22", "name": "Valtori maksuliikenne",
              "recorded_on": "2026-01-05"}
    made = post(client, tokens["finance"], f"/v1/agreements/{aid}/payouts/pain001", {**FILE, "debtor": debtor})
    assert made.status_code == 201, made.text
    assert etree.fromstring(made.content).findtext(".//p:Dbtr/p:Nm", namespaces=NS) == "Valtori maksuliikenne"
    listed = payouts(client, tokens["finance"], aid)
    kela, helsinki = listed[ids["0246246-0"]], listed[ids["0201256-6"]]
    ledger = client.app.state.ledger
    confirm = ledger.confirm_payout
    assert confirm(kela["end_to_end_id"], amount=Decimal("75.00"), booked_on=date(2026, 1, 7),
                   archive_id="20260107ABCD0001") == "confirmed"
    assert confirm(kela["end_to_end_id"], amount=Decimal("75.00"), booked_on=date(2026, 1, 7),
                   archive_id="20260107ABCD0001") == "already_confirmed"
    assert confirm(helsinki["end_to_end_id"], amount=Decimal("25.01"), booked_on=date(2026, 1, 7),
                   archive_id="20260107ABCD0002") == "amount_mismatch"
    assert confirm("LDG" + "0" * 32, amount=Decimal("1.00"), booked_on=date(2026, 1, 7), archive_id="X") == "unknown"
    assert confirm("NOTPROVIDED", amount=Decimal("1.00"), booked_on=date(2026, 1, 7), archive_id="X") == "unknown"
    after = payouts(client, tokens["finance"], aid)
    assert (after[ids["0246246-0"]]["status"], after[ids["0246246-0"]]["booked_on"],
            after[ids["0246246-0"]]["archive_id"]) == ("paid", "2026-01-07", "20260107ABCD0001")
    assert after[ids["0201256-6"]]["status"] == "sent"


def test_payout_accounts_are_checked_and_only_finance_makes_files(client: TestClient, tokens: dict[str, str]) -> None:
    """A mistyped IBAN (check digits) is 422 invalid_iban and a malformed BIC 422 invalid_bic, nothing
    recorded; a party, the scheduler and the auditor may not record accounts; only finance makes a file."""
    aid, ids, _ = refunded_network(client, tokens)
    url = f"/v1/agreements/{aid}/parties/{ids['0246246-0']}/payout-account"
    bad_iban = post(client, tokens["finance"], url, {"iban": "FI2880012700000448", "bic": "DABAFIHH",
                                                     "recorded_on": "2025-12-20"})
    assert (bad_iban.status_code, bad_iban.json()["code"]) == (422, "invalid_iban")
    bad_bic = post(client, tokens["finance"], url, {"iban": "FI2880012700000449", "bic": "DABA1IHH",
                                                    "recorded_on": "2025-12-20"})
    assert (bad_bic.status_code, bad_bic.json()["code"]) == (422, "invalid_bic")
    assert client.get(url, headers=auth(tokens["finance"])).status_code == 404
    for role in ("party", "scheduler", "auditor"):
        refused = post(client, tokens[role], url, {"iban": "FI2880012700000449", "bic": "DABAFIHH",
                                                   "recorded_on": "2025-12-20"})
        assert refused.status_code == 403, role
    for role in ("coordinator", "auditor", "party"):
        assert post(client, tokens[role], f"/v1/agreements/{aid}/payouts/pain001", FILE).status_code == 403, role
    assert post(client, tokens["coordinator"], url, {"iban": "FI28 8001 2700 0004 49", "bic": "dabafihh",
                                                     "recorded_on": "2025-12-20"}).status_code == 201
    assert client.get(url, headers=auth(tokens["auditor"])).json() == {
        "holder": ids["0246246-0"], "iban": "FI2880012700000449", "bic": "DABAFIHH", "name": None,
        "recorded_on": "2025-12-20"}


def test_without_a_debtor_account_the_payouts_leave_from_the_sellers_account(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-INV-6, R-FUND-2: with no debtor account recorded, the pain.001 pays from the IBAN and BIC the
    agreement's invoices name (its seller bank details), in the coordinator's name."""
    aid, ids, _ = refunded_network(client, tokens)
    record_accounts(client, tokens, aid, ids)
    seller = client.put(f"/v1/agreements/{aid}/seller-bank-details", json={"iban": "FI4950009420028730",
                                                                            "bic": "OKOYFIHH"},
                        headers=auth(tokens["coordinator"]))
    assert seller.status_code == 200, seller.text
    made = post(client, tokens["finance"], f"/v1/agreements/{aid}/payouts/pain001", FILE)
    assert made.status_code == 201, made.text
    block = etree.fromstring(made.content).find("p:CstmrCdtTrfInitn/p:PmtInf", namespaces=NS)
    assert block.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == "FI4950009420028730"
    assert block.findtext("p:DbtrAgt/p:FinInstnId/p:BIC", namespaces=NS) == "OKOYFIHH"
    assert block.findtext("p:Dbtr/p:Nm", namespaces=NS) == "Valtori"
