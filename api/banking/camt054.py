"""ISO 20022 camt.054 (bank to customer debit/credit notification), version 02 and later, read with lxml.

What the import needs of a notification, for every ``Ntry``: the amount, ``CdtDbtInd``, ``RvslInd``
(a return), ``Sts`` (only booked entries are imported), ``BookgDt`` and ``ValDt``, and the bank's
archive id ``AcctSvcrRef``. A batch entry carries one ``NtryDtls/TxDtls`` per transaction, each with its
own ``Refs/AcctSvcrRef`` (or the entry's id with its ordinal), amount (``Amt`` from version 04,
``AmtDtls/TxAmt/Amt`` in 02), ``Refs/EndToEndId`` and creditor reference ``RmtInf/Strd/CdtrRefInf/Ref``.

The message is validated (xmlschema) against the part of the camt.054 schema the import reads,
written for the product (``schemas/camt054_subset.xsd``; the full schema is not shipped): the
elements read, in the schema's order, with their simple types, every other element of the message
allowed where it stands (XSD 1.1 open content). A file that fails it, or the checks below (batch
sums, bounds), is refused whole (``invalid_bank_file``); an entry that is readable but unusable (not
booked, another currency, no archive id, a batch that does not add up) is rejected with its reason.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import xmlschema
from lxml import etree

from api.banking.model import InvalidBankFile, ParsedFile, Transaction, amount_of, archive_id_of

NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.054\.001\.(0[2-9]|1[0-3])$")
MAX_REFERENCE_CHARS = 35
_DATE = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})(T.*)?$", re.ASCII)
SCHEMA = Path(__file__).with_name("schemas") / "camt054_subset.xsd"


def parse(content: bytes) -> ParsedFile:
    """The transactions of a camt.054 notification; InvalidBankFile if it is not one."""
    root = _root(content)
    namespace = etree.QName(root).namespace
    error = next(_schema(namespace).iter_errors(root), None)
    if error is not None:
        raise InvalidBankFile(f"not a valid camt.054 message: {error.reason} (at {error.path})")
    ns = {"c": namespace}
    notifications = root.findall("c:BkToCstmrDbtCdtNtfctn/c:Ntfctn", ns)
    if root.find("c:BkToCstmrDbtCdtNtfctn/c:GrpHdr/c:MsgId", ns) is None or not notifications:
        raise InvalidBankFile("a camt.054 notification has a group header with MsgId and at least one Ntfctn")
    parsed = ParsedFile(format=namespace.rsplit(":", 1)[1])
    number = 0
    for notification in notifications:
        for entry in notification.findall("c:Ntry", ns):
            number += 1
            _entry(parsed, _Element(entry, ns, f"entry {number}"), number)
    return parsed


def _root(content: bytes) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True)
    try:
        root = etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise InvalidBankFile(f"not well-formed XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise InvalidBankFile("a document type declaration is not accepted in a bank file")
    name = etree.QName(root)
    if name.localname != "Document" or not NAMESPACE.match(name.namespace or ""):
        raise InvalidBankFile(f"not a camt.054 notification (version 02 or later): the root is {root.tag}")
    return root


@lru_cache(maxsize=16)
def _schema(namespace: str) -> xmlschema.XMLSchema11:
    """The schema of the elements the import reads, for one version's namespace (built once)."""
    return xmlschema.XMLSchema11(SCHEMA.read_text(encoding="utf-8").replace("NAMESPACE", namespace))


class _Element:
    """An element and the namespace of its message, with the reads the parser makes of it."""

    def __init__(self, element: Any, ns: dict[str, str], where: str) -> None:
        self.element, self.ns, self.where = element, ns, where

    def text(self, path: str) -> str | None:
        found = self.element.find(path, self.ns)
        return None if found is None or found.text is None else found.text.strip()

    def all(self, path: str) -> list[_Element]:
        return [_Element(e, self.ns, self.where) for e in self.element.findall(path, self.ns)]

    def amount(self, path: str) -> tuple[Decimal, str] | None:
        found = self.element.find(path, self.ns)
        if found is None:
            return None
        return amount_of(found.text, self.where), found.get("Ccy", "")

    def day(self, path: str) -> date | None:
        text = self.text(f"{path}/c:Dt") or self.text(f"{path}/c:DtTm")
        if text is None:
            return None
        match = _DATE.match(text)
        try:
            return date.fromisoformat(match.group(1)) if match else _bad_date(self.where, text)
        except ValueError:
            return _bad_date(self.where, text)


