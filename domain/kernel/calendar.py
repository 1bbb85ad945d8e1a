"""The calendar: the ledger's time zone, today's business date at the edges, and month arithmetic.

Commands and rules never read the clock: the API, the command line and the scheduler take today's
date from ``today()`` and pass it in.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")


def today() -> date:
    """Today's business date in Europe/Helsinki (for the edges: commands take dates)."""
    return datetime.now(HELSINKI).date()


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the end of a shorter month (2025-11-30 + 3 = 2026-02-28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))
