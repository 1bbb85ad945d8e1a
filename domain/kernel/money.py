"""Money: Decimal amounts in whole cents, built from strings, and exact largest-remainder splits."""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import TypeVar

from domain.kernel.errors import InvalidInput

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# 10^13 euros is far beyond any public budget; the bound keeps every figure exact in cents.
MAX_ABS_CENTS = 10**15
# One amount given to the ledger (a payment, an invoice, a cost, a fee) is at most this either way, a
# hundredth of MAX_ABS_CENTS: no sum the ledger keeps (a figure, a journal balance in 64-bit cents)
# comes near an overflow. Checked at the edges (the API's Money, check_input_amount in the commands).
MAX_INPUT_AMOUNT = Decimal("999999999999.99")
# ASCII digits only: ``\d`` alone also matches Arabic-Indic and full-width digits.
_AMOUNT = re.compile(r"^-?[0-9]{1,13}(\.[0-9]{1,2})?$", re.ASCII)

K = TypeVar("K", bound=Hashable)


def money(value: str | Decimal) -> Decimal:
    """Parse an amount given as a string with at most two decimals (or an exact Decimal)."""
    if isinstance(value, bool) or not isinstance(value, (str, Decimal)):
        raise InvalidInput(f"amount must be a string, not {type(value).__name__}", code="invalid_amount")
    if isinstance(value, str):
        if not _AMOUNT.match(value):
            raise InvalidInput(f"amount {value!r} is not a number with at most two decimals",
                               code="invalid_amount")
        value = Decimal(value)
    if not value.is_finite() or abs(value) >= Decimal(MAX_ABS_CENTS) / 100:
        raise InvalidInput(f"amount {value} is out of range", code="invalid_amount")
    amount = value.quantize(CENT, rounding=ROUND_HALF_UP)
    if amount != value:
        raise InvalidInput(f"amount {value} is not in whole cents", code="invalid_amount")
    return amount


def check_input_amount(amount: Decimal) -> Decimal:
    """Refuse an amount given to the ledger beyond MAX_INPUT_AMOUNT either way (422 ``amount_out_of_range``)."""
    if abs(amount) > MAX_INPUT_AMOUNT:
        raise InvalidInput(f"amount {amount} is beyond the largest amount the ledger takes, {MAX_INPUT_AMOUNT}",
                           code="amount_out_of_range")
    return amount


def fmt(amount: Decimal) -> str:
    """Render an amount as the contract's string form, always two decimals ("12500.00")."""
    return f"{amount.quantize(CENT):.2f}"


def to_cents(amount: Decimal) -> int:
    """Whole cents of an amount that is already in cents."""
    cents = amount * 100
    assert cents == cents.to_integral_value(), f"{amount} is not in whole cents"
    return int(cents)


def from_cents(cents: int) -> Decimal:
    """The amount of a whole number of cents."""
    return (Decimal(cents) / 100).quantize(CENT)


def round_cents(value: Decimal | Fraction) -> Decimal:
    """Round an exact value to cents, half away from zero (used only where rounding is unavoidable).

    Fractions are rounded exactly, in integers: a Decimal division first would round to the
    context's precision and could turn a value just below half a cent into exactly half a cent.
    """
    exact = Fraction(value) if isinstance(value, Decimal) else value
    if isinstance(value, Decimal) and not value.is_finite():
        raise InvalidInput(f"amount {value} is not finite", code="invalid_amount")
    hundredths = abs(exact) * 100
    cents = (2 * hundredths.numerator + hundredths.denominator) // (2 * hundredths.denominator)
    if cents >= MAX_ABS_CENTS:
        raise InvalidInput(f"amount {value} is out of range", code="invalid_amount")
    return from_cents(-cents if exact < 0 else cents)


def parse_fraction(text: str) -> Fraction:
    """Parse a share such as "1/2", "0.5" or "1" into an exact fraction."""
    if not isinstance(text, str) or not re.match(r"^\d{1,9}(/\d{1,9}|\.\d{1,9})?$", text):
        raise InvalidInput(f"share {text!r} is not a fraction like '1/2' or '0.5'", code="invalid_share")
    try:
        return Fraction(text)
    except ZeroDivisionError as exc:
        raise InvalidInput(f"share {text!r} divides by zero", code="invalid_share") from exc


def fmt_fraction(value: Fraction) -> str:
    """Render a fraction as "n/d" (or "n" when whole)."""
    return str(value)


def split(total: Decimal, weights: Mapping[K, Decimal | Fraction | int], order: list[K] | None = None
          ) -> dict[K, Decimal]:
    """Split ``total`` by ``weights`` so that the parts sum to it exactly.

    Largest remainder: every key first gets the floor of its exact quota in cents; the cents left
    over go one each to the keys with the largest fractional remainders. Ties go to the key that
    comes first in ``order`` (by default the keys sorted ascending), so the result depends only on
    the weights, never on the order in which they were given.
    """
    if not weights:
        raise InvalidInput("nothing to split over", code="empty_split")
    exact = {key: Fraction(weight) for key, weight in weights.items()}
    if any(weight < 0 for weight in exact.values()):
        raise InvalidInput("split weights must not be negative", code="invalid_weight")
    weight_sum = sum(exact.values())
    if weight_sum == 0:
        raise InvalidInput("split weights must not all be zero", code="invalid_weight")
    sign = -1 if total < 0 else 1
    total_cents = abs(to_cents(money(total)))
    quotas = {key: total_cents * weight / weight_sum for key, weight in exact.items()}
    floors = {key: quota.numerator // quota.denominator for key, quota in quotas.items()}
    left_over = total_cents - sum(floors.values())
    rank = {key: i for i, key in enumerate(order if order is not None else sorted(exact))}
    assert len(rank) == len(exact) and set(rank) == set(exact), "order must name every key once"
    by_remainder = sorted(exact, key=lambda key: (-(quotas[key] - floors[key]), rank[key]))
    for key in by_remainder[:left_over]:
        floors[key] += 1
    parts = {key: from_cents(sign * cents) for key, cents in floors.items()}
    assert sum(parts.values(), ZERO) == money(total), "a split must sum to its total"
    return parts
