"""The calendar: the ledger's time zone, today's business date at the edges, month arithmetic, and the
Finnish days off that move a time limit or a due date.

Commands and rules never read the clock: the API, the command line and the scheduler take today's
date from ``today()`` and pass it in.

Finnish time limits (Act on calculating time limits 150/1930): the day of the notice is not counted, and
a period whose last day falls on a Saturday, Sunday, public holiday, Independence Day, May Day,
Christmas Eve or Midsummer Eve ends on the next weekday that is none of those (R-TERM-4). Banks are
closed on the same days, so a due date moves the same way (R-INV-6). The holidays come from the
maintained ``holidays`` library (``holidays.Finland``, which lists Midsummer Eve and Christmas Eve),
asked only for the years business dates may have.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from holidays.countries import Finland

from domain.kernel.errors import InvalidInput

HELSINKI = ZoneInfo("Europe/Helsinki")
FIRST_YEAR, LAST_YEAR = 2000, 2199  # the years business dates may have; the holidays asked for
SATURDAY = 5
MAX_DAYS_OFF_IN_A_ROW = 5  # Saturday 22 to Wednesday 26 December when Christmas Eve is a Monday


def today() -> date:
    """Today's business date in Europe/Helsinki (for the edges: commands take dates)."""
    return datetime.now(HELSINKI).date()


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the end of a shorter month (2025-11-30 + 3 = 2026-02-28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def check_business_year(day: date) -> None:
    """Refuse a date outside the years the ledger's calendar knows (422 ``date_out_of_range``)."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidInput(f"{day.isoformat()} is outside the business years {FIRST_YEAR}–{LAST_YEAR}",
                           code="date_out_of_range")


class _Finland(Finland):
    """``holidays.Finland`` through the last business year. The library stops at 2100 by default
    (``end_year``), but Finland's days off are fixed dates, Easter-based or the Friday and Saturday of
    19–26 June, so the same rules give every year to 2199."""

    end_year = LAST_YEAR


@lru_cache(maxsize=LAST_YEAR - FIRST_YEAR + 1)
def _days_off(year: int) -> frozenset[date]:
    """The Finnish public holidays of a year, Christmas Eve and Midsummer Eve included."""
    days = frozenset(_Finland(years=year))
    assert date(year, 12, 24) in days and len(days) >= 14, f"holidays.Finland gave {len(days)} days for {year}"
    return days


def is_finnish_non_working_day(day: date) -> bool:
    """Whether a last day moves under 150/1930: a Saturday, a Sunday, or a day of ``holidays.Finland``
    (public holidays with Independence Day, May Day, Christmas Eve and Midsummer Eve)."""
    check_business_year(day)
    return day.weekday() >= SATURDAY or day in _days_off(day.year)


def _next_working_day_on_or_after(day: date) -> date:
    for _ in range(MAX_DAYS_OFF_IN_A_ROW + 1):
        if not is_finnish_non_working_day(day):
            return day
        day += timedelta(days=1)
    raise AssertionError(f"more than {MAX_DAYS_OFF_IN_A_ROW} Finnish days off in a row before {day}")


def time_limit_end(last_day: date) -> date:
    """The day a period ends whose last day counted by the calendar is ``last_day`` (150/1930 §5): that
    day, or the next weekday after it that is no holiday, Christmas Eve or Midsummer Eve (R-TERM-4)."""
    return _next_working_day_on_or_after(last_day)


def banking_day_on_or_after(day: date) -> date:
    """The first Finnish banking day on or after ``day`` (R-INV-6): banks are closed on weekends and on
    the days of ``holidays.Finland``, Christmas Eve and Midsummer Eve included."""
    return _next_working_day_on_or_after(day)


def days_after(day: date, days: int) -> date:
    """``day`` + ``days``, both bounded to the business years (``date_out_of_range``, never an overflow)."""
    check_business_year(day)
    later = day + timedelta(days=days)
    check_business_year(later)
    return later
