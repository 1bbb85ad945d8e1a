"""Reading invoice documents back in the tests: a PDF page rendered to an image, its QR code and bar code
decoded, and the fields of the virtual bar code and of the EPC QR payload."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pypdfium2
import zxingcpp
from fastapi.testclient import TestClient

from tests.api.helpers import KELA, LYHTY_BODY, auth

SELLER_BANK = {"iban": "FI79 4405 2020 0360 82", "bic": "NDEAFIHH"}
IBAN = "FI7944052020036082"


def decoded(pdf: bytes) -> dict[str, str]:
    """The QR code's and the Code 128 bar code's text on the PDF's first page, rendered at 288 dpi."""
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=4).to_pil()
    found = {}
    for result in zxingcpp.read_barcodes(image):
        found[result.format.name] = result.text
    return found


def virtual_barcode_fields(digits: str) -> dict[str, Any]:
    """The fields of a 54-digit virtual bar code, version 4 or 5 (Finance Finland's specification)."""
    assert len(digits) == 54 and digits.isdigit(), digits
    version, account, euros, cents = digits[0], digits[1:17], digits[17:23], digits[23:25]
    if version == "4":
        reference = digits[28:48].lstrip("0")
    else:
        assert version == "5"
        reference = f"RF{digits[25:27]}{digits[27:48].lstrip('0')}"
    due = digits[48:54]
    return {"version": version, "iban": "FI" + account, "amount": Decimal(f"{int(euros)}.{cents}"),
            "reference": reference, "due_on": date(2000 + int(due[:2]), int(due[2:4]), int(due[4:]))}


def epc_fields(text: str) -> dict[str, Any]:
    """The fields of an EPC QR payload (BCD, version 002, SCT)."""
    lines = text.split("\n")
    return {"service": lines[0], "version": lines[1], "identification": lines[3], "bic": lines[4],
            "name": lines[5], "iban": lines[6], "amount": Decimal(lines[7][3:]), "currency": lines[7][:3],
            "reference": lines[9]}


def create_billed_agreement(client: TestClient, token: str, party: dict[str, Any] = KELA, **changes: Any) -> str:
    """Lyhty with the seller's bank details and the given changes, Kela (or ``party``) acceded; returns its id."""
    body = {**LYHTY_BODY, "seller_bank": SELLER_BANK, **changes}
    response = client.post("/v1/agreements", json=body, headers=auth(token))
    assert response.status_code == 201, response.text
    agreement_id = response.json()["id"]
    accession = client.post(f"/v1/agreements/{agreement_id}/parties", json=party, headers=auth(token))
    assert accession.status_code == 201, accession.text
    return str(agreement_id)


def issue(client: TestClient, token: str, agreement_id: str, as_of: str) -> list[dict[str, Any]]:
    """Run invoicing as of a date; the invoices it issued, as the API shows them."""
    run = client.post(f"/v1/agreements/{agreement_id}/invoicing-runs", json={"as_of": as_of}, headers=auth(token))
    assert run.status_code == 200, run.text
    return [client.get(f"/v1/invoices/{i}", headers=auth(token)).json() for i in run.json()["issued"]]
