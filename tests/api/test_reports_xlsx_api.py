"""Reports as XLSX beside CSV (R-REP-1, R-FUND-4): sums are formulas that recompute to the served figures."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from tests.api.helpers import auth
from tests.api.money_helpers import refunded_network

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(client: TestClient, token: str, url: str, **params: Any) -> Any:
    response = client.get(url, params={**params, "format": "xlsx"}, headers=auth(token))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"].endswith('.xlsx"')
    return load_workbook(io.BytesIO(response.content))


def served(client: TestClient, token: str, url: str, **params: Any) -> dict[str, Any]:
    response = client.get(url, params=params, headers=auth(token))
    assert response.status_code == 200, response.text
    return response.json()


def value(sheet: Worksheet, ref: str) -> Decimal:
    """A cell's value, a formula evaluated: the forms the workbooks use (=SUM(A1:A9), =A1+B2-C3)."""
    cell = sheet[ref].value
    if not (isinstance(cell, str) and cell.startswith("=")):
        return Decimal(str(cell))
    total = re.fullmatch(r"=SUM\(([A-Z]+)(\d+):([A-Z]+)(\d+)\)", cell)
    if total:
        column, first, last = total.group(1), int(total.group(2)), int(total.group(4))
        return sum((value(sheet, f"{column}{row}") for row in range(first, last + 1)), Decimal("0"))
    terms = re.findall(r"([+-]?)([A-Z]+\d+)", cell[1:])
    assert "".join(sign + ref for sign, ref in terms) == cell[1:], cell
    return sum((-value(sheet, ref) if sign == "-" else value(sheet, ref) for sign, ref in terms), Decimal("0"))


def columns(sheet: Worksheet) -> dict[str, str]:
    return {str(cell.value): cell.column_letter for cell in sheet[1]}


def test_the_annual_account_as_xlsx_sums_its_quarters_by_formula(client: TestClient, tokens: dict[str, str]) -> None:
    """R-REP-1: the year row's flows are =SUM of the four quarters, money out = spent + refunded, every
    closing balance = opening + in − out; evaluated, each equals the JSON figure (1,000.00 in, 749.99 spent,
    250.01 refunded, 0.00 at year end)."""
    aid, _, _ = refunded_network(client, tokens)
    url = f"/v1/agreements/{aid}/reports/annual"
    book = workbook(client, tokens["auditor"], url, year=2025)
    sheet = book["2025"]
    col = columns(sheet)
    assert [sheet[f"A{row}"].value for row in range(2, 7)] == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2025"]
    assert sheet[f"{col['money_in']}6"].value == f"=SUM({col['money_in']}2:{col['money_in']}5)"
    assert sheet[f"{col['money_out']}6"].value == f"={col['spent']}6+{col['refunded']}6"
    assert sheet[f"{col['closing_balance']}3"].value == (
        f"={col['opening_balance']}3+{col['money_in']}3-{col['money_out']}3")
    json = served(client, tokens["auditor"], url, year=2025)
    for row, expected in zip(range(2, 7), [*json["quarters"], json["year_total"]], strict=True):
        for key in ("opening_balance", "invoiced", "credited", "money_in", "spent", "refunded", "money_out",
                    "closing_balance"):
            assert value(sheet, f"{col[key]}{row}") == Decimal(expected[key]), (row, key)
    year = {key: value(sheet, f"{col[key]}6") for key in ("money_in", "spent", "refunded", "closing_balance")}
    assert year == {"money_in": Decimal("1000.00"), "spent": Decimal("749.99"), "refunded": Decimal("250.01"),
                    "closing_balance": Decimal("0.00")}
    funding = {row[0].value: row[1].value for row in book["funding"].iter_rows(min_row=2)}
    assert Decimal(str(funding["remaining"])) == Decimal(json["funding"]["remaining"]) == Decimal("0.00")


