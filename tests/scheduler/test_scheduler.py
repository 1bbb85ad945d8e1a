"""The scheduler invoices exactly once (R-INV-3): run twice, concurrently, or after downtime."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from api.demo import load_demo
from api.settings import Settings
from domain.application import Ledger
from scheduler.jobs import sweep, sweep_all
from scheduler.service import MISFIRE_GRACE_SECONDS, build

# The parties invoiced: never the coordinator, whose share is its own contribution (R-ACC-4).
LYHTY_PARTIES = 9  # nine accessions, one of them late (2025-10-15); Valtori coordinates
DIGIONE_INVOICES = 6 * 3  # six cities besides Vantaa, the host, three yearly instalments (2021–2023)


def every_invoice(ledger: Ledger, ids: dict[str, UUID], as_of: date) -> list[dict[str, Any]]:
    return [invoice for aid in ids.values()
            for invoice in ledger.list_invoices(aid, as_of=as_of, limit=500)]


def instalments_billed(invoices: list[dict[str, Any]]) -> Counter[tuple[str, int]]:
    return Counter((invoice["party_id"], n) for invoice in invoices for n in invoice["instalments"])


def test_daily_sweeps_issue_each_instalment_once(ledger: Ledger) -> None:
    ids = load_demo(ledger)
    first = sweep(ledger, "invoicing", date(2025, 9, 1))
    assert (first["agreements"], first["issued"]) == (3, LYHTY_PARTIES - 1 + DIGIONE_INVOICES)
    assert sweep(ledger, "invoicing", date(2025, 9, 1))["issued"] == 0
    assert sweep(ledger, "invoicing", date(2025, 10, 15))["issued"] == 1  # the late university of applied sciences
    assert sweep(ledger, "invoicing", date(2026, 1, 15))["issued"] == LYHTY_PARTIES
    billed = instalments_billed(every_invoice(ledger, {"LYHTY": ids["LYHTY"]}, date(2026, 12, 31)))
    assert len(billed) == 2 * LYHTY_PARTIES and set(billed.values()) == {1}


def test_sweep_after_48_hours_of_downtime_issues_what_was_missed_once(ledger: Ledger) -> None:
    """Nothing ran on 2025-09-01 or 09-02; the sweep of 09-03 issues the first instalments, once."""
    ids = load_demo(ledger)
    lyhty = {"LYHTY": ids["LYHTY"]}
    results = sweep_all(ledger, date(2025, 9, 3))
    assert [r["job"] for r in results] == ["notices", "invoicing", "recharges", "overdue"]
    issued = every_invoice(ledger, lyhty, date(2025, 9, 3))
    assert len(issued) == LYHTY_PARTIES - 1
    assert {(i["issued_on"], i["due_on"]) for i in issued} == {(date(2025, 9, 3), date(2025, 9, 24))}
    for day in (date(2025, 9, 3), date(2025, 9, 4)):
        assert sweep(ledger, "invoicing", day)["issued"] == 0
    assert set(instalments_billed(every_invoice(ledger, lyhty, date(2025, 9, 4))).values()) == {1}


def test_overdue_sweep_marks_each_unpaid_invoice_once(ledger: Ledger) -> None:
    ids = load_demo(ledger)
    sweep(ledger, "invoicing", date(2025, 9, 1))
    kela = next(i for i in ledger.list_invoices(ids["LYHTY"], as_of=date(2025, 9, 1), limit=500)
                if i["amount"] == "12500.00")
    ledger.record_payment(UUID(kela["id"]), amount="12500.00", paid_on=date(2025, 9, 20))
    assert sweep(ledger, "overdue", date(2025, 9, 22))["marked"] == 0  # due today, not yet late
    marked = sweep(ledger, "overdue", date(2025, 9, 23))["marked"]
    assert marked == LYHTY_PARTIES - 1 - 1 + DIGIONE_INVOICES  # all issued 2025-09-01, all but Kela's unpaid
    assert sweep(ledger, "overdue", date(2025, 9, 24))["marked"] == 0


def sweep_at_once(schedulers: list[Ledger], job: str, day: date
                  ) -> tuple[list[dict[str, Any]], list[BaseException]]:
    """Run one sweep in every scheduler at the same moment, each in its own thread; returns the sweeps'
    results and whatever any of them raised (reported in the test's thread)."""
    start = threading.Barrier(len(schedulers))
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def run(ledger: Ledger) -> None:
        try:
            start.wait(timeout=30)
            results.append(sweep(ledger, job, day))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(ledger,)) for ledger in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


