"""The words on invoice documents, in Finnish (the default), Swedish and English, and how figures are
written in each (a decimal comma in Finnish and Swedish)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

LANGUAGES = ("fi", "sv", "en")

_WORDS: dict[str, tuple[str, str, str]] = {
    "invoice": ("LASKU", "FAKTURA", "INVOICE"),
    "credit_note": ("HYVITYSLASKU", "KREDITFAKTURA", "CREDIT NOTE"),
    "seller": ("Myyjä", "Säljare", "Seller"),
    "buyer": ("Ostaja", "Köpare", "Buyer"),
    "business_id": ("Y-tunnus", "FO-nummer", "Business ID"),
    "number": ("Laskun numero", "Fakturanummer", "Invoice number"),
    "credit_note_number": ("Hyvityslaskun numero", "Kreditfakturans nummer", "Credit note number"),
    "original": ("Hyvitettävä lasku", "Krediterad faktura", "Invoice credited"),
    "issued_on": ("Laskun päivä", "Fakturadatum", "Invoice date"),
    "due_on": ("Eräpäivä", "Förfallodag", "Due date"),
    "reference": ("Viitenumero", "Referensnummer", "Reference"),
    "buyer_reference": ("Ostajan viite", "Köparens referens", "Buyer reference"),
    "agreement": ("Sopimus", "Avtal", "Agreement"),
    "e_invoice": ("Verkkolaskuosoite / operaattori", "E-fakturaadress / operatör", "E-invoice address / operator"),
    "description": ("Selite", "Beskrivning", "Description"),
    "net": ("Veroton", "Exkl. moms", "Net"),
    "vat_rate": ("Alv %", "Moms %", "VAT %"),
    "vat": ("Alv", "Moms", "VAT"),
    "gross": ("Yhteensä", "Totalt", "Total"),
    "total_net": ("Veroton yhteensä", "Exkl. moms totalt", "Total before VAT"),
    "total_vat": ("Arvonlisävero", "Mervärdesskatt", "Value added tax"),
    "total_due": ("Maksettava yhteensä", "Att betala", "Amount due"),
    "outside_vat": ("Ei arvonlisäveroa", "Ingen mervärdesskatt", "Outside VAT"),
    "reason": ("Peruste", "Grund", "Reason"),
    "iban": ("IBAN", "IBAN", "IBAN"),
    "bic": ("BIC", "BIC", "BIC"),
    "no_payment": ("Hyvityslasku: ei maksettavaa", "Kreditfaktura: inget att betala",
                   "Credit note: nothing to pay"),
}


def word(key: str, lang: str) -> str:
    """A label in a language."""
    return _WORDS[key][LANGUAGES.index(lang)]


def amount_text(amount: Decimal | str, lang: str) -> str:
    """An amount with two decimals, grouped by thousands: 12 500,00 (fi, sv) or 12,500.00 (en)."""
    text = f"{Decimal(amount):,.2f}"
    return text if lang == "en" else text.replace(",", " ").replace(".", ",")


def rate_text(rate: Decimal | str, lang: str) -> str:
    """A VAT rate without trailing zeros: 25,5 (fi, sv) or 25.5 (en)."""
    text = format(Decimal(rate).normalize(), "f")
    return text if lang == "en" else text.replace(".", ",")


def date_text(day: date | str, lang: str) -> str:
    """A date as the language writes it: 22.9.2025 (fi, sv) or 2025-09-22 (en)."""
    value = day if isinstance(day, date) else date.fromisoformat(day)
    return value.isoformat() if lang == "en" else f"{value.day}.{value.month}.{value.year}"