def test_the_quarterly_report_as_xlsx_balances_by_formula(client: TestClient, tokens: dict[str, str]) -> None:
    """R-REP-1: Q4/2025 opens at 250.01, refunds 250.01 and closes at 0.00: closing = opening + in − out."""
    aid, _, _ = refunded_network(client, tokens)
    url = f"/v1/agreements/{aid}/reports/quarterly"
    sheet = workbook(client, tokens["party"], url, year=2025, quarter=4).active
    rows = {sheet[f"A{row}"].value: row for row in range(2, sheet.max_row + 1)}
    assert sheet[f"B{rows['closing_balance']}"].value == (
        f"=B{rows['opening_balance']}+B{rows['money_in']}-B{rows['money_out']}")
    json = served(client, tokens["party"], url, year=2025, quarter=4)
    for key in ("opening_balance", "money_in", "refunded", "money_out", "closing_balance"):
        assert value(sheet, f"B{rows[key]}") == Decimal(json[key]), key
    assert (json["opening_balance"], json["refunded"], json["closing_balance"]) == ("250.01", "250.01", "0.00")


def test_balances_and_the_final_account_as_xlsx_total_their_party_rows_by_formula(
        client: TestClient, tokens: dict[str, str]) -> None:
    """R-FUND-4: one row per party, a totals row of =SUM over them equal to the served totals (paid 1,000.00,
    refunded 250.01); the final account's funding and unused funds on a second sheet."""
    aid, ids, refunds = refunded_network(client, tokens)
    for url in ("balances", "final-account"):
        book = workbook(client, tokens["finance"], f"/v1/agreements/{aid}/{url}", as_of="2025-12-31")
        sheet = book.active
        col = columns(sheet)
        json = served(client, tokens["finance"], f"/v1/agreements/{aid}/{url}", as_of="2025-12-31")
        last = 1 + len(json["parties"])
        assert [sheet[f"A{row}"].value for row in range(2, last + 1)] == [p["party_id"] for p in json["parties"]]
        for key in ("cost_share", "invoiced", "paid", "refunded", "outstanding"):
            assert sheet[f"{col[key]}{last + 1}"].value == f"=SUM({col[key]}2:{col[key]}{last})"
            inputs = sum((Decimal(str(sheet[f"{col[key]}{row}"].value)) for row in range(2, last + 1)), Decimal("0"))
            assert inputs == value(sheet, f"{col[key]}{last + 1}") == Decimal(json["totals"][key]), (url, key)
        assert value(sheet, f"{col['paid']}{last + 1}") == Decimal("1000.00")
        assert value(sheet, f"{col['refunded']}{last + 1}") == Decimal("250.01")
        refunded = {sheet[f"A{row}"].value: str(sheet[f"{col['refunded']}{row}"].value) for row in range(2, last + 1)}
        assert {pid: Decimal(amount) for pid, amount in refunded.items() if Decimal(amount)} == {
            pid: Decimal(amount) for pid, amount in refunds.items()}
    funding = {row[0].value: row[1].value for row in book["funding"].iter_rows(min_row=2)}
    assert (funding["status"], Decimal(str(funding["unused_funds"]))) == ("final", Decimal("0.00"))


def test_a_party_name_that_looks_like_a_formula_stays_text(client: TestClient, tokens: dict[str, str]) -> None:
    """A name is a text cell in the workbook, never a formula (the CSV prefixes such names with ')."""
    body = {"code": "EQ", "title": "Formula-looking names", "starts_on": "2025-01-01", "ends_on": "2026-12-31",
            "coordinator": {"name": "Valtori", "business_id": "2574261-7"},
            "cost_sharing": {"model": "equal", "total": "100.00"},
            "instalments": [{"issue_on": "2025-01-15", "share": "1"}]}
    aid = client.post("/v1/agreements", json=body, headers=auth(tokens["coordinator"])).json()["id"]
    party = {"name": "=1+1", "business_id": "0246246-0", "signed_on": "2025-01-01"}
    assert client.post(f"/v1/agreements/{aid}/parties", json=party,
                       headers=auth(tokens["coordinator"])).status_code == 201
    sheet = workbook(client, tokens["finance"], f"/v1/agreements/{aid}/balances", as_of="2025-06-30").active
    assert (sheet["B2"].value, sheet["B2"].data_type) == ("=1+1", "s")
    assert sheet["B3"].value == "total"
