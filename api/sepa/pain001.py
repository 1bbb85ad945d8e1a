"""A batch of payouts as a SEPA credit-transfer initiation, pain.001.001.03, made with sepaxml and checked
against the schema sepaxml ships (``sepaxml/schemas/pain.001.001.03.xsd``)."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sepaxml
import xmlschema
from lxml import etree
from sepaxml import SepaTransfer

SCHEMA = "pain.001.001.03"
SCHEMA_PATH = os.path.join(os.path.dirname(sepaxml.__file__), "schemas", f"{SCHEMA}.xsd")
MEDIA_TYPE = "application/xml"
NAMESPACE = f"urn:iso:std:iso:20022:tech:xsd:{SCHEMA}"
_schema: xmlschema.XMLSchema | None = None


def schema() -> xmlschema.XMLSchema:
    """sepaxml's bundled pain.001.001.03 schema, loaded once."""
    global _schema
    if _schema is None:
        _schema = xmlschema.XMLSchema(SCHEMA_PATH)
    return _schema


def render(batch: dict[str, Any]) -> bytes:
    """The pain.001 message of a batch: one payment information block (batch booking) debiting the
    coordinator's account, one transaction per payout with its EndToEndId; validated before it is served."""
    debtor = batch["debtor"]
    transfer = SepaTransfer({"name": debtor["name"], "IBAN": debtor["iban"], "BIC": debtor["bic"], "batch": True,
                             "currency": "EUR"}, schema=SCHEMA)
    _header(transfer, batch["message_id"], batch["created_at"])
    for payout in batch["payouts"]:
        creditor = payout["creditor"]
        transfer.add_payment({"name": creditor["name"], "IBAN": creditor["iban"], "BIC": creditor["bic"],
                              "amount": _cents(payout["amount"]), "execution_date": _day(batch["execution_on"]),
                              "description": payout["description"], "endtoend_id": payout["end_to_end_id"]})
    document = etree.fromstring(bytes(transfer.export(validate=False)))
    for block in document.iter(f"{{{NAMESPACE}}}PmtInfId"):
        block.text = batch["message_id"]  # one block per file: it carries the message's id, not a random one
    content = etree.tostring(document, xml_declaration=True, encoding="UTF-8")
    schema().validate(content.decode())  # raises if the file breaks the schema: never served then
    return content


def _header(transfer: SepaTransfer, message_id: str, created_at: str) -> None:
    """The group header names the batch (MsgId) and the instant it was made, so the file is the same each
    time it is fetched."""
    header = transfer._xml.find("CstmrCdtTrfInitn/GrpHdr")
    assert header is not None
    header_message: ET.Element | None = header.find("MsgId")
    header_created: ET.Element | None = header.find("CreDtTm")
    assert header_message is not None and header_created is not None
    header_message.text = message_id
    header_created.text = datetime.fromisoformat(created_at).strftime("%Y-%m-%dT%H:%M:%S")
    transfer.msg_id = message_id


def _cents(amount: str) -> int:
    cents = Decimal(amount) * 100
    assert cents == cents.to_integral_value()
    return int(cents)


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