def test_two_schedulers_sweeping_at_once_issue_each_instalment_once(settings: Settings) -> None:
    """R-INV-3: two scheduler processes, each with its own connections, run the same sweeps together."""
    setup = Ledger(env=settings.persistence_env())
    ids = load_demo(setup)
    schedulers = [Ledger(env=settings.persistence_env()) for _ in range(2)]
    rounds: dict[str, threading.Barrier] = {}

    def hold_first_save(ledger: Ledger) -> None:
        """Make both schedulers read the same state before either writes: a guaranteed race."""
        save = ledger.save

        def racing_save(*aggregates: Any, **kwargs: Any) -> Any:
            barrier = rounds.pop(str(id(ledger)), None)
            if barrier is not None:
                try:
                    barrier.wait(timeout=10)
                except threading.BrokenBarrierError:
                    pass
            return save(*aggregates, **kwargs)

        ledger.save = racing_save  # type: ignore[method-assign]

    for ledger in schedulers:
        hold_first_save(ledger)
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []
    try:
        for day in (date(2025, 9, 1), date(2025, 10, 15), date(2026, 1, 15), date(2026, 1, 16)):
            race = threading.Barrier(len(schedulers))
            rounds.update({str(id(ledger)): race for ledger in schedulers})
            found, failed = sweep_at_once(schedulers, "invoicing", day)
            results += found
            errors += failed
        assert not errors
        assert not any(result.get("failed") for result in results)
        invoices = every_invoice(setup, ids, date(2026, 12, 31))
        billed = instalments_billed(invoices)
        assert set(billed.values()) == {1}
        assert len(billed) == 2 * LYHTY_PARTIES + DIGIONE_INVOICES  # Lyhty twice, DigiOne's six three times
        assert sum(result["issued"] for result in results) == len(invoices)
        for aid in ids.values():
            numbers = sorted(i["number"] for i in setup.list_invoices(aid, as_of=date(2026, 12, 31), limit=500))
            for year in {n.rsplit("-", 2)[1] for n in numbers}:
                in_year = [int(n.rsplit("-", 1)[1]) for n in numbers if n.rsplit("-", 2)[1] == year]
                assert in_year == list(range(1, len(in_year) + 1)), "numbers run without gaps"
        conflicts = sum(result.get("conflicts", 0) for result in results)
        assert conflicts >= 3, "the schedulers raced on the same invoices and one of them retried"
        print(f"\ntwo schedulers on {settings.database}: {len(invoices)} invoices, "
              f"{conflicts} conflicts retried, 0 duplicates")
    finally:
        for ledger in (setup, *schedulers):
            ledger.close()


def test_apscheduler_jobs_have_ids_one_instance_coalescing_and_a_grace_covering_downtime(
        ledger: Ledger) -> None:
    scheduler = build(ledger, blocking=False, run_at_start=False)
    scheduler.start(paused=True)  # job defaults apply once the jobs are in the store
    jobs = {job.id: job for job in scheduler.get_jobs()}
    scheduler.shutdown(wait=False)
    assert set(jobs) == {"notices", "invoicing", "recharges", "overdue"}
    assert MISFIRE_GRACE_SECONDS >= 48 * 3600
    for job in jobs.values():
        assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, MISFIRE_GRACE_SECONDS)
        assert str(job.trigger.timezone) == "Europe/Helsinki"


def test_scheduler_started_after_downtime_catches_up_at_once(ledger: Ledger) -> None:
    """The process sweeps at start, so a restart after downtime issues what is due without waiting."""
    ids = load_demo(ledger)
    scheduler = build(ledger, blocking=False, clock=lambda: date(2026, 1, 17))
    scheduler.start()
    try:
        deadline = time.monotonic() + 60
        while len(every_invoice(ledger, {"L": ids["LYHTY"]}, date(2026, 1, 17))) < 2 * LYHTY_PARTIES:
            assert time.monotonic() < deadline, "the start-up sweep did not run"
            time.sleep(0.05)
    finally:
        scheduler.shutdown(wait=True)
    billed = instalments_billed(every_invoice(ledger, {"L": ids["LYHTY"]}, date(2026, 1, 17)))
    assert len(billed) == 2 * LYHTY_PARTIES and set(billed.values()) == {1}


@pytest.mark.parametrize("job", ["notices", "invoicing", "recharges", "overdue"])
def test_a_job_on_an_empty_ledger_does_nothing(ledger: Ledger, job: str) -> None:
    assert sweep(ledger, job, date(2026, 1, 1))["agreements"] == 0


def test_parties_that_gave_notice_or_were_expelled_are_still_invoiced_for_the_term(ledger: Ledger) -> None:
    """R-TERM-3: Kela gives notice and has left by the second instalment; it is still invoiced it.

    The notice sweep records the withdrawal on its effective date; the invoicing sweep bills the
    withdrawn party its remaining instalment all the same.
    """
    ids = load_demo(ledger)
    lyhty = ids["LYHTY"]
    sweep_all(ledger, date(2025, 9, 1))
    kela = ledger.list_parties(lyhty, limit=1, business_id="0246246-0")[0]["party_id"]
    ledger.give_notice(lyhty, UUID(str(kela)), given_on=date(2025, 9, 2), ground="organisation_changed")
    assert sweep(ledger, "notices", date(2025, 12, 31))["withdrawn"] == 0
    assert sweep(ledger, "notices", date(2026, 1, 1))["withdrawn"] == 0  # the year's minimum commitment
    results = sweep_all(ledger, date(2026, 9, 1))
    # every party's instalment 2, and the late joiner's instalment 1 that the 2025-09-01 sweep could not bill
    assert (results[0]["withdrawn"], results[1]["issued"]) == (1, LYHTY_PARTIES + 1)
    assert ledger.get_party(lyhty, UUID(str(kela)), as_of=date(2026, 9, 1))["status"] == "withdrawn"
    own = ledger.list_invoices(lyhty, as_of=date(2026, 9, 1), limit=10, party_id=UUID(str(kela)))
    assert [(i["instalments"], i["amount"]) for i in own] == [([1], "12500.00"), ([2], "12500.00")]
