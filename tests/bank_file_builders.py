"""Bank files made the way a bank makes them: camt.054 notifications (lxml) and the fixed-width
incoming reference payments file of Finance Finland's service description."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from lxml import etree

ACCOUNT = "FI4950009420028730"


@dataclass
class Tx:
    """One transaction of a batch entry."""

    amount: str
    reference: str | None = None
    archive_id: str | None = None
    end_to_end_id: str | None = None
    returned: bool = False  # carries RtrInf


@dataclass
class Entry:
    """One Ntry: a single transaction, or a batch of them (``txs``)."""

    amount: str
    archive_id: str | None
    credit: bool = True
    booked_on: date = date(2025, 9, 15)
    value_on: date | None = date(2025, 9, 15)
    reversal: bool = False
    status: str = "BOOK"
    currency: str = "EUR"
    txs: list[Tx] = field(default_factory=list)


def camt054(entries: list[Entry], version: str = "02", message_id: str = "MSG-1") -> bytes:
    """A camt.054.001.<version> notification of the entries, in the element order of the schema."""
    ns = f"urn:iso:std:iso:20022:tech:xsd:camt.054.001.{version}"

    def sub(parent: etree._Element, name: str, text: str | None = None, **attrs: str) -> etree._Element:
        element = etree.SubElement(parent, f"{{{ns}}}{name}", attrs)
        if text is not None:
            element.text = text
        return element

    document = etree.Element(f"{{{ns}}}Document", nsmap={None: ns})
    message = sub(document, "BkToCstmrDbtCdtNtfctn")
    header = sub(message, "GrpHdr")
    sub(header, "MsgId", message_id)
    sub(header, "CreDtTm", "2025-09-15T20:00:00+03:00")
    notification = sub(message, "Ntfctn")
    sub(notification, "Id", f"{message_id}-N1")
    sub(notification, "CreDtTm", "2025-09-15T20:00:00+03:00")
    sub(sub(sub(notification, "Acct"), "Id"), "IBAN", ACCOUNT)
    for entry in entries:
        ntry = sub(notification, "Ntry")
        sub(ntry, "Amt", entry.amount, Ccy=entry.currency)
        sub(ntry, "CdtDbtInd", "CRDT" if entry.credit else "DBIT")
        if entry.reversal:
            sub(ntry, "RvslInd", "true")
        if version >= "08":
            sub(sub(ntry, "Sts"), "Cd", entry.status)
        else:
            sub(ntry, "Sts", entry.status)
        sub(sub(ntry, "BookgDt"), "Dt", entry.booked_on.isoformat())
        if entry.value_on is not None:
            sub(sub(ntry, "ValDt"), "Dt", entry.value_on.isoformat())
        if entry.archive_id is not None:
            sub(ntry, "AcctSvcrRef", entry.archive_id)
        code = sub(sub(ntry, "BkTxCd"), "Domn")
        sub(code, "Cd", "PMNT")
        family = sub(code, "Fmly")
        sub(family, "Cd", "RCDT" if entry.credit else "ICDT")
        sub(family, "SubFmlyCd", "ESCT")
        if entry.txs:
            details = sub(ntry, "NtryDtls")
            for tx in entry.txs:
                _tx(sub, sub(details, "TxDtls"), tx, entry, version)
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8")


def _tx(sub, element, tx: Tx, entry: Entry, version: str) -> None:  # type: ignore[no-untyped-def]
    refs = sub(element, "Refs")
    if tx.archive_id is not None:
        sub(refs, "AcctSvcrRef", tx.archive_id)
    sub(refs, "EndToEndId", tx.end_to_end_id or "NOTPROVIDED")
    if version >= "04":
        sub(element, "Amt", tx.amount, Ccy="EUR")
        sub(element, "CdtDbtInd", "CRDT" if entry.credit else "DBIT")
    else:
        sub(sub(sub(element, "AmtDtls"), "TxAmt"), "Amt", tx.amount, Ccy="EUR")
    if tx.reference is not None:
        reference_info = sub(sub(sub(element, "RmtInf"), "Strd"), "CdtrRefInf")
        kind = sub(sub(reference_info, "Tp"), "CdOrPrtry")
        sub(kind, "Cd", "SCOR")
        sub(reference_info, "Ref", tx.reference)
    if tx.returned:
        sub(sub(sub(element, "RtrInf"), "Rsn"), "Cd", "AC04")


@dataclass
class ReferencePayment:
    """One record 3 (or 5, a correction) of the reference payments file."""

    amount: str
    reference: str
    archive_id: str
    booked_on: date = date(2025, 9, 15)
    paid_on: date = date(2025, 9, 14)
    payer: str = "KANSANELÄKE"
    correction: bool = False
    currency: str = "1"


def reference_payments(batches: list[list[ReferencePayment]], *, total_cents_delta: int = 0) -> bytes:
    """The file: per batch a record 0, the records 3 and 5, and a record 9 with the batch's totals."""
    lines = []
    for payments in batches:
        lines.append(("0" + "250915" + "2000" + "50" + "123456789" + "1").ljust(90))
        sums = {"3": [0, 0], "5": [0, 0]}
        for p in payments:
            cents = int(Decimal(p.amount) * 100)
            kind = "5" if p.correction else "3"
            sums[kind][0] += 1
            sums[kind][1] += cents
            record = (kind + "50009420028730" + _yymmdd(p.booked_on) + _yymmdd(p.paid_on)
                      + p.archive_id.ljust(16)[:16] + p.reference.replace(" ", "").rjust(20, "0")
                      + p.payer.ljust(12)[:12] + p.currency + "A" + f"{cents:010d}"
                      + ("1" if p.correction else "0") + "A" + " ")
            assert len(record) == 90, len(record)
            lines.append(record)
        total = ("9" + f"{sums['3'][0]:06d}" + f"{sums['3'][1] + total_cents_delta:011d}"
                 + f"{sums['5'][0]:06d}" + f"{sums['5'][1]:011d}").ljust(90)
        lines.append(total)
    return ("\r\n".join(lines) + "\r\n").encode("latin-1")


def _yymmdd(day: date) -> str:
    return day.strftime("%y%m%d")
