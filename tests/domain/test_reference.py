"""Finnish payment references and their RF form (R-INV-3)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import iso11649

from domain.kernel.errors import InvalidInput
from domain.kernel.references import check_digit, grouped, is_valid_national, national, normalise, rf


@pytest.mark.parametrize(("base", "reference"), [
    ("1234561", "12345614"),  # the banks' example in the issue
    ("234823", "2348236"),  # the reference in Finanssiala's RF example RF33 2348 236
    ("123", "1232"),  # the shortest reference: three digits and the check digit
    ("100", "1009"),
    ("1000000000000000000", "10000000000000000003"),  # the longest: 19 digits and the check digit
])
def test_check_digit_weights_7_3_1_from_the_right(base: str, reference: str) -> None:
    assert national(base) == reference
    assert is_valid_national(reference)


def test_finanssiala_rf_example_carries_a_finnish_reference() -> None:
    assert rf("2348236") == "RF332348236"
    assert normalise("RF33 2348 236") == "2348236"


def test_rf_form_of_an_invoice_reference_is_valid_iso_11649() -> None:
    reference = national("12025" + "00001")
    assert iso11649.is_valid(rf(reference))
    assert normalise(rf(reference)) == reference
    assert normalise(grouped(reference)) == reference


@pytest.mark.parametrize("bad", ["12345615", "1234 5613", "RF34 2348 236", "12", "abcd", "RF", ""])
def test_a_reference_with_a_wrong_check_digit_or_shape_is_refused(bad: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalise(bad)
    assert caught.value.code == "invalid_reference"


@pytest.mark.parametrize("base", ["12", "1" * 20, "12a4", "١٢٣"])
def test_check_digit_needs_3_to_19_ascii_digits(base: str) -> None:
    with pytest.raises(InvalidInput):
        check_digit(base)


@given(st.text(alphabet="0123456789", min_size=3, max_size=19), st.integers(0, 9))
def test_every_national_reference_validates_and_any_other_last_digit_does_not(base: str, digit: int
                                                                              ) -> None:
    reference = national(base)
    assert is_valid_national(reference)
    assert iso11649.is_valid(rf(reference))
    assert is_valid_national(base + str(digit)) == (str(digit) == reference[-1])


def test_grouped_prints_groups_of_five_from_the_right() -> None:
    assert grouped("12025000015") == "1 20250 00015"
