"""Invoices and credit notes as Finvoice 3.0 messages (lxml), and a day's invoices as one transmission
file: each message after its SOAP envelope (ebXML message header), as the banks' Finvoice service takes
them. The figures are the invoice view's."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from lxml import etree

from api.documents.texts import rate_text

FINVOICE_VERSION = "3.0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
EB = "http://www.oasis-open.org/committees/ebxml-msg/schema/msg-header-2_0.xsd"
XLINK = "http://www.w3.org/1999/xlink"


def _amount(value: Decimal | str) -> str:
    """Finvoice writes amounts with a decimal comma: 12550,00."""
    return f"{Decimal(value):.2f}".replace(".", ",")


def _day(value: date | str) -> str:
    return (value if isinstance(value, date) else date.fromisoformat(value)).strftime("%Y%m%d")


def _ovt(business_id: str) -> str:
    """An organisation's OVT code from its business id (0037 + its eight digits)."""
    return "0037" + business_id.replace("-", "")


class _Builder:
    def __init__(self, root: etree._Element) -> None:
        self.root = root

    def add(self, parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
        element = etree.SubElement(parent, tag, attributes)
        if text is not None:
            element.text = text
        return element

    def money(self, parent: etree._Element, tag: str, value: Decimal | str) -> etree._Element:
        return self.add(parent, tag, _amount(value), AmountCurrencyIdentifier="EUR")

    def day(self, parent: etree._Element, tag: str, value: date | str) -> etree._Element:
        return self.add(parent, tag, _day(value), Format="CCYYMMDD")


def finvoice(doc: dict[str, Any], *, message_id: str, note: dict[str, Any] | None = None) -> etree._Element:
    """A Finvoice 3.0 message of an invoice, or with ``note`` of one of its credit notes (INV02, the
    amounts negative)."""
    invoice, seller, buyer = doc["invoice"], doc["seller"], doc["buyer"]
    e_invoicing = buyer.get("e_invoicing") or {}
    root = etree.Element("Finvoice", {"Version": FINVOICE_VERSION,
                                      f"{{{XSI}}}noNamespaceSchemaLocation": "Finvoice3.0.xsd"}, nsmap={"xsi": XSI})
    b = _Builder(root)
    transmission = b.add(root, "MessageTransmissionDetails")
    sender = b.add(transmission, "MessageSenderDetails")
    b.add(sender, "FromIdentifier", _ovt(seller["business_id"]))
    b.add(sender, "FromIntermediator", seller["bic"])
    receiver = b.add(transmission, "MessageReceiverDetails")
    b.add(receiver, "ToIdentifier", e_invoicing.get("address") or _ovt(buyer["business_id"]))
    b.add(receiver, "ToIntermediator", e_invoicing.get("operator") or "")
    details = b.add(transmission, "MessageDetails")
    b.add(details, "MessageIdentifier", message_id)
    b.add(details, "MessageTimeStamp", datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"))

    party = b.add(root, "SellerPartyDetails")
    b.add(party, "SellerPartyIdentifier", seller["business_id"])
    b.add(party, "SellerOrganisationName", seller["name"])
    b.add(root, "SellerOrganisationUnitNumber", _ovt(seller["business_id"]))
    account = b.add(b.add(root, "SellerInformationDetails"), "SellerAccountDetails")
    b.add(account, "SellerAccountID", seller["iban"], IdentificationSchemeName="IBAN")
    b.add(account, "SellerBic", seller["bic"], IdentificationSchemeName="BIC")
    party = b.add(root, "BuyerPartyDetails")
    b.add(party, "BuyerPartyIdentifier", buyer["business_id"])
    b.add(party, "BuyerOrganisationName", buyer["name"])
    if e_invoicing.get("address"):
        b.add(root, "BuyerOrganisationUnitNumber", e_invoicing["address"])
    sign = Decimal(-1) if note is not None else Decimal(1)
    _invoice_details(b, doc, note, sign)
    _rows(b, invoice, note, sign)
    if note is None:
        _epi(b, doc)
    return root


def _totals(invoice: dict[str, Any], note: dict[str, Any] | None) -> tuple[Decimal, Decimal, str | None]:
    """Net, VAT and the rate of an invoice or of a credit note of it."""
    if note is not None:
        vat = note.get("vat")
        if vat is None:
            return Decimal(note["amount"]), Decimal(0), None
        return Decimal(vat["net"]), Decimal(vat["vat"]), vat["rate"]
    vat = invoice.get("vat")
    if vat is None or vat["rate"] is None:
        return Decimal(invoice["amount"]), Decimal(0), None
    return Decimal(vat["net"]), Decimal(vat["vat"]), vat["rate"]


def _invoice_details(b: _Builder, doc: dict[str, Any], note: dict[str, Any] | None, sign: Decimal) -> None:
    invoice = doc["invoice"]
    details = b.add(b.root, "InvoiceDetails")
    b.add(details, "InvoiceTypeCode", "INV01" if note is None else "INV02")
    b.add(details, "InvoiceTypeText", "LASKU" if note is None else "HYVITYSLASKU")
    b.add(details, "OriginCode", "Original")
    b.add(details, "InvoiceNumber", invoice["number"] if note is None else note["number"])
    b.day(details, "InvoiceDate", invoice["issued_on"] if note is None else note["issued_on"])
    if note is not None:
        b.add(details, "OriginalInvoiceNumber", invoice["number"])
    buyer_reference = (doc["buyer"].get("e_invoicing") or {}).get("buyer_reference")
    if buyer_reference:
        b.add(details, "BuyerReferenceIdentifier", buyer_reference)
    b.add(details, "AgreementIdentifier", doc["agreement"]["code"])
    net, vat, rate = _totals(invoice, note)
    b.money(details, "InvoiceTotalVatExcludedAmount", sign * net)
    b.money(details, "InvoiceTotalVatAmount", sign * vat)
    b.money(details, "InvoiceTotalVatIncludedAmount", sign * (net + vat))
    specification = b.add(details, "VatSpecificationDetails")
    b.money(specification, "VatBaseAmount", sign * net)
    b.add(specification, "VatRatePercent", rate_text(rate or "0", "fi"))
    b.add(specification, "VatCode", "S" if rate is not None else "O")
    b.money(specification, "VatRateAmount", sign * vat)
    reason = (invoice.get("vat") or {}).get("reason")
    if reason:
        b.add(specification, "VatFreeText", reason[:70])
    if note is None:
        terms = b.add(details, "PaymentTermsDetails")
        b.day(terms, "InvoiceDueDate", invoice["due_on"])


def _rows(b: _Builder, invoice: dict[str, Any], note: dict[str, Any] | None, sign: Decimal) -> None:
    if note is not None:
        net, vat, rate = _totals(invoice, note)
        rows = [(note["reason"], net, vat, rate)]
    else:
        view = invoice.get("vat") or {}
        rate = view.get("rate")
        rows = [(line["description"], Decimal(line["amount"]),
                 Decimal(view["lines"][i]) if rate is not None else Decimal(0), rate)
                for i, line in enumerate(invoice["lines"])]
    for description, net, vat, rate in rows:
        row = b.add(b.root, "InvoiceRow")
        b.add(row, "ArticleName", description[:100])
        b.add(row, "RowVatRatePercent", rate_text(rate or "0", "fi"))
        b.add(row, "RowVatCode", "S" if rate is not None else "O")
        b.money(row, "RowVatAmount", sign * vat)
        b.money(row, "RowVatExcludedAmount", sign * net)
        b.money(row, "RowAmount", sign * (net + vat))


def _epi(b: _Builder, doc: dict[str, Any]) -> None:
    """The payment instruction: the seller's account, the reference and the amount due."""
    invoice, seller = doc["invoice"], doc["seller"]
    epi = b.add(b.root, "EpiDetails")
    identification = b.add(epi, "EpiIdentificationDetails")
    b.day(identification, "EpiDate", invoice["issued_on"])
    b.add(identification, "EpiReference", invoice["number"])
    parties = b.add(epi, "EpiPartyDetails")
    bfi = b.add(parties, "EpiBfiPartyDetails")
    b.add(bfi, "EpiBfiIdentifier", seller["bic"], IdentificationSchemeName="BIC")
    beneficiary = b.add(parties, "EpiBeneficiaryPartyDetails")
    b.add(beneficiary, "EpiNameAddressDetails", seller["name"][:35])
    b.add(beneficiary, "EpiBei", seller["business_id"])
    b.add(beneficiary, "EpiAccountID", seller["iban"], IdentificationSchemeName="IBAN")
    instruction = b.add(epi, "EpiPaymentInstructionDetails")
    b.add(instruction, "EpiRemittanceInfoIdentifier", invoice["reference"], IdentificationSchemeName="SPY")
    b.money(instruction, "EpiInstructedAmount", invoice["amount"])
    b.add(instruction, "EpiCharge", "SHA", ChargeOption="SHA")
    b.day(instruction, "EpiDateOptionDate", invoice["due_on"])


def message_bytes(root: etree._Element) -> bytes:
    """One Finvoice message as an XML document."""
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def transmission(docs: list[dict[str, Any]]) -> bytes:
    """A day's invoices as one Finvoice transmission file: for each, its SOAP envelope and its message."""
    parts = [b'<?xml version="1.0" encoding="UTF-8"?>\n']
    for doc in docs:
        message_id = doc["invoice"]["id"]
        parts.append(etree.tostring(_envelope(doc, message_id), encoding="UTF-8", pretty_print=True))
        parts.append(etree.tostring(finvoice(doc, message_id=message_id), encoding="UTF-8", pretty_print=True))
    return b"".join(parts)


def _envelope(doc: dict[str, Any], message_id: str) -> etree._Element:
    seller, buyer = doc["seller"], doc["buyer"]
    e_invoicing = buyer.get("e_invoicing") or {}
    envelope = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"SOAP-ENV": SOAP, "eb": EB, "xlink": XLINK})
    header = etree.SubElement(etree.SubElement(envelope, f"{{{SOAP}}}Header"), f"{{{EB}}}MessageHeader",
                              {f"{{{SOAP}}}mustUnderstand": "1", f"{{{EB}}}version": "2.0"})
    for side, party, intermediator, role in (
            ("From", _ovt(seller["business_id"]), seller["bic"], "Sender"),
            ("To", e_invoicing.get("address") or _ovt(buyer["business_id"]), e_invoicing.get("operator") or "",
             "Receiver")):
        element = etree.SubElement(header, f"{{{EB}}}{side}")
        etree.SubElement(element, f"{{{EB}}}PartyId").text = party
        etree.SubElement(element, f"{{{EB}}}Role").text = role
        etree.SubElement(element, f"{{{EB}}}PartyId").text = intermediator
        etree.SubElement(element, f"{{{EB}}}Role").text = "Intermediator"
    etree.SubElement(header, f"{{{EB}}}CPAId").text = "yoursandmycpa"
    etree.SubElement(header, f"{{{EB}}}Service").text = "Routing"
    etree.SubElement(header, f"{{{EB}}}Action").text = "ProcessInvoice"
    data = etree.SubElement(header, f"{{{EB}}}MessageData")
    etree.SubElement(data, f"{{{EB}}}MessageId").text = message_id
    etree.SubElement(data, f"{{{EB}}}Timestamp").text = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    manifest = etree.SubElement(etree.SubElement(envelope, f"{{{SOAP}}}Body"), f"{{{EB}}}Manifest",
                                {f"{{{EB}}}id": "Manifest", f"{{{EB}}}version": "2.0"})
    reference = etree.SubElement(manifest, f"{{{EB}}}Reference", {f"{{{EB}}}id": "Finvoice",
                                                                  f"{{{XLINK}}}href": message_id})
    etree.SubElement(reference, f"{{{EB}}}Schema", {f"{{{EB}}}location": "http://www.finvoice.info/finvoice.xsd",
                                                    f"{{{EB}}}version": FINVOICE_VERSION})
    return envelope
