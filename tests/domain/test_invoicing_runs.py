"""Invoicing runs in bounded batches, resumable after a crash, and numbering by bounded aggregates
(issue 17 items 1 and 3; R-INV-3: each invoice exactly once, numbers without gaps)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest

from domain.application import Ledger
from domain.invoicing.numbering import BLOCK, NumberSeries
from domain.invoicing.runs import InvoicingRun
from domain.kernel.errors import NotFound
from tests.api.helpers import valid_business_ids
from tests.domain.test_ledger_persistence import EQUAL

pytestmark = pytest.mark.persistence

AS_OF = date(2026, 12, 31)


def _agreement(ledger: Ledger, parties: int, instalments: int, code: str = "RUNS") -> UUID:
    aid = UUID(ledger.create_agreement(**{
        **EQUAL, "code": code, "starts_on": date(2025, 1, 1), "ends_on": date(2026, 12, 31),
        "cost_sharing": {"model": "equal", "total": f"{parties * 1200}.00"},
        "instalments": [{"issue_on": date(2025, 1, 15) + timedelta(days=30 * i), "share": f"1/{instalments}"}
                        for i in range(instalments)]})["id"])
    for number, bid in enumerate(valid_business_ids(parties, start=3_000_000 + 1_000 * len(code))):
        ledger.accede(aid, name=f"Kunta {number}", business_id=bid, signed_on=date(2025, 1, 1))
    return aid


def _numbers(ledger: Ledger, aid: UUID) -> list[str]:
    return [bill["number"] for bill in ledger.list_invoices(aid, as_of=AS_OF, limit=500)]


def _billed_once(ledger: Ledger, aid: UUID, parties: int, instalments: int) -> None:
    listed = ledger.list_invoices(aid, as_of=AS_OF, limit=500)
    billed = sorted((bill["party_id"], n) for bill in listed for n in bill["instalments"])
    assert len(billed) == len(set(billed)) == parties * instalments


def _second_save_fails(ledger: Ledger, why: str, work: Callable[[], Any]) -> None:
    """Run ``work`` with the ledger's second save failing (as when the process dies mid-run)."""
    save, saves = ledger.save, []

    def failing(*aggregates: Any, **kwargs: Any) -> Any:
        saves.append(len(aggregates))
        if len(saves) == 2:
            raise RuntimeError(why)
        return save(*aggregates, **kwargs)

    ledger.save = failing  # type: ignore[method-assign]
    try:
        with pytest.raises(RuntimeError):
            work()
    finally:
        ledger.save = save  # type: ignore[method-assign]


def test_a_run_commits_bounded_batches_and_reports_each(ledger: Ledger) -> None:
    """R-INV-3: 10 parties × 2 instalments in batches of 7: three transactions, numbers 1-20 in order."""
    aid = _agreement(ledger, 10, 2)
    ledger.run_batch_size = 7
    reports: list[dict[str, Any]] = []
    result = ledger.run_invoicing(aid, as_of=AS_OF, progress=reports.append)
    assert len(result["issued"]) == 20 and result["already_issued"] == 0
    assert [(r["batch"], r["issued"], r["planned"]) for r in reports] == [(1, 7, 20), (2, 14, 20), (3, 20, 20)]
    assert _numbers(ledger, aid) == [f"RUNS-2026-{n:05d}" for n in range(1, 21)]
    again = ledger.run_invoicing(aid, as_of=AS_OF)
    assert again == {"issued": [], "already_issued": 20}


def test_a_run_cut_short_by_a_crash_then_run_again_issues_each_invoice_once(ledger: Ledger) -> None:
    """R-INV-3: the second batch's save fails (the process dies); the rerun issues the other 13, once."""
    aid = _agreement(ledger, 10, 2)
    ledger.run_batch_size = 7
    _second_save_fails(ledger, "the process died", lambda: ledger.run_invoicing(aid, as_of=AS_OF))
    assert len(_numbers(ledger, aid)) == 7
    rerun = ledger.run_invoicing(aid, as_of=AS_OF)
    assert (len(rerun["issued"]), rerun["already_issued"]) == (13, 7)
    assert _numbers(ledger, aid) == [f"RUNS-2026-{n:05d}" for n in range(1, 21)]
    _billed_once(ledger, aid, 10, 2)


def test_two_ledgers_running_the_same_run_at_once_issue_each_invoice_once(ledger: Ledger, settings: Any) -> None:
    """R-INV-3: a second process racing batch by batch finds the first's invoices and issues the rest."""
    aid = _agreement(ledger, 10, 3)
    other = Ledger(env=settings.persistence_env())
    try:
        ledger.run_batch_size = other.run_batch_size = 4
        save = ledger.save

        def interleave(*aggregates: Any, **kwargs: Any) -> Any:
            other.run_invoicing(aid, as_of=AS_OF) if not getattr(interleave, "done", False) else None
            interleave.done = True  # type: ignore[attr-defined]
            return save(*aggregates, **kwargs)

        ledger.save = interleave  # type: ignore[method-assign]
        mine = ledger.run_invoicing(aid, as_of=AS_OF)
    finally:
        other.close()
    assert mine["issued"] == [] and mine["already_issued"] == 30
    assert _numbers(ledger, aid) == [f"RUNS-2026-{n:05d}" for n in range(1, 31)]
    _billed_once(ledger, aid, 10, 3)


