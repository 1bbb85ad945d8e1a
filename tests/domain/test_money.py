"""Money in cents: parsing, rounding, and exact largest-remainder splits (R-ACC-3, R-INV-1)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.kernel.errors import DomainError, InvalidInput
from domain.kernel.money import from_cents, money, round_cents, split
from domain.agreements.terms import Instalment, instalment_amounts

PROPERTY = settings(deadline=None, max_examples=200)


# money() ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("12500.00", "12500.00"),
    ("12.5", "12.50"),
    ("-3.10", "-3.10"),
    ("0", "0.00"),
])
def test_money_accepts_amounts_with_at_most_two_decimals_and_keeps_two(text: str, expected: str) -> None:
    amount = money(text)
    assert isinstance(amount, Decimal)
    assert amount == Decimal(expected)
    assert str(amount) == expected


def test_money_of_12_5_is_twelve_euros_fifty_cents() -> None:
    assert money("12.5") == Decimal("12.50")
    assert money("12.5").as_tuple().exponent == -2


@pytest.mark.parametrize("value", ["12.345", "1e3", "NaN", "", " 1.00", "1.00 ", "1,00", "+1.00",
                                   "Infinity", "12345678901234.00"])
def test_money_refuses_malformed_strings_as_invalid_amount(value: str) -> None:
    with pytest.raises(InvalidInput) as err:
        money(value)
    assert err.value.code == "invalid_amount"


@pytest.mark.parametrize("value", [1.5, 3, True, False, None])
def test_money_refuses_floats_ints_and_bools_as_invalid_amount(value: object) -> None:
    with pytest.raises(InvalidInput) as err:
        money(value)  # type: ignore[arg-type]
    assert err.value.code == "invalid_amount"


def test_money_refuses_a_decimal_with_fractions_of_a_cent() -> None:
    with pytest.raises(DomainError) as err:
        money(Decimal("0.001"))
    assert err.value.code == "invalid_amount"


# round_cents() --------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    (Decimal("0.005"), "0.01"),
    (Decimal("-0.005"), "-0.01"),
    (Decimal("0.004"), "0.00"),
    (Decimal("2.675"), "2.68"),
    (Decimal("-2.675"), "-2.68"),
    (Decimal("12500"), "12500.00"),
])
def test_round_cents_rounds_half_away_from_zero(value: Decimal, expected: str) -> None:
    assert round_cents(value) == Decimal(expected)
    assert str(round_cents(value)) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (Fraction(1, 200), "0.01"),       # exactly half a cent
    (Fraction(-1, 200), "-0.01"),
    (Fraction(1, 3), "0.33"),
    (Fraction(2, 3), "0.67"),
    (Fraction(100, 3), "33.33"),
    (Fraction(540000000 * 11000, 86338 * 100), "687993.70"),
])
def test_round_cents_works_on_exact_fractions(value: Fraction, expected: str) -> None:
    assert round_cents(value) == Decimal(expected)


def test_round_cents_of_a_fraction_just_below_half_a_cent_rounds_down() -> None:
    """An exact value a hair below a half cent must round down, not be rounded twice.

    round_cents divides numerator by denominator at the Decimal context's 28 digits first, which
    turns 0.00499999…(40 digits) into 0.005 and then rounds that up.
    """
    just_below = Fraction(1, 200) - Fraction(1, 10**40)
    assert round_cents(just_below) == Decimal("0.00")
    assert round_cents(-just_below) == Decimal("0.00")


# split() ------------------------------------------------------------------------------------

cents_totals = st.integers(min_value=-(10**11), max_value=10**11)
weight_values = st.one_of(
    st.integers(min_value=0, max_value=10**9),
    st.fractions(min_value=0, max_value=10**6, max_denominator=10**6),
)
weight_dicts = st.dictionaries(
    keys=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=6),
    values=weight_values, min_size=1, max_size=30,
).filter(lambda weights: any(w > 0 for w in weights.values()))


@PROPERTY
@given(total_cents=cents_totals, weights=weight_dicts)
def test_split_parts_sum_exactly_to_the_total(total_cents: int, weights: dict[str, Fraction | int]) -> None:
    """R-ACC-3: splits are in cents and sum to the total exactly."""
    total = from_cents(total_cents)
    parts = split(total, weights)
    assert set(parts) == set(weights)
    assert sum(parts.values(), Decimal("0.00")) == total
    assert all(part == part.quantize(Decimal("0.01")) for part in parts.values())


@PROPERTY
@given(total_cents=cents_totals, weights=weight_dicts)
def test_split_gives_each_key_its_exact_quota_within_one_cent(total_cents: int,
                                                             weights: dict[str, Fraction | int]) -> None:
    """R-ACC-3: largest remainder gives each key the floor or the ceiling of its quota."""
    weight_sum = sum(Fraction(w) for w in weights.values())
    parts = split(from_cents(total_cents), weights)
    for key, weight in weights.items():
        quota_cents = Fraction(total_cents) * Fraction(weight) / weight_sum
        part_cents = Fraction(parts[key]) * 100
        assert abs(part_cents - quota_cents) < 1, (key, parts[key], quota_cents)
        if weight == 0:
            assert parts[key] == 0


@PROPERTY
@given(data=st.data(), total_cents=cents_totals, weights=weight_dicts)
def test_split_does_not_depend_on_the_order_the_weights_are_given_in(
        data: st.DataObject, total_cents: int, weights: dict[str, Fraction | int]) -> None:
    """R-ACC-3: ties are broken by a stated, deterministic order, never by dict insertion order."""
    total = from_cents(total_cents)
    shuffled = dict(data.draw(st.permutations(list(weights.items()))))
    assert split(total, shuffled) == split(total, weights)
    order = data.draw(st.permutations(sorted(weights)))
    assert split(total, shuffled, order=list(order)) == split(total, weights, order=list(order))


@PROPERTY
@given(data=st.data(), n_keys=st.integers(min_value=1, max_value=30),
       total_cents=st.integers(min_value=-(10**11), max_value=10**11))
def test_split_with_equal_weights_gives_the_extra_cents_to_the_first_keys_in_order(
        data: st.DataObject, n_keys: int, total_cents: int) -> None:
    """R-ACC-3: on equal remainders the key that comes first in ``order`` gets the cent."""
    keys = [f"k{i:02d}" for i in range(n_keys)]
    order = list(data.draw(st.permutations(keys)))
    parts = split(from_cents(total_cents), {k: 1 for k in keys}, order=order)
    sign = -1 if total_cents < 0 else 1
    base, extra = divmod(abs(total_cents), n_keys)
    expected = {k: from_cents(sign * (base + (1 if i < extra else 0))) for i, k in enumerate(order)}
    assert parts == expected


def test_100_euros_over_3_equal_keys_gives_the_extra_cent_to_the_first_key_in_order() -> None:
    """R-ACC-3: tie broken by the stated order."""
    parts = split(Decimal("100.00"), {"a": 1, "b": 1, "c": 1}, order=["c", "a", "b"])
    assert parts == {"c": Decimal("33.34"), "a": Decimal("33.33"), "b": Decimal("33.33")}


def test_100_euros_over_3_equal_keys_without_order_gives_the_extra_cent_to_the_smallest_key() -> None:
    """R-ACC-3: without an order, ties go by sorted keys, whatever the insertion order."""
    parts = split(Decimal("100.00"), {"c": 1, "b": 1, "a": 1})
    assert parts == {"a": Decimal("33.34"), "b": Decimal("33.33"), "c": Decimal("33.33")}


def test_minus_100_euros_over_3_equal_keys_gives_the_extra_cent_to_the_first_key_in_order() -> None:
    parts = split(Decimal("-100.00"), {"a": 1, "b": 1, "c": 1}, order=["b", "c", "a"])
    assert parts == {"b": Decimal("-33.34"), "c": Decimal("-33.33"), "a": Decimal("-33.33")}


def test_split_gives_left_over_cents_to_the_largest_remainders_first() -> None:
    # quotas in cents: 10 * 1/6 = 1.667, 10 * 2/6 = 3.333, 10 * 3/6 = 5  -> 2, 3, 5
    parts = split(Decimal("0.10"), {"a": 1, "b": 2, "c": 3}, order=["b", "c", "a"])
    assert parts == {"a": Decimal("0.02"), "b": Decimal("0.03"), "c": Decimal("0.05")}


def test_split_of_zero_gives_zero_to_everyone() -> None:
    assert split(Decimal("0.00"), {"a": 1, "b": 3}) == {"a": Decimal("0.00"), "b": Decimal("0.00")}


def test_split_refuses_empty_weights() -> None:
    with pytest.raises(InvalidInput) as err:
        split(Decimal("100.00"), {})
    assert err.value.code == "empty_split"


@pytest.mark.parametrize("weights", [{"a": -1, "b": 2}, {"a": Fraction(-1, 3), "b": 1},
                                     {"a": Decimal("-0.01")}])
def test_split_refuses_negative_weights(weights: dict[str, object]) -> None:
    with pytest.raises(InvalidInput) as err:
        split(Decimal("100.00"), weights)  # type: ignore[arg-type]
    assert err.value.code == "invalid_weight"


@pytest.mark.parametrize("weights", [{"a": 0}, {"a": 0, "b": Fraction(0), "c": Decimal("0")}])
def test_split_refuses_weights_that_are_all_zero(weights: dict[str, object]) -> None:
    with pytest.raises(InvalidInput) as err:
        split(Decimal("100.00"), weights)  # type: ignore[arg-type]
    assert err.value.code == "invalid_weight"


# instalment_amounts() (domain/terms.py) ----------------------------------------------------------

@st.composite
def plans(draw: st.DrawFn) -> tuple[Instalment, ...]:
    """1 to 6 instalments on increasing dates, with Fraction shares that sum to exactly 1."""
    raw = draw(st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=6))
    start = date(2025, 1, 1)
    gaps = draw(st.lists(st.integers(min_value=1, max_value=120), min_size=len(raw), max_size=len(raw)))
    days = [sum(gaps[: i + 1]) for i in range(len(raw))]
    shares = [Fraction(w, sum(raw)) for w in raw]
    assert sum(shares) == 1
    return tuple(Instalment(start + timedelta(days=d), s) for d, s in zip(days, shares, strict=True))


@PROPERTY
@given(share_cents=st.integers(min_value=0, max_value=10**11), plan=plans())
def test_a_share_split_over_its_instalments_sums_exactly_to_the_share(
        share_cents: int, plan: tuple[Instalment, ...]) -> None:
    """R-INV-1: a share split over instalments sums to the share exactly."""
    share = from_cents(share_cents)
    amounts = instalment_amounts(share, plan)
    assert len(amounts) == len(plan)
    assert sum(amounts, Decimal("0.00")) == share
    for amount, inst in zip(amounts, plan, strict=True):
        assert abs(Fraction(amount) - Fraction(share) * inst.share) < Fraction(1, 100)


def test_lyhty_share_of_25000_in_two_halves_is_12500_each() -> None:
    """R-INV-1: Lyhty invoices two equal instalments."""
    plan = (Instalment(date(2025, 9, 1), Fraction(1, 2)), Instalment(date(2026, 1, 15), Fraction(1, 2)))
    assert instalment_amounts(Decimal("25000.00"), plan) == [Decimal("12500.00"), Decimal("12500.00")]


def test_an_odd_cent_in_two_halves_goes_to_the_first_instalment() -> None:
    """R-INV-1 / R-ACC-3: 10,000.01 in halves is 5,000.01 then 5,000.00."""
    plan = (Instalment(date(2025, 9, 1), Fraction(1, 2)), Instalment(date(2026, 1, 15), Fraction(1, 2)))
    assert instalment_amounts(Decimal("10000.01"), plan) == [Decimal("5000.01"), Decimal("5000.00")]


def test_a_share_in_three_thirds_gives_the_extra_cents_to_the_earliest_instalments() -> None:
    plan = tuple(Instalment(date(2021 + i, 1, 15), Fraction(1, 3)) for i in range(3))
    assert instalment_amounts(Decimal("100.00"), plan) == [
        Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert instalment_amounts(Decimal("0.02"), plan) == [
        Decimal("0.01"), Decimal("0.01"), Decimal("0.00")]


def test_shuffling_a_dict_of_weights_by_hand_does_not_change_a_split() -> None:
    rng = random.Random(20250901)
    weights = {f"p{i}": rng.randint(0, 50) for i in range(25)} | {"p_last": 1}
    items = list(weights.items())
    expected = split(Decimal("1234567.89"), weights)
    for _ in range(20):
        rng.shuffle(items)
        assert split(Decimal("1234567.89"), dict(items)) == expected


def test_money_refuses_a_decimal_beyond_the_range_as_invalid_amount() -> None:
    for value in (Decimal("1E+30"), Decimal("-1E+13"), Decimal("Infinity")):
        with pytest.raises(DomainError) as err:
            money(value)
        assert err.value.code == "invalid_amount"


def test_round_cents_refuses_a_result_beyond_the_range() -> None:
    with pytest.raises(DomainError) as err:
        round_cents(Decimal("12345678901.23") * Decimal("123456789012345.67"))
    assert err.value.code == "invalid_amount"