def _bad_date(where: str, text: str) -> date:
    raise InvalidBankFile(f"{where}: {text!r} is not a date")


def _indicator(entry: _Element, path: str) -> str | None:
    value = entry.text(path)
    if value not in (None, "CRDT", "DBIT"):
        raise InvalidBankFile(f"{entry.where}: CdtDbtInd is CRDT or DBIT, not {value!r}")
    return value


def _entry(parsed: ParsedFile, entry: _Element, number: int) -> None:
    position = {"entry": number}
    amount = entry.amount("c:Amt")
    indicator = _indicator(entry, "c:CdtDbtInd")
    if amount is None or indicator is None:
        raise InvalidBankFile(f"{entry.where}: Amt and CdtDbtInd are required")
    reversal = entry.text("c:RvslInd") in ("true", "1")
    status = entry.text("c:Sts/c:Cd") or entry.text("c:Sts")
    booked_on, value_on = entry.day("c:BookgDt"), entry.day("c:ValDt")
    entry_id = archive_id_of(entry.text("c:AcctSvcrRef"), entry.where)
    if status != "BOOK":
        return parsed.reject(position, "not_booked", f"the entry's status is {status}, not BOOK")
    if amount[1] != "EUR":
        return parsed.reject(position, "unsupported_currency", f"the entry is in {amount[1] or 'no currency'}, not EUR")
    if booked_on is None:
        return parsed.reject(position, "missing_booking_date", "the entry has no BookgDt")
    details = entry.all("c:NtryDtls/c:TxDtls")
    transactions = []
    for ordinal, detail in enumerate(details or [entry], start=1):
        archive_id = archive_id_of(detail.text("c:Refs/c:AcctSvcrRef"), entry.where)
        if archive_id is None and entry_id is not None:
            archive_id = entry_id if len(details) <= 1 else archive_id_of(f"{entry_id}-{ordinal}", entry.where)
        if archive_id is None:
            return parsed.reject(position, "missing_archive_id",
                                 f"transaction {ordinal} of the entry has no AcctSvcrRef")
        # A transaction's own amount (Amt from version 04, AmtDtls/TxAmt/Amt in 02); an entry without
        # details, or with one detail that names none, is one transaction of the entry's amount.
        tx_amount = (detail.amount("c:Amt") or detail.amount("c:AmtDtls/c:TxAmt/c:Amt")) if details else amount
        if tx_amount is None and len(details) > 1:
            return parsed.reject(position, "missing_amount", f"transaction {ordinal} of a batch entry has no amount")
        direction = _indicator(detail, "c:CdtDbtInd") or indicator
        transactions.append(Transaction(
            position=position, archive_id=archive_id, direction="credit" if direction == "CRDT" else "debit",
            reversal=reversal or detail.element.find("c:RtrInf", detail.ns) is not None,
            amount=(tx_amount or amount)[0], booked_on=booked_on, value_on=value_on,
            reference=_reference(detail), end_to_end_id=_end_to_end(detail)))
    signed = sum((t.amount if t.direction == ("credit" if indicator == "CRDT" else "debit") else -t.amount
                  for t in transactions), Decimal("0"))
    if signed != amount[0]:
        return parsed.reject(position, "batch_sum_mismatch",
                             f"the entry's transactions add up to {signed}, the entry to {amount[0]}")
    for transaction in transactions:
        if transaction.amount <= 0:
            parsed.reject(position, "invalid_amount", f"{transaction.archive_id}: an amount of zero")
        else:
            parsed.add(transaction)


def _reference(detail: _Element) -> str | None:
    for structured in detail.all("c:RmtInf/c:Strd"):
        reference = structured.text("c:CdtrRefInf/c:Ref")
        if reference:
            if len(reference) > MAX_REFERENCE_CHARS:
                raise InvalidBankFile(f"{detail.where}: a creditor reference is at most {MAX_REFERENCE_CHARS} characters")
            return reference
    return None


def _end_to_end(detail: _Element) -> str | None:
    value = detail.text("c:Refs/c:EndToEndId")
    if value is not None and len(value) > MAX_REFERENCE_CHARS:
        raise InvalidBankFile(f"{detail.where}: an EndToEndId is at most {MAX_REFERENCE_CHARS} characters")
    return None if value in (None, "", "NOTPROVIDED") else value
