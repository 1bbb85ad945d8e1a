"""The scheduler's invoicing runs are the same bounded batches as the API's (issue 17 item 3, R-INV-3)."""

from __future__ import annotations

from datetime import date

from structlog.testing import capture_logs

from api.demo import load_demo
from domain.application import Ledger
from scheduler.jobs import sweep
from tests.scheduler.test_scheduler import DIGIONE_INVOICES, LYHTY_PARTIES, every_invoice, instalments_billed


def test_a_sweep_issues_in_batches_logs_each_and_bills_each_instalment_once(ledger: Ledger) -> None:
    ids = load_demo(ledger)
    ledger.run_batch_size = 4
    with capture_logs() as logs:
        first = sweep(ledger, "invoicing", date(2025, 9, 1))
    assert first["issued"] == LYHTY_PARTIES - 1 + DIGIONE_INVOICES
    batches = [entry for entry in logs if entry["event"] == "invoicing_batch"]
    assert sum(1 for entry in batches if entry["planned"] == DIGIONE_INVOICES) == -(-DIGIONE_INVOICES // 4)
    assert max(entry["issued"] for entry in batches) == DIGIONE_INVOICES
    assert sweep(ledger, "invoicing", date(2025, 9, 1))["issued"] == 0
    billed = instalments_billed(every_invoice(ledger, ids, date(2025, 9, 1)))
    assert set(billed.values()) == {1}
