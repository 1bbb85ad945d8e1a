"""The figures the API serves for one agreement: balances, funding, refund preview and reports.

Each answer combines what the ledger's aggregates say (the parties and their status on the date,
cost shares, committed funding, the refund threshold, which invoice bills whom) with sums over a
journal store (``projections.figures`` holds the arithmetic). The routes call these with the live
journal; the audit replay calls the same functions with a journal rebuilt from the events, so a
replayed figure is computed exactly as a served one. An agreement whose records are purged (R-REC-1)
has no figures: 410 ``records_purged``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID

from domain.errors import Gone, InvalidInput
from projections import figures
from projections.queries import Sums, sums
from projections.store import JournalStore

MAX_PARTIES = 500  # an agreement has at most 500 parties (domain.agreement.MAX_PARTIES)
LIVE_STATUSES = ("active", "notice_given")


class Source(Protocol):
    """What the answers read from the ledger's aggregates (the ``Ledger`` application)."""

    def get_agreement(self, agreement_id: UUID, *, as_of: date) -> dict[str, Any]: ...

    def list_parties(self, agreement_id: UUID, *, limit: int, after: UUID | None = None,
                     business_id: str | None = None, as_of: date | None = None) -> list[dict[str, Any]]: ...

    def invoice_parties(self, agreement_id: UUID) -> dict[UUID, UUID]: ...


def agreement_of(ledger: Source, agreement_id: UUID, day: date) -> dict[str, Any]:
    """The agreement as of a date; refused with 410 ``records_purged`` once its records are purged."""
    agreement = ledger.get_agreement(agreement_id, as_of=day)
    if agreement["purged_on"] is not None:
        raise Gone(f"the journal of {agreement['code']} was purged on {agreement['purged_on']}, after its "
                   f"retention ended on {agreement['retention_ends_on']} (R-REC-1); its events are kept "
                   "in the audit log", code="records_purged",
                   extra={key: agreement[key] for key in ("purged_on", "retention_ends_on")})
    return agreement


def balances(ledger: Source, store: JournalStore, agreement_id: UUID, *, as_of: date,
             known_at: datetime | None = None, business_id: str | None = None) -> dict[str, Any]:
    """Each party's invoiced, paid, credited, refunded, outstanding and overdue (``business_id``: one)."""
    agreement_of(ledger, agreement_id, as_of)
    parties = ledger.list_parties(agreement_id, limit=MAX_PARTIES, as_of=as_of, business_id=business_id)
    journal_sums = _sums(store, agreement_id, as_of, known_at)
    overdue = figures.overdue_by_party(journal_sums, ledger.invoice_parties(agreement_id))
    return figures.balances(journal_sums, parties, overdue, as_of)


def funding(ledger: Source, store: JournalStore, agreement_id: UUID, *, as_of: date,
            known_at: datetime | None = None) -> dict[str, Any]:
    """Original and committed funding, invoiced, received, spent and remaining against the threshold."""
    agreement = agreement_of(ledger, agreement_id, as_of)
    return _funding(agreement, _sums(store, agreement_id, as_of, known_at), as_of)


def refund_preview(ledger: Source, store: JournalStore, agreement_id: UUID, *, as_of: date) -> dict[str, Any]:
    """What each party still in the cooperation would get back if it ended on the date (R-FUND-2)."""
    agreement = agreement_of(ledger, agreement_id, as_of)
    live = [p for p in ledger.list_parties(agreement_id, limit=MAX_PARTIES, as_of=as_of)
            if p["status"] in LIVE_STATUSES]
    return figures.refund_preview(sums(store, agreement_id, as_of=as_of), live,
                                  original=_money(agreement, "original_funding"),
                                  threshold_pp=agreement["terms"]["refund_threshold_pp"], as_of=as_of)


def quarterly_report(ledger: Source, store: JournalStore, agreement_id: UUID, *, year: int,
                     quarter: int) -> dict[str, Any]:
    """Money in, money out and the balance of one quarter (R-REP-1)."""
    agreement_of(ledger, agreement_id, date(year, 1, 1))
    return _period(store, agreement_id, year, quarter)


def annual_account(ledger: Source, store: JournalStore, agreement_id: UUID, *, year: int
                   ) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    """The annual project account (R-REP-1): each quarter, the year, and the funding at year end."""
    year_end = date(year, 12, 31)
    agreement = agreement_of(ledger, agreement_id, year_end)
    quarters = [{"quarter": f"{year}-Q{q}", **_period(store, agreement_id, year, q)} for q in range(1, 5)]
    before = sums(store, agreement_id, as_of=date(year - 1, 12, 31))
    after = sums(store, agreement_id, as_of=year_end)
    year_row = {"quarter": str(year), **figures.period_report(before, after, first=date(year, 1, 1),
                                                              last=year_end)}
    return quarters, year_row, _funding(agreement, after, year_end)


def _quarterly_of(ledger: Source, store: JournalStore, agreement_id: UUID, *, as_of: date) -> dict[str, Any]:
    return quarterly_report(ledger, store, agreement_id, year=as_of.year, quarter=(as_of.month - 1) // 3 + 1)


# The figures of one date as the API serves them: balances (overdue included), funding, refund preview
# and the quarterly report of the date's quarter.
FIGURES_OF_A_DATE: dict[str, Callable[..., dict[str, Any]]] = {
    "balances": balances, "funding": funding, "refund_preview": refund_preview,
    "quarterly_report": _quarterly_of,
}


def every_figure(ledger: Source, store: JournalStore, agreement_id: UUID, *, as_of: date
                 ) -> dict[str, dict[str, Any]]:
    """Every figure of ``FIGURES_OF_A_DATE`` for one agreement and date."""
    return {name: answer(ledger, store, agreement_id, as_of=as_of)
            for name, answer in FIGURES_OF_A_DATE.items()}


def _sums(store: JournalStore, agreement_id: UUID, as_of: date, known_at: datetime | None) -> Sums:
    if known_at is not None and known_at.tzinfo is None:
        raise InvalidInput("known_at needs a time zone offset", code="invalid_known_at")
    return sums(store, agreement_id, as_of=as_of, known_at=known_at)


def _funding(agreement: dict[str, Any], journal_sums: Sums, as_of: date) -> dict[str, Any]:
    return figures.funding(journal_sums, original=_money(agreement, "original_funding"),
                           committed=_money(agreement, "committed_funding"),
                           threshold_pp=agreement["terms"]["refund_threshold_pp"], as_of=as_of)


def _period(store: JournalStore, agreement_id: UUID, year: int, quarter: int) -> dict[str, Any]:
    first, last = figures.quarter_bounds(year, quarter)
    before = sums(store, agreement_id, as_of=first - timedelta(days=1))
    return figures.period_report(before, sums(store, agreement_id, as_of=last), first=first, last=last)


def _money(view: dict[str, Any], key: str) -> Decimal:
    # Without amendments the original funding is the committed funding.
    return Decimal(view.get(key, view["committed_funding"]))
