"""Figures from the journal: balances, funding, refund preview and refunds, quarterly and annual reports,
and the final account."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import PlainTextResponse, Response
from pydantic import AfterValidator

from api.deps import BillReader, Coordinator, IdempotencyKey, LedgerDep, Staff, claim
from api.problems import ApiProblem
from api.routes.common import After, AsOf, as_of_or_today, check_visible, cursor, json_answer, link_next
from api.spreadsheets import xlsx
from api.schemas import RefundIn, in_business_years
from domain.kernel.errors import InvalidInput
from domain.kernel.identifiers import parse_uuid
from domain.kernel.money import ZERO
from projections.figures import answers
from projections.figures.calculations import PARTY_FIGURES
from projections.journal.runner import JournalRunner, ProjectionLagging

router = APIRouter(prefix="/v1/agreements/{agreement_id}", tags=["figures"])
KnownAt = Annotated[datetime | None, AfterValidator(in_business_years), Query(
    description="Answer as the ledger knew it at this instant (ISO 8601 with offset): later records are "
                "left out even if back-dated; in the years 2000 to 2199.")]
Format = Annotated[str, Query(pattern="^(json|csv|xlsx)$", description="json (default), csv or xlsx (a workbook "
                                                                   "whose totals are formulas)")]
PartyLimit = Annotated[int | None, Query(ge=1, le=500, description="Parties per page (at most 500; "
                                                                   "default: every party on one page).")]
# The other forms a report is served in, declared in the schema beside JSON.
FILES = {200: {"content": {"text/csv": {}, xlsx.MEDIA_TYPE: {}}}}


def journal(request: Request) -> JournalRunner:
    """The journal, caught up with every write made before this read (bounded wait)."""
    runner: JournalRunner = request.app.state.journal
    if not runner.running:
        runner.catch_up()  # no background runner in this process: bring the journal up to date here
        return runner
    try:
        runner.wait_for(timeout_s=request.app.state.settings.projection_wait_s)
    except ProjectionLagging as exc:
        raise ApiProblem(503, "projection_lagging", f"figures are not yet up to date: {exc}",
                         {"Retry-After": "1"}) from None
    return runner


Journal = Annotated[JournalRunner, Depends(journal)]


@router.get("/balances", response_model=None, responses=FILES)
def balances(agreement_id: str, request: Request, ledger: LedgerDep, runner: Journal, principal: BillReader,
             as_of: AsOf = None, known_at: KnownAt = None, format: Format = "json",
             limit: PartyLimit = None, after: After = None) -> dict[str, Any] | Response:
    """Each party's invoiced, paid, credited, refunded, outstanding and overdue; a party sees only itself.
    With `limit` (and `after`, the last party of the previous page) the parties come a page at a time in
    accession order, with a `Link: rel="next"` header while the page is full, and `totals` stay those of
    every party. As CSV or XLSX: one row per party, then the totals (in XLSX a `=SUM` of the rows above);
    a file holds every party (`limit` or `after` with a file: 422 `file_not_paged`)."""
    aid = parse_uuid(agreement_id, "agreement")
    day = as_of_or_today(as_of)
    if format != "json" and (limit is not None or after is not None):
        raise InvalidInput("a CSV or XLSX file holds every party: leave out limit and after",
                           code="file_not_paged")
    check_visible(ledger, principal, aid)
    result = answers.balances(ledger, runner.store, aid, as_of=day, known_at=known_at,
                              business_id=principal.business_id, limit=limit, after=cursor(after))
    if format != "json":
        return _party_rows(result, f"balances-{day.isoformat()}", format)
    answer = json_answer({**result, "known_at": known_at})
    if limit is not None:
        link_next(request, answer, result["parties"], "party_id", limit)
    return answer


@router.get("/funding")
def funding(agreement_id: str, request: Request, response: Response, ledger: LedgerDep, runner: Journal,
            principal: Staff, as_of: AsOf = None, known_at: KnownAt = None, limit: PartyLimit = None,
            after: After = None) -> dict[str, Any]:
    """Original and committed funding, invoiced, received, spent and remaining against the threshold.
    With `limit` (and `after`) each party's commitment (`parties`) comes a page at a time, as in the
    balances; every other figure, and `commitments`, the totals, stay the agreement's."""
    aid = parse_uuid(agreement_id, "agreement")
    result = answers.funding(ledger, runner.store, aid, as_of=as_of_or_today(as_of), known_at=known_at,
                             limit=limit, after=cursor(after))
    if limit is not None:
        link_next(request, response, result["parties"], "party_id", limit)
    return {**result, "known_at": known_at}


@router.get("/refunds/preview")
def refund_preview(agreement_id: str, ledger: LedgerDep, runner: Journal, principal: Staff,
                   as_of: AsOf = None) -> dict[str, Any]:
    """What each party gets back of what remains on the date, by what it paid (R-FUND-2, R-FUND-3).

    Nothing unless the cooperation was dissolved by the date and more than the threshold remains:
    `refund_possible` is then false, every refund 0 and `reason` says why (`agreement_not_dissolved`,
    `at_or_below_threshold`, `nothing_paid`). `parties` share in a refund (a party that left by notice
    too, unless the terms' `refund_to_withdrawn_parties` is false); `excluded` lists the parties that
    get nothing, with what they paid and why (`expelled`, `withdrawn`).
    """
    aid = parse_uuid(agreement_id, "agreement")
    return answers.refund_preview(ledger, runner.store, aid, as_of=as_of_or_today(as_of))


