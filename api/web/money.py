"""Invoices, payments (unmatched ones with the allocate form), funding with its charts, and the reports."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from api.routes.common import cursor
from api.routes.figures import journal
from api.schemas import AllocationIn
from api.web import charts, formats
from api.web.forms import Submitted, new_key, read_form, submit
from api.web.messages import translate
from api.web.pages import STAFF, agreement_for, own_party_id
from api.web.render import User, WebRoute, WebUser, ledger_of, page
from domain.kernel.calendar import today
from domain.kernel.identifiers import parse_uuid
from projections.figures import answers
from projections.figures.calculations import threshold_amount

router = APIRouter(prefix="/agreements/{agreement_id}", route_class=WebRoute, include_in_schema=False)
READERS = (*STAFF, "party")
STATUSES = ("issued", "partly_paid", "paid", "overdue", "credited")
PAGE = 50  # invoices or payments a page: each is one read of its aggregate
MAX_CHART_POINTS = 48  # quarter ends: twelve years of a term
OPEN_INVOICES = 100  # the first invoices of the agreement offered to allocate a payment to


@router.get("/invoices", response_class=HTMLResponse)
def invoices(request: Request, agreement_id: str, user: User,
             party_id: Annotated[str | None, Query(max_length=36)] = None,
             status: Annotated[str | None, Query(max_length=20)] = None,
             after: Annotated[str | None, Query(max_length=36)] = None) -> HTMLResponse:
    """Invoices in number order, overdue ones marked; filtered by party and status (a party: its own)."""
    user.need(*READERS)
    ledger = ledger_of(request)
    aid, agreement = agreement_for(request, user, agreement_id)
    own = own_party_id(request, user, aid)
    party = own or (parse_uuid(party_id, "party") if party_id else None)
    rows = ledger.list_invoices(aid, as_of=today(), limit=PAGE, after=cursor(after),
                                party_id=None if party is None else UUID(str(party)))
    next_after = rows[-1]["id"] if len(rows) == PAGE else None
    shown = [row for row in rows if status in (None, "", row["status"])]
    parties = ledger.list_parties(aid, limit=500, business_id=user.principal.business_id)
    return page(request, "invoices.html", user, agreement=agreement, section="invoices", invoices=shown,
                parties=parties, names={str(p["party_id"]): p["name"] for p in parties},
                chosen_party=str(party or ""), chosen_status=status or "", statuses=STATUSES,
                next_after=next_after)


def _payments_page(request: Request, user: WebUser, agreement_id: str, done: Submitted | None = None
                   ) -> HTMLResponse:
    ledger = ledger_of(request)
    aid, agreement = agreement_for(request, user, agreement_id)
    day = today()
    runner = journal(request)
    balances = answers.balances(ledger, runner.store, aid, as_of=day)
    unmatched = ledger.list_unmatched_payments(aid, limit=PAGE, include_allocated=True)
    offered = ledger.list_invoices(aid, as_of=day, limit=OPEN_INVOICES)
    open_invoices = [row for row in offered if Decimal(row["outstanding"]) > 0]
    parties = ledger.list_parties(aid, limit=500)
    return page(request, "payments.html", user, 422 if done and not done.ok else 200, agreement=agreement,
                section="payments", balances=balances, unmatched=unmatched, open_invoices=open_invoices,
                names={str(p["party_id"]): p["name"] for p in parties}, today=day.isoformat(),
                numbers={row["id"]: row["number"] for row in offered},
                done=done, key=new_key(), mib=request.app.state.settings.max_bank_file_bytes // 1_048_576)


@router.get("/payments", response_class=HTMLResponse)
def payments(request: Request, agreement_id: str, user: User) -> HTMLResponse:
    """Balances by party and unmatched payments; finance allocates them here."""
    user.need(*STAFF)
    return _payments_page(request, user, agreement_id)


@router.post("/payments/{payment_id}/allocation", response_class=HTMLResponse)
async def allocate(request: Request, agreement_id: str, payment_id: str, user: User) -> HTMLResponse:
    """Allocate an unmatched payment to an invoice through the API's command (finance)."""
    user.need("finance")
    form = await read_form(request)
    aid, pid = parse_uuid(agreement_id, "agreement"), parse_uuid(payment_id, "payment")
    data = {"invoice_id": str(form.get("invoice_id", "")), "allocated_on": str(form.get("allocated_on", ""))}

    def command(body: AllocationIn, idempotency: Any) -> dict[str, Any]:
        return ledger_of(request).allocate_payment(aid, pid, invoice_id=parse_uuid(body.invoice_id, "invoice"),
                                                   allocated_on=body.allocated_on, idempotency=idempotency)

    done = await submit(request, user, form, AllocationIn, data, command)
    if done.ok:
        done.message = translate("allocated", user.lang)
    done.errors = {f"{payment_id}:{k}": v for k, v in done.errors.items()}
    return await run_in_threadpool(_payments_page, request, user, agreement_id, done)


