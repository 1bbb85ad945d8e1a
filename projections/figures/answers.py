"""The figures the API serves for one agreement: balances, funding, refund preview, reports and the
final account.

Each answer combines what the ledger's aggregates say (the parties and their status on the date,
cost shares, committed funding, the refund threshold, the steering group's decisions) with sums over a
journal store (``projections.figures.calculations`` holds the arithmetic). The routes call these with the live
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

from domain.agreements.commands import PartyPage
from domain.agreements.terms import Terms
from domain.funding.refunds import refund_exclusion
from domain.kernel.errors import Gone, InvalidInput
from domain.kernel.paging import items_after
from projections.figures import calculations as figures
from projections.journal.queries import Store, Sums, balance_sums, slot_sums, sums

MAX_PARTIES = 500  # an agreement has at most 500 parties (domain.agreements.agreement.MAX_PARTIES)
MAX_POINTS = 60  # dates of one funding series (a chart's points)


class Source(Protocol):
    """What the answers read from the ledger's aggregates (the ``Ledger`` application)."""

    def get_agreement(self, agreement_id: UUID, *, as_of: date) -> dict[str, Any]: ...

    def agreement_and_parties(self, agreement_id: UUID, *, as_of: date, business_id: str | None = None,
                              whole: bool = True) -> tuple[dict[str, Any], list[dict[str, Any]]]: ...

    def list_parties(self, agreement_id: UUID, *, limit: int, after: UUID | None = None,
                     business_id: str | None = None, as_of: date | None = None) -> list[dict[str, Any]]: ...

    def list_decisions(self, agreement_id: UUID, *, limit: int, after: UUID | None = None,
                       kind: str | None = None, passed: bool | None = None) -> list[dict[str, Any]]: ...

    def list_grants(self, agreement_id: UUID, *, as_of: date) -> list[dict[str, Any]]: ...

    def party_page(self, agreement_id: UUID, *, as_of: date, limit: int | None, after: UUID | None = None,
                   whole: bool = True) -> PartyPage: ...


def agreement_of(ledger: Source, agreement_id: UUID, day: date) -> dict[str, Any]:
    """The agreement as of a date; refused with 410 ``records_purged`` once its records are purged."""
    agreement = ledger.get_agreement(agreement_id, as_of=day)
    _refuse_purged(agreement)
    return agreement