@router.post("/refunds", status_code=status.HTTP_201_CREATED)
def issue_refunds(agreement_id: str, body: RefundIn, request: Request, ledger: LedgerDep, runner: Journal,
                  principal: Coordinator, key: IdempotencyKey) -> dict[str, Any]:
    """Pay out the previewed refunds on a passed refund decision taken on or after the dissolution
    (R-FUND-2, R-FUND-3; coordinator). Before the dissolution: 409 `agreement_not_dissolved`; without
    such a decision: 409 `refund_not_allowed`."""
    aid = parse_uuid(agreement_id, "agreement")
    preview = answers.refund_preview(ledger, runner.store, aid, as_of=body.as_of)
    refunds = {UUID(row["party_id"]): Decimal(row["refund"]) for row in preview["parties"]}
    remaining = Decimal(preview["remaining"]) if preview["refund_possible"] else ZERO
    return ledger.issue_refunds(aid, decision_id=parse_uuid(body.decision_id, "decision"), as_of=body.as_of,
                                remaining=remaining, refunds=refunds if preview["refund_possible"] else {},
                                idempotency=claim(principal, key, request, body.model_dump(mode="json")))


@router.get("/reports/quarterly", response_model=None, responses=FILES)
def quarterly_report(agreement_id: str, ledger: LedgerDep, runner: Journal, principal: BillReader,
                     year: Annotated[int, Query(ge=2000, le=2100)],
                     quarter: Annotated[int, Query(ge=1, le=4)], format: Format = "json"
                     ) -> dict[str, Any] | Response:
    """Money in, money out and the balance of one quarter (R-REP-1). The staff and every party of the
    agreement read it (a party's token of another agreement gets 404); it holds no party's own figure."""
    aid = parse_uuid(agreement_id, "agreement")
    check_visible(ledger, principal, aid)
    report = answers.quarterly_report(ledger, runner.store, aid, year=year, quarter=quarter)
    if format == "xlsx":
        return _xlsx(xlsx.quarterly(report, f"{year}-Q{quarter}"), f"{year}-Q{quarter}")
    return _csv([report], f"{year}-Q{quarter}") if format == "csv" else json_answer(report)


@router.get("/reports/annual", response_model=None, responses=FILES)
def annual_account(agreement_id: str, ledger: LedgerDep, runner: Journal, principal: BillReader,
                   year: Annotated[int, Query(ge=2000, le=2100)], format: Format = "json"
                   ) -> dict[str, Any] | Response:
    """The annual project account for the steering group and the network (R-REP-1): each quarter, the
    year, funding at year end. Every party of the agreement reads it too (another agreement's party: 404)."""
    aid = parse_uuid(agreement_id, "agreement")
    check_visible(ledger, principal, aid)
    quarters, year_row, funding = answers.annual_account(ledger, runner.store, aid, year=year)
    if format == "csv":
        return _csv([*quarters, year_row], f"{year}")
    if format == "xlsx":
        return _xlsx(xlsx.annual(quarters, year_row, funding, str(year)), str(year))
    return json_answer({"year": year, "quarters": quarters, "year_total": year_row, "funding": funding})


@router.get("/final-account", response_model=None, responses=FILES)
def final_account(agreement_id: str, ledger: LedgerDep, runner: Journal, principal: Staff, as_of: AsOf = None,
                  format: Format = "json") -> dict[str, Any] | Response:
    """The closing statement when the network ends (R-FUND-4): each party's account, the funding and the
    unused funds with the steering group's decision on their use.

    ``status`` is `final` once the agreement has ended or been dissolved by ``as_of`` and `provisional`
    before; ``decision_required`` says a final account still leaves unused funds without a decision.
    As CSV or XLSX: one row per party, then the totals (in XLSX a `=SUM` of the rows above, and the
    funding and unused funds on a second sheet).
    """
    aid = parse_uuid(agreement_id, "agreement")
    day = as_of_or_today(as_of)
    account = answers.final_account(ledger, runner.store, aid, as_of=day)
    if format != "json":
        extra = {"status": account["status"], "unused_funds": account["unused_funds"], **account["funding"]}
        return _party_rows(account, f"final-account-{day.isoformat()}", format, extra)
    return json_answer(account)


PARTY_COLUMNS = ("cost_share", *PARTY_FIGURES, "committed", "unpaid")


def _party_rows(table: dict[str, Any], name: str, format: str, extra: dict[str, Any] | None = None) -> Response:
    """Balances or the final account as CSV or XLSX: one row per party, then the totals."""
    if format == "xlsx":
        return _xlsx(xlsx.party_table(table["parties"], table["totals"], PARTY_COLUMNS, name, extra), name)
    rows = [{"party_id": row["party_id"], "name": _text_cell(row["name"]), "status": row["status"],
             **{key: row[key] for key in PARTY_COLUMNS}} for row in table["parties"]]
    rows.append({"party_id": "", "name": "total", "status": table.get("status", ""), **table["totals"]})
    return _csv(rows, name)


def _xlsx(content: bytes, name: str) -> Response:
    return Response(content, media_type=xlsx.MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="report-{name}.xlsx"'})


def _text_cell(text: str) -> str:
    """A name as a CSV cell that a spreadsheet shows as text and never runs as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(rows: list[dict[str, Any]], name: str) -> PlainTextResponse:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return PlainTextResponse(out.getvalue(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="report-{name}.csv"'})

