"""The giro slip's machine-readable parts: the virtual bar code (pankkiviivakoodi) of Finance Finland's
specification, printed as Code 128, and the EPC QR code (BCD 002, SCT) of the European Payments Council.

The virtual bar code is 54 digits: version 4 (a national reference) is
``4`` + the IBAN's 16 digits + euros (6) + cents (2) + ``000`` + the reference (20, zero-padded) + the due
date (YYMMDD); version 5 (an RF reference) is ``5`` + the IBAN's 16 digits + euros (6) + cents (2) + the
RF check digits (2) + the reference (21, zero-padded) + the due date. An amount above 999,999.99 is
written as zeros (the payer types it); a missing due date as ``000000``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import barcode
import segno
from segno import helpers

MAX_BARCODE_AMOUNT = Decimal("999999.99")
RF_BODY_DIGITS = 21


def virtual_barcode(iban: str, amount: Decimal, reference: str, due_on: date | None) -> str:
    """The 54-digit virtual bar code of a Finnish IBAN, an amount, a reference (national or RF) and a due
    date."""
    if not (iban.startswith("FI") and len(iban) == 18 and iban[2:].isdigit()):
        raise ValueError("the virtual bar code needs a Finnish IBAN")
    cents = int(amount * 100) if Decimal(0) <= amount <= MAX_BARCODE_AMOUNT else 0
    money = f"{cents // 100:06d}{cents % 100:02d}"
    due = "000000" if due_on is None else due_on.strftime("%y%m%d")
    if reference.startswith("RF"):
        body = reference[4:]
        if not (reference[2:4].isdigit() and body.isdigit() and len(body) <= RF_BODY_DIGITS):
            raise ValueError("the version 5 bar code takes an RF reference of digits")
        code = f"5{iban[2:]}{money}{reference[2:4]}{body.zfill(RF_BODY_DIGITS)}{due}"
    else:
        if not (reference.isdigit() and len(reference) <= 20):
            raise ValueError("a national reference has at most 20 digits")
        code = f"4{iban[2:]}{money}000{reference.zfill(20)}{due}"
    assert len(code) == 54 and code.isdigit(), "the virtual bar code is 54 digits"
    return code


def code128_modules(digits: str) -> str:
    """The Code 128 modules ("1" a bar, "0" a space) of a string of digits, in character set C."""
    return str(barcode.get_barcode_class("code128")(digits).build()[0])


def epc_qr(*, name: str, iban: str, bic: str, amount: Decimal, rf_reference: str) -> segno.QRCode:
    """The EPC QR code (version 002, SCT) of a credit transfer with a structured (RF) reference."""
    return helpers.make_epc_qr(name=name[:70], iban=iban, bic=bic, amount=amount, reference=rf_reference)