def test_a_background_run_records_its_progress_and_is_read_by_its_agreement_only(ledger: Ledger) -> None:
    aid = _agreement(ledger, 10, 2)
    ledger.run_batch_size = 8
    started = ledger.start_invoicing_run(aid, as_of=AS_OF)
    assert (started["status"], started["planned"], started["issued"], started["batches"]) == ("running", 20, 0, 0)
    run_id = UUID(started["run_id"])
    done = ledger.continue_invoicing_run(run_id)
    assert (done["status"], done["issued"], done["already_issued"], done["batches"]) == ("finished", 20, 0, 3)
    assert ledger.get_invoicing_run(aid, run_id) == done
    assert ledger.continue_invoicing_run(run_id) == done  # a finished run is not carried out again
    with pytest.raises(NotFound):
        ledger.get_invoicing_run(UUID(int=1), run_id)
    assert isinstance(ledger.repository.get(run_id), InvoicingRun)


def test_numbers_fill_blocks_of_a_hundred_and_references_are_found_across_the_ledger(ledger: Ledger) -> None:
    """Invoices 1-120 of a year span two number blocks; a reference names its invoice from any agreement,
    and a payment by reference in another agreement stays unmatched there (R-INV-4)."""
    aid = _agreement(ledger, 60, 2, code="BIG")
    other = _agreement(ledger, 2, 1, code="SMALL")
    assert len(ledger.run_invoicing(aid, as_of=AS_OF)["issued"]) == 120
    ledger.run_invoicing(other, as_of=AS_OF)
    listed = ledger.list_invoices(aid, as_of=AS_OF, limit=500)
    assert [bill["number"] for bill in listed] == [f"BIG-2026-{n:05d}" for n in range(1, 121)]
    assert BLOCK == 100
    page = ledger.list_invoices(aid, as_of=AS_OF, limit=30, after=UUID(listed[89]["id"]))
    assert [bill["number"] for bill in page] == [f"BIG-2026-{n:05d}" for n in range(91, 121)]
    for bill in (listed[0], listed[99], listed[100], listed[119]):
        assert ledger.find_invoice_by_reference(bill["reference"]) == UUID(bill["id"])
        assert ledger.find_invoice_by_reference(bill["rf_reference"]) == UUID(bill["id"])
    small = ledger.list_invoices(other, as_of=AS_OF, limit=10)[0]
    assert ledger.find_invoice_by_reference(small["reference_grouped"]) == UUID(small["id"])
    assert ledger.find_invoice_by_reference("12345") is None
    paid = ledger.record_payment_by_reference(aid, reference=small["reference"], amount="1.00",
                                              paid_on=AS_OF)
    assert paid["status"] == "unmatched"


def test_credit_notes_take_numbers_from_the_series_and_its_snapshot_stays_small(ledger: Ledger) -> None:
    """Credit notes number after the invoices; a hundred and more numbering saves leave a snapshot of the
    series of a few hundred bytes, not a copy of every document."""
    aid = _agreement(ledger, 2, 1)
    ledger.run_invoicing(aid, as_of=AS_OF)
    bill = ledger.list_invoices(aid, as_of=AS_OF, limit=10)[0]
    for _ in range(105):
        note = ledger.issue_credit_note(UUID(bill["id"]), amount="0.01", issued_on=AS_OF, reason="Correction")
    assert note["number"] == "RUNS-2026-00107"
    series_id = NumberSeries.create_id(aid)
    snapshots = list(ledger.snapshots.get(series_id)) if ledger.snapshots is not None else []
    assert snapshots and max(len(ledger.mapper.to_stored_event(s).state) for s in snapshots) < 600
    assert ledger.repository.get(series_id).used == {"2026": 107}


def test_a_background_run_that_fails_is_marked_failed_and_a_new_run_finishes_it(ledger: Ledger) -> None:
    """R-INV-3: the second batch's save fails; the run says so, and a run started again issues the rest."""
    aid = _agreement(ledger, 10, 2)
    ledger.run_batch_size = 8
    run_id = UUID(ledger.start_invoicing_run(aid, as_of=AS_OF)["run_id"])
    _second_save_fails(ledger, "disk full", lambda: ledger.continue_invoicing_run(run_id))
    failed = ledger.get_invoicing_run(aid, run_id)
    assert (failed["status"], failed["issued"], failed["batches"], failed["reason"]) == (
        "failed", 8, 1, "RuntimeError: disk full")
    again = ledger.continue_invoicing_run(UUID(ledger.start_invoicing_run(aid, as_of=AS_OF)["run_id"]))
    assert (again["status"], again["issued"], again["already_issued"]) == ("finished", 12, 8)
    assert _numbers(ledger, aid) == [f"RUNS-2026-{n:05d}" for n in range(1, 21)]