def _quarter_ends(first: date, last: date) -> list[date]:
    """The last day of each quarter from ``first``'s up to ``last``, then ``last`` itself."""
    ends: list[date] = []
    year, quarter = first.year, (first.month - 1) // 3 + 1
    while len(ends) < MAX_CHART_POINTS:
        end = date(year, 12, 31) if quarter == 4 else date(year, 3 * quarter + 1, 1) - timedelta(days=1)
        if end >= last:
            break
        ends.append(end)
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return [*ends, last]


@router.get("/funding", response_class=HTMLResponse)
def funding(request: Request, agreement_id: str, user: User) -> HTMLResponse:
    """Funding against the refund threshold, over time (SVG), and committed against paid per party."""
    user.need(*STAFF)
    ledger = ledger_of(request)
    aid, agreement = agreement_for(request, user, agreement_id)
    day = today()
    store = journal(request).store
    now = answers.funding(ledger, store, aid, as_of=day)
    first = date.fromisoformat(agreement["starts_on"])
    last = min(day, date.fromisoformat(agreement["ended_on"] or agreement["ends_on"]))
    points = answers.funding_over_time(ledger, store, aid, _quarter_ends(first, last)) if first <= last else []
    names = {str(p["party_id"]): p["name"] for p in ledger.list_parties(aid, limit=500)}
    threshold = threshold_amount(Decimal(now["original_funding"]), now["refund_threshold_pp"])
    labels = {key: translate(key, user.lang) for key in ("chart_text", "committed_vs_paid")}
    in_money, on_day = (lambda v: formats.money(v, user.lang)), (lambda v: formats.day(v, user.lang))
    over_time = charts.funding_over_time(points, threshold, labels, in_money, on_day) if points else ""
    bars = charts.committed_and_paid(now["parties"], names, labels, in_money)
    return page(request, "funding.html", user, agreement=agreement, section="funding", funding=now,
                threshold=threshold, points=points, over_time=Markup(over_time), bars=Markup(bars),
                legend=charts.legend(), names=names)


@router.get("/reports", response_class=HTMLResponse)
def reports(request: Request, agreement_id: str, user: User,
            year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
            quarter: Annotated[int | None, Query(ge=1, le=4)] = None) -> HTMLResponse:
    """The quarterly report and the annual account, with CSV downloads from the API's report routes."""
    user.need(*READERS)
    ledger = ledger_of(request)
    aid, agreement = agreement_for(request, user, agreement_id)
    day = today()
    year = year or day.year
    quarter = quarter or (day.month - 1) // 3 + 1
    store = journal(request).store
    report = answers.quarterly_report(ledger, store, aid, year=year, quarter=quarter)
    quarters, year_row, year_funding = answers.annual_account(ledger, store, aid, year=year)
    return page(request, "reports.html", user, agreement=agreement, section="reports", year=year,
                quarter=quarter, report=report, quarters=quarters, year_row=year_row, year_funding=year_funding,
                years=list(range(date.fromisoformat(agreement["starts_on"]).year,
                                 date.fromisoformat(agreement["ends_on"]).year + 1)))
