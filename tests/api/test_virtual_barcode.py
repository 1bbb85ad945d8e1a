"""The giro slip's virtual bar code (Finance Finland's pankkiviivakoodi specification), versions 4 and 5."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from api.documents.barcode import code128_modules, virtual_barcode
from domain.kernel.references import rf


def test_version_4_matches_the_specifications_own_example() -> None:
    """FI79 4405 2020 0360 82, 4,883.15 €, reference 86851 62596 19897, due 12.6.2010."""
    assert virtual_barcode("FI7944052020036082", Decimal("4883.15"), "868516259619897", date(2010, 6, 12)) == \
        "479440520200360820048831500000000868516259619897100612"


def test_version_5_carries_the_rf_check_digits_and_a_21_digit_reference() -> None:
    """RF form of the same reference: version 5, the RF check digits, then the reference padded to 21."""
    reference = rf("868516259619897")
    digits = virtual_barcode("FI7944052020036082", Decimal("4883.15"), reference, date(2010, 6, 12))
    assert digits == f"5794405202003608200488315{reference[2:4]}{'868516259619897'.zfill(21)}100612"


def test_amounts_beyond_the_field_and_a_missing_due_date_are_zeros() -> None:
    """An amount above 999,999.99 is left for the payer to type; no due date is 000000."""
    digits = virtual_barcode("FI7944052020036082", Decimal("1000000.00"), "13", None)
    assert digits[17:25] == "00000000" and digits[48:] == "000000"


def test_the_bar_code_needs_a_finnish_iban_and_is_code_128_of_the_54_digits() -> None:
    """Code 128 set C: 27 digit pairs, start, check and stop: (27 + 3) × 11 + 2 modules."""
    with pytest.raises(ValueError):
        virtual_barcode("DE89370400440532013000", Decimal("1.00"), "13", None)
    assert len(code128_modules("4" * 54)) == 332