def _agreement_and_parties(ledger: Source, agreement_id: UUID, day: date
                           ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    agreement, parties = ledger.agreement_and_parties(agreement_id, as_of=day)
    _refuse_purged(agreement)
    return agreement, parties


def _refuse_purged(record: dict[str, Any]) -> None:
    if record["purged_on"] is not None:
        raise Gone(f"the journal of {record['code']} was purged on {record['purged_on']}, after its "
                   f"retention ended on {record['retention_ends_on']} (R-REC-1); its events are kept "
                   "in the audit log", code="records_purged",
                   extra={key: record[key] for key in ("purged_on", "retention_ends_on")})


def balances(ledger: Source, store: Store, agreement_id: UUID, *, as_of: date,
             known_at: datetime | None = None, business_id: str | None = None, limit: int | None = None,
             after: UUID | None = None) -> dict[str, Any]:
    """Each party's invoiced, paid, credited, refunded, outstanding and overdue (``business_id``: one).

    With ``limit`` (or ``after``) the parties are a page, in accession order after the party ``after``, and
    the totals still those of every party: the history is read for the page's accounts and each account's
    total, so a page costs the same at 500 parties as at 10. A party (``business_id``) pages through its
    own row, and its totals are its own."""
    # One read of the agreement, and of it only what the balances need.
    if (limit is not None or after is not None) and business_id is None:
        page = ledger.party_page(agreement_id, as_of=as_of, limit=limit, after=after, whole=False)
        _refuse_purged(page.head)
        _check_known_at(known_at)
        found = slot_sums(store, agreement_id, as_of=as_of, known_at=known_at,
                          slots=[UUID(str(p["party_id"])) for p in page.rows])
        return figures.balances(found.sums, page.rows, found.overdue, as_of,
                                totals=figures.party_totals(found.totals, page.cost_share, page.committed))
    record, parties = ledger.agreement_and_parties(agreement_id, as_of=as_of, business_id=business_id,
                                                   whole=False)
    _refuse_purged(record)
    _check_known_at(known_at)
    # A party reads its own row: only its accounts are looked up.
    one = UUID(str(parties[0]["party_id"])) if business_id is not None and len(parties) == 1 else None
    journal_sums, overdue = balance_sums(store, agreement_id, as_of=as_of, known_at=known_at, party_id=one)
    result = figures.balances(journal_sums, parties, overdue, as_of)
    if limit is not None or after is not None:  # a party's page: its own row, its own totals
        result["parties"] = page_of(result["parties"], limit, after)
    return result


def page_of(parties: list[dict[str, Any]], limit: int | None, after: UUID | None) -> list[dict[str, Any]]:
    """The parties after the party ``after`` (none if it is not one of them), at most ``limit``."""
    parties = items_after(parties, None if after is None else str(after), key=lambda p: str(p["party_id"]))
    return parties if limit is None else parties[:limit]


def funding(ledger: Source, store: Store, agreement_id: UUID, *, as_of: date,
            known_at: datetime | None = None, limit: int | None = None, after: UUID | None = None
            ) -> dict[str, Any]:
    """Original and committed funding, invoiced, received, spent and remaining against the threshold; what
    each party committed, was invoiced, paid and has unpaid, and the ceilings (R-FUND-5); the
    grants in effect by the date, each (``grants``) and in total (``grants_total``) (R-FUND-7).

    With ``limit`` (or ``after``) the parties' commitments are a page, as in ``balances``; every other
    figure, and the commitments' totals, are the agreement's."""
    if limit is not None or after is not None:
        page = ledger.party_page(agreement_id, as_of=as_of, limit=limit, after=after)
        agreement = page.head
        _refuse_purged(agreement)
        terms = ledger.list_grants(agreement_id, as_of=as_of)
        _check_known_at(known_at)
        found = slot_sums(store, agreement_id, as_of=as_of, known_at=known_at, every=True,
                          slots=[*(UUID(str(p["party_id"])) for p in page.rows),
                                 *(UUID(g["grant_id"]) for g in terms)])
        page_sums, whole = found.sums, found.every
        committed = figures.commitments(page_sums, page.rows, agreement,
                                        totals=figures.commitment_totals(found.totals, page.committed))
    else:
        agreement, parties = _agreement_and_parties(ledger, agreement_id, as_of)
        terms = ledger.list_grants(agreement_id, as_of=as_of)
        page_sums = whole = _sums(store, agreement_id, as_of, known_at)
        committed = figures.commitments(whole, parties, agreement)
    granted = figures.grants(page_sums, terms)
    return {**_funding(agreement, whole, as_of), **committed, "grants": granted["grants"],
            "grants_total": granted["totals"], "funds": figures.funds_held(whole, agreement)}


def funding_over_time(ledger: Source, store: Store, agreement_id: UUID, dates: list[date]
                      ) -> list[tuple[date, dict[str, Any]]]:
    """The funding figures of ``funding`` (without each party's commitments and the grants) as of each of
    the dates, at most ``MAX_POINTS``: a read of the agreement and one sum of the journal per date."""
    return [(day, _funding(agreement_of(ledger, agreement_id, day), sums(store, agreement_id, as_of=day), day))
            for day in dates[:MAX_POINTS]]


def grants(ledger: Source, store: Store, agreement_id: UUID, *, as_of: date) -> dict[str, Any]:
    """The grants in effect by a date (R-FUND-7): each one's terms, granted, cap in force, received and
    remaining to receive, and the totals."""
    agreement_of(ledger, agreement_id, as_of)
    terms = ledger.list_grants(agreement_id, as_of=as_of)
    figures_ = figures.grants(sums(store, agreement_id, as_of=as_of), terms)
    rows = [{**grant, **row} for grant, row in zip(terms, figures_["grants"], strict=True)]
    return {"as_of": as_of.isoformat(), "grants": rows, "totals": figures_["totals"]}


def refund_preview(ledger: Source, store: Store, agreement_id: UUID, *, as_of: date) -> dict[str, Any]:
    """What each party would get back of what remains on the date (R-FUND-2): nothing unless the
    cooperation was dissolved by then; never an expelled party; a party that left by notice as the
    agreement's terms say (``refund_to_withdrawn_parties``)."""
    agreement, parties = _agreement_and_parties(ledger, agreement_id, as_of)
    to_leavers = Terms.from_dict(agreement["terms"]).refund_to_withdrawn_parties
    sharing = [p for p in parties if refund_exclusion(p["status"], to_leavers) is None]
    excluded = [(p, str(refund_exclusion(p["status"], to_leavers))) for p in parties if p not in sharing]
    return figures.refund_preview(sums(store, agreement_id, as_of=as_of), sharing,
                                  original=_money(agreement, "original_funding"),
                                  threshold_pp=agreement["terms"]["refund_threshold_pp"], as_of=as_of,
                                  dissolved_on=_dissolved_on(agreement), excluded=excluded)


def _dissolved_on(agreement: dict[str, Any]) -> date | None:
    """The dissolution date of an agreement viewed as of a date, if it was dissolved by then (a dissolved
    agreement ended on its dissolution: a dissolution is decided within the term)."""
    return date.fromisoformat(agreement["ended_on"]) if agreement["status"] == "dissolved" else None


def quarterly_report(ledger: Source, store: Store, agreement_id: UUID, *, year: int,
                     quarter: int) -> dict[str, Any]:
    """Money in, money out and the balance of one quarter (R-REP-1)."""
    agreement_of(ledger, agreement_id, date(year, 1, 1))
    return _period(store, agreement_id, year, quarter)


def annual_account(ledger: Source, store: Store, agreement_id: UUID, *, year: int
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


def final_account(ledger: Source, store: Store, agreement_id: UUID, *, as_of: date) -> dict[str, Any]:
    """The closing statement when the network ends (R-FUND-4): each party's account, the funding and the
    unused funds with the steering group's latest passed ``unused_funds`` decision by the date."""
    agreement, parties = _agreement_and_parties(ledger, agreement_id, as_of)
    journal_sums, overdue = balance_sums(store, agreement_id, as_of=as_of)
    day = as_of.isoformat()
    decided = [d for d in ledger.list_decisions(agreement_id, limit=MAX_PARTIES, kind="unused_funds", passed=True)
               if d["decided_on"] <= day]
    # The latest decision stands; of two on one day, the one minuted last.
    latest = max(reversed(decided), key=lambda d: d["decided_on"], default=None)
    return figures.final_account(journal_sums, parties, overdue, agreement=agreement,
                                 money=_funding(agreement, journal_sums, as_of), decision=latest, as_of=as_of)


def summary(ledger: Source, store: Store, agreement_id: UUID, *, year: int
            ) -> tuple[dict[str, Any], dict[str, list[Decimal]]]:
    """A year's totals across the parties, published to them too (R-CONF-1), with every party's own
    amount in each total, for the check that none of them can be taken out of it."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    agreement, parties = _agreement_and_parties(ledger, agreement_id, last)
    parties = [p for p in parties if p["joined_on"] <= last.isoformat()]
    before = sums(store, agreement_id, as_of=first - timedelta(days=1))
    after = sums(store, agreement_id, as_of=last)
    totals = figures.summary(before, after, first=first, last=last, parties=len(parties))
    result = {"agreement_id": str(agreement_id), "year": year, **totals,
              "confidential_until": agreement["confidential_until"]}
    return result, figures.summary_contributions(before, after)


def _quarterly_of(ledger: Source, store: Store, agreement_id: UUID, *, as_of: date) -> dict[str, Any]:
    return quarterly_report(ledger, store, agreement_id, year=as_of.year, quarter=(as_of.month - 1) // 3 + 1)


# The figures of one date as the API serves them: balances (overdue included), funding, refund preview,
# the quarterly report of the date's quarter and the final account.
FIGURES_OF_A_DATE: dict[str, Callable[..., dict[str, Any]]] = {
    "balances": balances, "funding": funding, "refund_preview": refund_preview,
    "quarterly_report": _quarterly_of, "final_account": final_account,
}


def every_figure(ledger: Source, store: Store, agreement_id: UUID, *, as_of: date
                 ) -> dict[str, dict[str, Any]]:
    """Every figure of ``FIGURES_OF_A_DATE`` for one agreement and date."""
    return {name: answer(ledger, store, agreement_id, as_of=as_of)
            for name, answer in FIGURES_OF_A_DATE.items()}


def _check_known_at(known_at: datetime | None) -> None:
    if known_at is not None and known_at.tzinfo is None:
        raise InvalidInput("known_at needs a time zone offset", code="invalid_known_at")


def _sums(store: Store, agreement_id: UUID, as_of: date, known_at: datetime | None) -> Sums:
    _check_known_at(known_at)
    return sums(store, agreement_id, as_of=as_of, known_at=known_at)


def _funding(agreement: dict[str, Any], journal_sums: Sums, as_of: date) -> dict[str, Any]:
    return figures.funding(journal_sums, original=_money(agreement, "original_funding"),
                           committed=_money(agreement, "committed_funding"),
                           threshold_pp=agreement["terms"]["refund_threshold_pp"], as_of=as_of,
                           dissolved=_dissolved_on(agreement) is not None)


def _period(store: Store, agreement_id: UUID, year: int, quarter: int) -> dict[str, Any]:
    first, last = figures.quarter_bounds(year, quarter)
    before = sums(store, agreement_id, as_of=first - timedelta(days=1))
    return figures.period_report(before, sums(store, agreement_id, as_of=last), first=first, last=last)


def _money(view: dict[str, Any], key: str) -> Decimal:
    # Without amendments the original funding is the committed funding.
    return Decimal(view.get(key, view["committed_funding"]))
