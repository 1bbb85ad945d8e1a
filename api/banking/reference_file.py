"""The fixed-width incoming reference payments file (saapuvat viitesiirrot) of Finance Finland's
service description: 90-character records, ISO 8859-1.

| record | positions (1-based) |
|---|---|
| 0 batch header | 1 type · 2–7 created YYMMDD · 8–11 HHMM · 12–13 bank · 14–22 service id · 23 currency (1 = EUR) |
| 3 reference payment, 5 correction | 1 type · 2–15 account · 16–21 booked YYMMDD · 22–27 paid YYMMDD · 28–43 archive id · 44–63 reference · 64–75 payer · 76 currency (1 = EUR) · 77 name source · 78–87 amount in cents · 88 correction (0, 1) · 89 channel · 90 feedback |
| 9 batch total | 1 type · 2–7 payments · 8–18 their sum in cents · 19–24 corrections · 25–35 their sum in cents |

A record 3 is a payment in; a record 5 (or a record 3 marked as a correction) takes an earlier one
back, and is imported as a return. A batch whose totals disagree with its records, an unknown record
type or a record that is not 90 characters is refused whole.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from api.banking.model import InvalidBankFile, ParsedFile, Transaction, archive_id_of

FORMAT = "fi-reference-payments"
RECORD_CHARS = 90
EURO = "1"


def parse(content: bytes) -> ParsedFile:
    """The reference payments of the file; InvalidBankFile if it is not one."""
    lines = content.decode("latin-1").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines or not lines[0].startswith("0") or not lines[-1].startswith("9"):
        raise InvalidBankFile("a reference payments file starts with a record 0 and ends with a record 9")
    parsed = ParsedFile(format=FORMAT)
    batch: dict[str, list[int]] | None = None
    for number, line in enumerate(lines, start=1):
        if len(line.rstrip()) > RECORD_CHARS or len(line) < 1:
            raise InvalidBankFile(f"line {number}: a record is {RECORD_CHARS} characters")
        record = line.ljust(RECORD_CHARS)
        kind = record[0]
        if kind == "0":
            if batch is not None:
                raise InvalidBankFile(f"line {number}: a batch header before the previous batch's total")
            batch = {"3": [0, 0], "5": [0, 0]}
        elif kind in ("3", "5"):
            if batch is None:
                raise InvalidBankFile(f"line {number}: a payment record outside a batch")
            cents = _number(record[77:87], number, "amount")
            batch[kind][0] += 1
            batch[kind][1] += cents
            _payment(parsed, record, number, cents)
        elif kind == "9":
            if batch is None:
                raise InvalidBankFile(f"line {number}: a batch total without its header")
            _check_total(record, number, batch)
            batch = None
        else:
            raise InvalidBankFile(f"line {number}: unknown record type {kind!r}")
    return parsed


def _payment(parsed: ParsedFile, record: str, number: int, cents: int) -> None:
    position = {"line": number}
    if record[75] != EURO:
        return parsed.reject(position, "unsupported_currency", f"currency code {record[75]!r}, not 1 (euro)")
    archive_id = archive_id_of(record[27:43], f"line {number}")
    if archive_id is None:
        return parsed.reject(position, "missing_archive_id", "the record has no archive id")
    if cents == 0:
        return parsed.reject(position, "invalid_amount", f"{archive_id}: an amount of zero")
    correction = record[0] == "5" or record[87] == "1"
    reference = record[43:63].strip().lstrip("0")
    parsed.add(Transaction(
        position=position, archive_id=archive_id, direction="debit" if correction else "credit",
        reversal=correction, amount=Decimal(f"{cents // 100}.{cents % 100:02d}"), booked_on=_day(record[15:21], number),
        value_on=_day(record[21:27], number), reference=reference or None))


def _check_total(record: str, number: int, batch: dict[str, list[int]]) -> None:
    declared = {"3": [_number(record[1:7], number, "count"), _number(record[7:18], number, "sum")],
                "5": [_number(record[18:24], number, "count"), _number(record[24:35], number, "sum")]}
    for kind, what in (("3", "payments"), ("5", "corrections")):
        if declared[kind] != batch[kind]:
            raise InvalidBankFile(
                f"line {number}: the batch total says {declared[kind][0]} {what} of {declared[kind][1]} cents, "
                f"the batch has {batch[kind][0]} of {batch[kind][1]} cents")


def _number(field: str, number: int, what: str) -> int:
    if not field.isascii() or not field.isdigit():
        raise InvalidBankFile(f"line {number}: the {what} {field!r} is not a number")
    return int(field)


def _day(field: str, number: int) -> date:
    if not field.isascii() or not field.isdigit():
        raise InvalidBankFile(f"line {number}: the date {field!r} is not YYMMDD")
    try:
        return date(2000 + int(field[:2]), int(field[2:4]), int(field[4:]))
    except ValueError:
        raise InvalidBankFile(f"line {number}: the date {field!r} is not YYMMDD") from None
