"""Each sweep isolates failures per agreement (issue 16, item 1): one agreement whose history breaks a
command (as a far-future date written before dates were bounded did, `year 10009 is out of range`) is
logged and counted as failed, and the sweep goes on to the other agreements and the next jobs."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest

from api.demo import load_demo
from domain.application import Ledger
from domain.kernel.errors import InvalidInput
from scheduler.jobs import sweep_all


def test_an_unexpected_error_in_one_agreement_fails_only_that_agreement(
        ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = load_demo(ledger)
    broken = ids["LYHTY"]
    for name in ("apply_notices", "run_invoicing", "run_recharges", "mark_overdue", "get_agreement"):
        real = getattr(ledger, name)

        def failing(aid: UUID, *args: Any, _real: Any = real, **kwargs: Any) -> Any:
            if aid == broken:
                raise ValueError("year 10009 is out of range")
            return _real(aid, *args, **kwargs)

        monkeypatch.setattr(ledger, name, failing)
    results = {r["job"]: r for r in sweep_all(ledger, date(2025, 9, 1))}
    assert list(results) == ["notices", "invoicing", "recharges", "overdue"]
    assert {job: (r["agreements"], r["failed"]) for job, r in results.items()} == {
        job: (3, 1) for job in results}
    assert results["invoicing"]["issued"] > 0  # the other agreements were invoiced
    assert ledger.list_invoices(broken, as_of=date(2025, 9, 1), limit=10) == []


def test_the_scheduler_and_the_command_line_cannot_write_a_date_beyond_2199(ledger: Ledger) -> None:
    """The bound holds in the domain too, for callers without the API (the scheduler, `ledger demo`)."""
    ids = load_demo(ledger)
    before = ledger.recorder.max_notification_id()
    for command in (ledger.run_invoicing, ledger.run_recharges, ledger.mark_overdue, ledger.apply_notices):
        with pytest.raises(InvalidInput) as refused:
            command(ids["LYHTY"], as_of=date(9999, 12, 31))
        assert refused.value.code == "date_out_of_range"
    with pytest.raises(InvalidInput) as refused:
        ledger.create_agreement(code="FAR", title="Far", coordinator={"name": "Valtori", "business_id": "2574261-7"},
                                starts_on=date(9999, 1, 1), ends_on=date(9999, 12, 31),
                                cost_sharing={"model": "equal", "total": "1000.00"},
                                instalments=[{"issue_on": date(9999, 1, 1), "share": "1"}])
    assert refused.value.code == "date_out_of_range"
    with pytest.raises(InvalidInput) as refused:
        ledger.record_payment_by_reference(ids["LYHTY"], reference="1234561", amount="1000000000000.00",
                                           paid_on=date(2025, 10, 1))
    assert refused.value.code == "amount_out_of_range"
    with pytest.raises(InvalidInput) as refused:
        ledger.record_payment_by_reference(ids["LYHTY"], reference="1234561", amount="١٢٣.00",
                                           paid_on=date(2025, 10, 1))
    assert refused.value.code == "invalid_amount"
    assert ledger.recorder.max_notification_id() == before
