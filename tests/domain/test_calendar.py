"""The Finnish calendar of the kernel: days off under the Act on calculating time limits (150/1930) and
banking days, which move the end of a cure period (R-TERM-4) and an invoice's due date (R-INV-6)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.kernel.calendar import (FIRST_YEAR, LAST_YEAR, MAX_DAYS_OFF_IN_A_ROW, banking_day_on_or_after,
                                    days_after, is_finnish_non_working_day, time_limit_end)
from domain.kernel.errors import DomainError

# (the last day as counted, why it moves, the day the period ends or the payment falls due)
MOVED = [
    (date(2025, 12, 24), "Christmas Eve, a Wednesday", date(2025, 12, 29)),
    (date(2025, 12, 25), "Christmas Day", date(2025, 12, 29)),
    (date(2025, 6, 20), "Midsummer Eve, a Friday", date(2025, 6, 23)),
    (date(2026, 6, 19), "Midsummer Eve, a Friday", date(2026, 6, 22)),
    (date(2026, 4, 3), "Good Friday, then Easter Saturday, Sunday and Monday", date(2026, 4, 7)),
    (date(2025, 4, 21), "Easter Monday", date(2025, 4, 22)),
    (date(2025, 11, 1), "All Saints' Day on a Saturday", date(2025, 11, 3)),
    (date(2026, 5, 1), "May Day, a Friday", date(2026, 5, 4)),
    (date(2026, 5, 14), "Ascension Day", date(2026, 5, 15)),
    (date(2025, 12, 6), "Independence Day on a Saturday", date(2025, 12, 8)),
    (date(2026, 1, 6), "Epiphany, a Tuesday", date(2026, 1, 7)),
    (date(2026, 1, 1), "New Year's Day", date(2026, 1, 2)),
    (date(2026, 3, 14), "an ordinary Saturday", date(2026, 3, 16)),
    (date(2026, 3, 15), "an ordinary Sunday", date(2026, 3, 16)),
    (date(2001, 12, 22), "a Saturday before Christmas Eve on a Monday", date(2001, 12, 27)),
    (date(2150, 4, 10), "Good Friday 2150, past the library's default last year", date(2150, 4, 14)),
]
KEPT = [date(2025, 12, 23), date(2025, 12, 29), date(2025, 12, 31), date(2026, 4, 2), date(2026, 6, 18),
        date(2025, 10, 31)]  # an ordinary Tuesday, Monday; New Year's Eve is a working day; Maundy Thursday…


@pytest.mark.parametrize("last_day, why, ends_on", MOVED, ids=[why for _, why, _ in MOVED])
def test_a_time_limit_ending_on_a_day_off_ends_on_the_next_working_day(last_day: date, why: str,
                                                                       ends_on: date) -> None:
    """R-TERM-4 (150/1930 §5): a last day on a weekend, public holiday, Christmas Eve or Midsummer Eve
    moves to the next weekday that is none of those."""
    assert is_finnish_non_working_day(last_day), why
    assert time_limit_end(last_day) == ends_on
    assert not is_finnish_non_working_day(ends_on)


@pytest.mark.parametrize("last_day, why, due_on", MOVED, ids=[why for _, why, _ in MOVED])
def test_a_due_date_on_a_bank_holiday_moves_to_the_next_banking_day(last_day: date, why: str,
                                                                    due_on: date) -> None:
    """R-INV-6: Finnish banks are closed on weekends and on the public holidays, Christmas Eve and
    Midsummer Eve included."""
    assert banking_day_on_or_after(last_day) == due_on


@pytest.mark.parametrize("day", KEPT)
def test_a_working_day_is_kept(day: date) -> None:
    """R-TERM-4, R-INV-6: a weekday that is no holiday, New Year's Eve and Maundy Thursday included."""
    assert not is_finnish_non_working_day(day)
    assert time_limit_end(day) == banking_day_on_or_after(day) == day


def test_every_year_has_christmas_eve_and_midsummer_eve_off_and_no_more_than_five_days_off_in_a_row() -> None:
    """R-TERM-4: in every business year, 2101–2199 too, the two eves are days off, Midsummer Eve is the
    Friday of 19–25 June, and a moved day lands on a weekday at most five days later (Saturday 22 to
    Wednesday 26 December when Christmas Eve is a Monday)."""
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        assert is_finnish_non_working_day(date(year, 12, 24))
        midsummer_eve = next(date(year, 6, d) for d in range(19, 26) if date(year, 6, d).weekday() == 4)
        assert is_finnish_non_working_day(midsummer_eve)
        assert not is_finnish_non_working_day(midsummer_eve - timedelta(days=1))  # its Thursday works
    day = date(FIRST_YEAR, 1, 1)
    while day <= date(LAST_YEAR, 12, 27):
        moved = time_limit_end(day)
        assert 0 <= (moved - day).days <= MAX_DAYS_OFF_IN_A_ROW and moved.weekday() < 5, day
        day += timedelta(days=1)


@pytest.mark.parametrize("action", [
    lambda: is_finnish_non_working_day(date(1999, 12, 31)),
    lambda: time_limit_end(date(2200, 1, 1)),
    lambda: banking_day_on_or_after(date(9999, 12, 31)),
    lambda: days_after(date(2199, 12, 20), 30),
    lambda: days_after(date(9999, 12, 31), 30),
])
def test_a_date_outside_the_business_years_is_refused_with_a_problem_code(action: object) -> None:
    """Bounded at the edge: the holidays are asked only for 2000–2199, and nothing overflows."""
    with pytest.raises(DomainError) as error:
        action()  # type: ignore[operator]
    assert error.value.code == "date_out_of_range"
    assert "2000–2199" in error.value.detail
