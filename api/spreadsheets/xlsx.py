"""Reports as XLSX workbooks (openpyxl): the figures the JSON and CSV forms serve, with every sum a formula.

Inputs are numbers (Decimal, two decimals); a total is ``=SUM(…)`` of the cells above it and a balance
is a formula of its parts, so a spreadsheet recomputes to the served figures and shows how each one is
made. Text cells are stored as text (openpyxl's ``data_type = "s"``), so a name that starts with ``=``
is never run as a formula.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AMOUNT_FORMAT = "#,##0.00"
# The flows of a period, which add up over quarters; the balances at its ends are formulas.
FLOWS = ("invoiced", "credited", "money_in", "spent", "refunded", "money_out")
PERIOD_COLUMNS = ("opening_balance", *FLOWS, "closing_balance")


def quarterly(report: dict[str, Any], title: str) -> bytes:
    """One quarter as a column of figures: money out and the closing balance as formulas of the others."""
    book, sheet = _book(title)
    sheet.append(["figure", "amount"])
    rows = {}
    for key in PERIOD_COLUMNS:
        sheet.append([key, _amount(report[key])])
        rows[key] = sheet.max_row
    sheet[f"B{rows['money_out']}"] = f"=B{rows['spent']}+B{rows['refunded']}"
    sheet[f"B{rows['closing_balance']}"] = (f"=B{rows['opening_balance']}+B{rows['money_in']}"
                                            f"-B{rows['money_out']}")
    sheet.append(["from", report["from"]])
    sheet.append(["to", report["to"]])
    return _finish(book)


def annual(quarters: list[dict[str, Any]], year_row: dict[str, Any], funding: dict[str, Any], title: str) -> bytes:
    """Four quarters and the year: the year's flows are ``=SUM`` of the quarters, its opening balance
    the first quarter's, every closing balance a formula; the funding at year end on a second sheet."""
    book, sheet = _book(title)
    sheet.append(["quarter", *PERIOD_COLUMNS])
    for row in quarters:
        sheet.append([row["quarter"], *(_amount(row[key]) for key in PERIOD_COLUMNS)])
    first, last = 2, sheet.max_row
    sheet.append([year_row["quarter"], *(_amount(year_row[key]) for key in PERIOD_COLUMNS)])
    total = sheet.max_row
    col = {key: get_column_letter(2 + i) for i, key in enumerate(PERIOD_COLUMNS)}
    for key in FLOWS:
        sheet[f"{col[key]}{total}"] = f"=SUM({col[key]}{first}:{col[key]}{last})"
    sheet[f"{col['opening_balance']}{total}"] = f"={col['opening_balance']}{first}"
    for row in (*range(first, last + 1), total):
        sheet[f"{col['money_out']}{row}"] = f"={col['spent']}{row}+{col['refunded']}{row}"
        sheet[f"{col['closing_balance']}{row}"] = (f"={col['opening_balance']}{row}+{col['money_in']}{row}"
                                                  f"-{col['money_out']}{row}")
    _key_values(book.create_sheet("funding"), funding)
    return _finish(book)


def party_table(rows: list[dict[str, Any]], totals: dict[str, Any], columns: tuple[str, ...], title: str,
                extra: dict[str, Any] | None = None) -> bytes:
    """One row per party and a totals row of ``=SUM`` per figure (balances, the final account); ``extra``
    (the final account's funding and status) goes to a second sheet."""
    book, sheet = _book(title)
    sheet.append(["party_id", "name", "status", *columns])
    for row in rows:
        sheet.append([row["party_id"], row["name"], row["status"], *(_amount(row[key]) for key in columns)])
        sheet.cell(row=sheet.max_row, column=2).data_type = "s"
    last = sheet.max_row
    sheet.append(["", "total", "", *(_amount(totals[key]) for key in columns)])
    for i in range(len(columns)):
        letter = get_column_letter(4 + i)
        sheet[f"{letter}{last + 1}"] = f"=SUM({letter}2:{letter}{last})" if last >= 2 else 0
    if extra is not None:
        _key_values(book.create_sheet("funding"), extra)
    return _finish(book)


def _book(title: str) -> tuple[Workbook, Worksheet]:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    return book, sheet


def _key_values(sheet: Worksheet, values: dict[str, Any]) -> None:
    sheet.append(["figure", "value"])
    for key, value in values.items():
        if isinstance(value, (dict, list)):
            continue  # nested detail stays in the JSON form
        sheet.append([key, _amount(value) if _is_amount(value) else value])
        if isinstance(value, str) and not _is_amount(value):
            sheet.cell(row=sheet.max_row, column=2).data_type = "s"


def _is_amount(value: Any) -> bool:
    return isinstance(value, str) and value.replace("-", "", 1).replace(".", "", 1).isdigit() and "." in value


def _amount(value: str) -> Decimal:
    return Decimal(value)


def _finish(book: Workbook) -> bytes:
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, Decimal) or (isinstance(cell.value, str) and cell.value.startswith("=")):
                    cell.number_format = AMOUNT_FORMAT
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
