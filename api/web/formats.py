"""Money, dates and percentages as each language writes them; the language a request is answered in.

Finnish writes 12 500,00 € and 1.9.2025, with a no-break space between thousands and before the euro
sign (CLDR fi); Swedish the same amounts with 2025-09-01; English €12,500.00 and 1 Sep 2025. Amounts
arrive as the API's money strings and are formatted from Decimal, never from float.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request

LANGUAGES = ("fi", "en", "sv")
DEFAULT = "fi"
LANG_COOKIE = "ledger_lang"
NBSP = "\u00a0"
MINUS = "\u2212"
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAX_ACCEPT_LANGUAGE = 200


def language_of(request: Request) -> str:
    """``?lang=`` (the switch), else the cookie the switch set, else the browser's Accept-Language."""
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return from_accept_language(request.headers.get("accept-language", ""))


def from_accept_language(header: str) -> str:
    """The first supported language of an Accept-Language header by its q-weights; Finnish otherwise."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header[:MAX_ACCEPT_LANGUAGE].split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        language = tag.strip().lower().split("-")[0]
        if language in LANGUAGES and weight > 0:
            ranked.append((-weight, index, language))
    return min(ranked)[2] if ranked else DEFAULT


def _grouped(whole: str, separator: str) -> str:
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return separator.join([whole, *groups])


def money(value: Any, lang: str) -> str:
    """A money string as the language writes it: ``12 500,00 €`` (fi, sv) or ``€12,500.00`` (en)."""
    if value is None or value == "":
        return "–"
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return str(value)
    sign = MINUS if amount < 0 else ""
    whole, _, cents = f"{abs(amount):.2f}".partition(".")
    if lang == "en":
        return f"{sign}€{_grouped(whole, ',')}.{cents}"
    return f"{sign}{_grouped(whole, NBSP)},{cents}{NBSP}€"


def day(value: Any, lang: str) -> str:
    """A business date: ``1.9.2025`` (fi), ``2025-09-01`` (sv), ``1 Sep 2025`` (en)."""
    if value is None or value == "":
        return "–"
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value)[:10])
        except ValueError:
            return str(value)
    if lang == "fi":
        return f"{value.day}.{value.month}.{value.year}"
    if lang == "sv":
        return value.isoformat()
    return f"{value.day} {_MONTHS_EN[value.month - 1]} {value.year}"


def percent(value: Any, lang: str) -> str:
    """A percentage string (``"12.5"``) as ``12,5 %`` (fi, sv) or ``12.5%`` (en)."""
    if value is None or value == "":
        return "–"
    text = str(value)
    return f"{text}%" if lang == "en" else f"{text.replace('.', ',')}{NBSP}%"
