"""Finnish payment references (viitenumero, 7-3-1 check digit) and their RF form (ISO 11649)."""

from __future__ import annotations

from stdnum import iso11649
from stdnum.exceptions import ValidationError
from stdnum.iso7064 import mod_97_10

from domain.kernel.errors import InvalidInput

_WEIGHTS = (7, 3, 1)
MAX_REFERENCE_CHARS = 35  # the longest form a bank statement may carry, spaces included


def check_digit(base: str) -> str:
    """The 7-3-1 check digit of a reference base of 3 to 19 digits (Finanssiala's rule).

    Digits are weighted 7, 3, 1, 7, 3, 1, … from the right; the check digit takes the sum up to the
    next multiple of ten (0 when the sum already is one).
    """
    if not base.isascii() or not base.isdigit() or not 3 <= len(base) <= 19:
        raise InvalidInput("a reference base has 3 to 19 digits", code="invalid_reference")
    total = sum(int(digit) * _WEIGHTS[i % 3] for i, digit in enumerate(reversed(base)))
    return str(-total % 10)


def national(base: str) -> str:
    """The Finnish reference for a base: the base followed by its check digit."""
    return base + check_digit(base)


def rf(reference: str) -> str:
    """The RF creditor reference (ISO 11649) carrying a Finnish reference."""
    return "RF" + mod_97_10.calc_check_digits(reference + "RF") + reference


def is_valid_national(reference: str) -> bool:
    """Whether a compact Finnish reference (4 to 20 digits) has the right check digit."""
    if not reference.isascii() or not reference.isdigit() or not 4 <= len(reference) <= 20:
        return False
    return check_digit(reference[:-1]) == reference[-1]


def normalise(text: str) -> str:
    """The compact Finnish reference a payment names, from either form; spaces are ignored.

    An RF reference is checked by ISO 11649 and reduced to the Finnish reference it carries.
    """
    if not isinstance(text, str) or not 0 < len(text) <= MAX_REFERENCE_CHARS:
        raise InvalidInput("a reference is 1 to 35 characters", code="invalid_reference")
    compact = "".join(text.split()).upper()
    if compact.startswith("RF"):
        try:
            compact = iso11649.validate(compact)[4:]
        except ValidationError as exc:
            raise InvalidInput(f"{text!r} is not a valid RF reference: {exc}",
                               code="invalid_reference") from exc
    if not is_valid_national(compact):
        raise InvalidInput(f"{text!r} is not a valid Finnish reference number", code="invalid_reference")
    return compact.lstrip("0") or "0"


def grouped(reference: str) -> str:
    """A Finnish reference in groups of five from the right, as printed on a giro slip."""
    groups = []
    while reference:
        groups.insert(0, reference[-5:])
        reference = reference[:-5]
    return " ".join(groups)
