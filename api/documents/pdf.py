"""An invoice or credit note as a one-page A4 PDF (fpdf2): seller and buyer, the lines with their VAT,
and on an invoice the bank giro slip (tilisiirto) with the virtual bar code as Code 128 and an EPC QR
code. The figures are the invoice view's; nothing here computes a rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from fpdf import FPDF

from api.documents.barcode import code128_modules, epc_qr, virtual_barcode
from api.documents.texts import amount_text, date_text, rate_text, word

BAR_MODULE_MM = 0.3  # the specification asks for at least 0.25 mm
BAR_HEIGHT_MM = 13.0
QR_SIZE_MM = 32.0
SLIP_TOP_MM = 192.0


def _latin1(text: str) -> str:
    """The core PDF fonts carry Latin-1 (Finnish and Swedish letters included); anything else is '?'."""
    return text.encode("latin-1", "replace").decode("latin-1")


class _Page(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4", unit="mm")
        self.set_auto_page_break(False)
        self.set_margins(15, 15, 15)
        self.add_page()

    def write_at(self, x: float, y: float, text: str, size: float = 9, bold: bool = False) -> None:
        self.set_font("Helvetica", "B" if bold else "", size)
        self.set_xy(x, y)
        self.cell(0, 4.5, _latin1(text))

    def labelled(self, x: float, y: float, label: str, value: str) -> None:
        self.write_at(x, y, label, 7)
        self.write_at(x, y + 3.5, value, 9, bold=True)


def _head(page: _Page, doc: dict[str, Any], title: str, facts: list[tuple[str, str]], lang: str) -> float:
    seller, buyer = doc["seller"], doc["buyer"]
    page.write_at(15, 15, seller["name"], 12, bold=True)
    page.write_at(15, 21, f"{word('business_id', lang)} {seller['business_id']}")
    page.write_at(120, 15, title, 14, bold=True)
    for row, (label, value) in enumerate(facts):
        page.labelled(120, 24 + row * 8.5, label, value)
    page.write_at(15, 40, word("buyer", lang), 7)
    page.write_at(15, 44, buyer["name"], 10, bold=True)
    page.write_at(15, 49, f"{word('business_id', lang)} {buyer['business_id']}")
    e_invoicing = buyer.get("e_invoicing")
    if e_invoicing:
        page.write_at(15, 56, word("e_invoice", lang), 7)
        page.write_at(15, 59.5, f"{e_invoicing['address']} / {e_invoicing['operator']}")
    return 24 + len(facts) * 8.5 + 6


def _lines(page: _Page, invoice: dict[str, Any], top: float, lang: str) -> float:
    """The invoice lines: net, VAT rate, VAT and total where the invoice carries a rate."""
    vat = invoice.get("vat")
    rated = vat is not None and vat["rate"] is not None
    columns = [(15, word("description", lang)), (115, word("net", lang))]
    if rated:
        columns += [(140, word("vat_rate", lang)), (155, word("vat", lang)), (175, word("gross", lang))]
    for x, label in columns:
        page.write_at(x, top, label, 8, bold=True)
    page.line(15, top + 5, 195, top + 5)
    y = top + 6
    for index, line in enumerate(invoice["lines"]):
        page.write_at(15, y, line["description"][:60], 8)
        page.write_at(115, y, amount_text(line["amount"], lang), 8)
        if rated:
            line_vat = Decimal(vat["lines"][index])
            page.write_at(140, y, rate_text(vat["rate"], lang), 8)
            page.write_at(155, y, amount_text(line_vat, lang), 8)
            page.write_at(175, y, amount_text(Decimal(line["amount"]) + line_vat, lang), 8)
        y += 5
    page.line(15, y + 1, 195, y + 1)
    return y + 3


def _totals(page: _Page, invoice: dict[str, Any], y: float, lang: str) -> None:
    vat = invoice.get("vat")
    if vat is not None and vat["rate"] is not None:
        page.labelled(115, y, word("total_net", lang), amount_text(vat["net"], lang))
        page.labelled(115, y + 9, f"{word('total_vat', lang)} {rate_text(vat['rate'], lang)} %",
                      amount_text(vat["vat"], lang))
        y += 18
    elif vat is not None:
        page.write_at(15, y, f"{word('outside_vat', lang)}. {word('reason', lang)}: {vat['reason']}"[:110], 8)
    page.labelled(115, y, f"{word('total_due', lang)} EUR", amount_text(invoice["amount"], lang))


def render_invoice(doc: dict[str, Any], lang: str = "fi", reference_form: str = "national") -> bytes:
    """An invoice with its giro slip; ``reference_form`` "rf" prints the RF reference and bar code
    version 5 instead of the national reference and version 4."""
    invoice, seller = doc["invoice"], doc["seller"]
    reference = invoice["rf_reference"] if reference_form == "rf" else invoice["reference"]
    shown_reference = invoice["rf_reference"] if reference_form == "rf" else invoice["reference_grouped"]
    buyer_reference = (doc["buyer"].get("e_invoicing") or {}).get("buyer_reference")
    facts = [(word("number", lang), invoice["number"]),
             (word("issued_on", lang), date_text(invoice["issued_on"], lang)),
             (word("due_on", lang), date_text(invoice["due_on"], lang)),
             (word("reference", lang), shown_reference),
             (word("agreement", lang), doc["agreement"]["code"])]
    if buyer_reference:
        facts.append((word("buyer_reference", lang), buyer_reference))
    page = _Page()
    top = _head(page, doc, word("invoice", lang), facts, lang)
    _totals(page, invoice, _lines(page, invoice, max(top, 70), lang), lang)
    _slip(page, doc, reference, shown_reference)
    return bytes(page.output())


def render_credit_note(doc: dict[str, Any], note: dict[str, Any], lang: str = "fi") -> bytes:
    """A credit note of an invoice: what it takes back (and the VAT of it), with no giro slip."""
    invoice = doc["invoice"]
    facts = [(word("credit_note_number", lang), note["number"]),
             (word("original", lang), invoice["number"]),
             (word("issued_on", lang), date_text(note["issued_on"], lang)),
             (word("agreement", lang), doc["agreement"]["code"])]
    page = _Page()
    top = max(_head(page, doc, word("credit_note", lang), facts, lang), 70)
    page.write_at(15, top, f"{word('reason', lang)}: {note['reason']}"[:110], 9)
    y = top + 8
    vat = note.get("vat")
    if vat is not None:
        page.labelled(115, y, word("total_net", lang), amount_text(-Decimal(vat["net"]), lang))
        page.labelled(115, y + 9, f"{word('total_vat', lang)} {rate_text(vat['rate'], lang)} %",
                      amount_text(-Decimal(vat["vat"]), lang))
        y += 18
    page.labelled(115, y, f"{word('gross', lang)} EUR", amount_text(-Decimal(note["amount"]), lang))
    page.write_at(15, y + 12, word("no_payment", lang), 9, bold=True)
    return bytes(page.output())


def _slip(page: _Page, doc: dict[str, Any], reference: str, shown_reference: str) -> None:
    """The giro slip, in Finnish and Swedish as the form is, with the bar code and the QR code."""
    invoice, seller = doc["invoice"], doc["seller"]
    amount = Decimal(invoice["amount"])
    top = SLIP_TOP_MM
    page.set_dash_pattern(dash=1, gap=1)
    page.line(0, top - 4, 210, top - 4)
    page.set_dash_pattern()
    iban = " ".join(seller["iban"][i:i + 4] for i in range(0, len(seller["iban"]), 4))
    page.labelled(15, top, "Saajan tilinumero / Mottagarens kontonummer", f"{iban}   BIC {seller['bic']}")
    page.labelled(15, top + 10, "Saaja / Mottagare", seller["name"])
    page.labelled(15, top + 20, "Maksaja / Betalare", doc["buyer"]["name"])
    page.labelled(100, top + 34, "Viitenro / Ref.nr", shown_reference)
    page.labelled(100, top + 44, "Eräpäivä / Förfallodag", date_text(invoice["due_on"], "fi"))
    page.labelled(100, top + 54, "Euro", amount_text(amount, "fi"))
    qr = epc_qr(name=seller["name"], iban=seller["iban"], bic=seller["bic"], amount=amount,
                rf_reference=invoice["rf_reference"])
    _draw_qr(page, qr.matrix, 160, top, QR_SIZE_MM)
    digits = virtual_barcode(seller["iban"], amount, reference, _date(invoice["due_on"]))
    _draw_bars(page, code128_modules(digits), 20, top + 70)
    page.write_at(20, top + 70 + BAR_HEIGHT_MM + 1, digits, 7)


def _draw_bars(page: _Page, modules: str, x: float, y: float) -> None:
    page.set_fill_color(0, 0, 0)
    start = None
    for index, bit in enumerate(modules + "0"):
        if bit == "1" and start is None:
            start = index
        elif bit == "0" and start is not None:
            page.rect(x + start * BAR_MODULE_MM, y, (index - start) * BAR_MODULE_MM, BAR_HEIGHT_MM, style="F")
            start = None


def _draw_qr(page: _Page, matrix: Any, x: float, y: float, size: float) -> None:
    page.set_fill_color(0, 0, 0)
    step = size / len(matrix)
    for row, cells in enumerate(matrix):
        for column, dark in enumerate(cells):
            if dark:
                page.rect(x + column * step, y + row * step, step, step, style="F")


def _date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
