"""How long an agreement's records are kept (R-REC-1), and the guard on purging them.

Signed agreements and their history are kept ``retention_years`` (10 by default) after the agreement
ends, counted like accounting records (Accounting Act 1336/1997, 2:10): to the end of the
``retention_years``-th year after the financial year (the calendar year) in which the agreement
ended. The end is the actual one: the term's end as extended by the steering group, or the
dissolution date if the cooperation was dissolved before it. An agreement dissolved on 2026-10-01
and one that ended on 2026-12-31 are both kept through 2036-12-31, and their records may be purged
from 2037-01-01. A purge already recorded keeps the retention end it was allowed by.

What a purge removes is the agreement's rows in the read models (the journal); the event log is
append-only and hash-chained and keeps every event, the purge included (``RecordsPurged``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Protocol

from domain.kernel.errors import Conflict


class Ending(Protocol):
    """What these rules read of an agreement (the Agreement aggregate, which calls them, is one)."""

    code: str
    ends_on: date
    dissolved_on: date | None
    purged_on: date | None
    purge_retention_ends_on: date | None
    rules: Any


def ended_on(agreement: Ending) -> date:
    """The day the agreement ends or ended: its dissolution if earlier than its (extended) term's end."""
    if agreement.dissolved_on is not None and agreement.dissolved_on < agreement.ends_on:
        return agreement.dissolved_on
    return agreement.ends_on


def retention_ends_on(agreement: Ending) -> date:
    """The last day the agreement's records must be kept (R-REC-1): 31 December of the
    ``retention_years``-th year after the year it ended in (ended 2026-10-01: kept to 2036-12-31)."""
    return year_end_after(ended_on(agreement), agreement.rules.retention_years)


def year_end_after(day: date, years: int) -> date:
    """The last day of the financial (calendar) year ``years`` after the one ``day`` falls in."""
    return date(day.year + years, 12, 31)


def check_purge(agreement: Ending, on: date) -> date:
    """Refuse a purge dated on or before the retention end, or a second one; returns the retention end.

    An agreement that has not ended by ``on`` is refused the same way: its retention has not even
    started, and its end (hence the retention's) may still move with an extension or a dissolution.
    """
    if agreement.purged_on is not None:
        raise Conflict(f"the records of {agreement.code} were purged on {agreement.purged_on}",
                       code="records_purged", extra={"purged_on": agreement.purged_on.isoformat()})
    keep_until = retention_ends_on(agreement)
    if on <= keep_until:
        end = ended_on(agreement)
        state = f"has not ended (it ends on {end})" if on <= end else f"ended on {end}"
        raise Conflict(f"{agreement.code} {state}; its records are kept until {keep_until} "
                       f"(the year it ended and {agreement.rules.retention_years} more, R-REC-1) and may "
                       f"be purged from {keep_until + timedelta(days=1)}; nothing was purged",
                       code="retention_period_running", extra={"retention_ends_on": keep_until.isoformat()})
    return keep_until


def retention_view(agreement: Ending) -> dict[str, Any]:
    """The agreement's end, the last day of its retention and, once purged, the purge date."""
    kept_until = agreement.purge_retention_ends_on or retention_ends_on(agreement)
    return {"ended_on": ended_on(agreement).isoformat(),
            "retention_ends_on": kept_until.isoformat(),
            "purged_on": None if agreement.purged_on is None else agreement.purged_on.isoformat()}
