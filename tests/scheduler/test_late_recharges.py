"""A cost booked after its period was recharged is billed by the next recharge sweep, exactly once, even
when two schedulers sweep at the same moment (R-INV-5, R-INV-3)."""

from __future__ import annotations

from datetime import date

from api.demo import load_demo
from api.settings import Settings
from domain.application import Ledger
from scheduler.jobs import sweep
from tests.scheduler.test_scheduler import sweep_at_once


def test_two_schedulers_racing_bill_a_late_cost_once_on_the_next_day(settings: Settings) -> None:
    """The demo's 2025-Q4 staff cost is recharged on 2026-01-01; a year-end accrual dated 2025-12-31 and
    booked on 2026-01-07 is billed by the sweep of 2026-01-08 as a late item of 2025-Q4: Hirvensalmi's
    quarter of 1,200.00, once, however the two schedulers interleave; Mäntyharju is never invoiced."""
    setup = Ledger(env=settings.persistence_env())
    schedulers = [Ledger(env=settings.persistence_env()) for _ in range(2)]
    try:
        mh_hs = load_demo(setup, as_of=date(2026, 1, 1))["MH-HS-ICT"]
        # Hirvensalmi's quarter of the staff cost and its own 480.00 travel (seed 003)
        assert [i["amount"] for i in setup.list_invoices(mh_hs, as_of=date(2026, 1, 1), limit=10)] == ["2980.00"]
        setup.record_spending(mh_hs, amount="1200.00", booked_on=date(2025, 12, 31), category="staff",
                              description="Year-end accrual")
        results, errors = sweep_at_once(schedulers, "recharges", date(2026, 1, 8))
        assert not errors and not any(result["failed"] for result in results)
        assert sum(result["issued"] for result in results) == 1
        assert sum(result["late_periods"] for result in results) == 1
        bills = setup.list_invoices(mh_hs, as_of=date(2026, 1, 8), limit=10)
        assert [(b["period"], b["amount"]) for b in bills] == [("2025-Q4", "2980.00"), ("2025-Q4", "300.00")]
        hirvensalmi = setup.list_parties(mh_hs, limit=10)[1]["party_id"]
        assert {b["party_id"] for b in bills} == {hirvensalmi}
        assert sweep(setup, "recharges", date(2026, 1, 9))["issued"] == 0
    finally:
        for ledger in (setup, *schedulers):
            ledger.close()
