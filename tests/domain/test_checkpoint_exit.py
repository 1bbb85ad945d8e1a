"""The checkpoint exit and the host's protection without a store (R-FUND-6). Figures worked by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from api.demo import DIGIONE, LYHTY
from domain.funding.exits import ExitCheckpoint, check_at_checkpoint, checkpoint_worksheet, host_reimbursement
from domain.invoicing.schedule import instalment_invoices
from domain.kernel.errors import DomainError
from tests.domain.test_funding import ESPOO, KELA, VANTAA, build, pid

D = Decimal


def checkpoint(agreement, day: date, fees_until: date) -> ExitCheckpoint:  # type: ignore[no-untyped-def]
    agreement.funding_amended(amendment=1, decision_id=uuid4(), signed_on=agreement.starts_on, total=D("0.00"),
                              shares={}, instalments=[])
    return ExitCheckpoint.name(agreement, amendment=1, checkpoint=day, fees_until=fees_until)


def test_a_party_that_left_at_the_checkpoint_is_not_invoiced_its_later_instalments() -> None:
    """R-FUND-6: Kela leaves Lyhty at 2025-12-31; its settlement replaces the 2026-01-15 half (12,500.00),
    which every other party is still invoiced (R-TERM-3 keeps a notice-leaver's instalments)."""
    agreement = build(LYHTY)
    before = {p.party_id for p in instalment_invoices(agreement, date(2026, 2, 1)) if p.instalments == [2]}
    assert pid(agreement, KELA) in before
    agreement.party_exited_at_checkpoint(party_id=pid(agreement, KELA), left_on=date(2025, 12, 31),
                                         confirmed_on=date(2026, 1, 5))
    after = {p.party_id for p in instalment_invoices(agreement, date(2026, 2, 1)) if p.instalments == [2]}
    assert after == before - {pid(agreement, KELA)}
    first = [p for p in instalment_invoices(agreement, date(2026, 2, 1)) if p.party_id == pid(agreement, KELA)]
    assert [p.instalments for p in first] == [[1]]  # billed before the checkpoint: still owed


def test_maintenance_fees_run_in_whole_months_from_the_month_after_the_checkpoint() -> None:
    """2024-05 … 2029-12 is 68 months: 134,000.00 a year × 68 / 12 = 759,333.333… → 759,333.33, split by
    pupils: Espoo 15/67 of it, 169,999.99… → 170,000.00 by the largest remainder."""
    agreement = build(DIGIONE)
    terms = checkpoint(agreement, date(2024, 4, 30), date(2029, 12, 31))
    check_at_checkpoint(terms, date(2024, 4, 30))
    sheet = checkpoint_worksheet(agreement, pid(agreement, ESPOO), terms, accrued_costs=D("0.00"),
                                 wind_down_costs=D("0.00"), maintenance_fees_per_year=D("134000.00"),
                                 other_exit_costs=D("0.00"), paid=D("0.00"), open_invoices=D("0.00"),
                                 as_of=date(2024, 4, 30))
    fees = sheet["lines"][2]
    assert (fees["basis"]["months"], fees["basis"]["total"]) == (68, "759333.33")
    # 75,933,333 cents × 30,000 / 134,000 = 16,999,999.925…: floors leave 5 cents, which go to the five
    # largest remainders: Jyväskylä .963, Oulu .955, Espoo .925, Turku .627, Tampere .619 (Vantaa .604 and
    # Lahti .306 keep their floors); so Espoo gets a cent.
    assert fees["amount"] == "170000.00"
    assert sheet["balance"] == "170000.00" and sheet["settles_by"] == "invoice"


@pytest.mark.parametrize("day", [date(2024, 4, 29), date(2024, 5, 1)])
def test_any_other_day_than_the_checkpoint_is_refused(day: date) -> None:
    agreement = build(DIGIONE)
    terms = checkpoint(agreement, date(2024, 4, 30), date(2029, 12, 31))
    with pytest.raises(DomainError) as refused:
        check_at_checkpoint(terms, day)
    assert refused.value.code == "not_the_checkpoint"
    with pytest.raises(DomainError) as none:
        check_at_checkpoint(None, date(2024, 4, 30))
    assert none.value.code == "no_exit_checkpoint"


def test_the_host_bears_its_own_part_of_its_costs() -> None:
    """1,340,000.00 by accession fees (6,700,000.00): 20 % each 1,000,000.00 … Vantaa 25/134: 250,000.00."""
    agreement = build(DIGIONE)
    split = host_reimbursement(agreement, host_costs=D("1340000.00"), on=date(2024, 6, 3))
    rows = {row["party_id"]: row for row in split["parties"]}
    assert rows[str(pid(agreement, VANTAA))]["host"] is True
    assert (split["host_part"], split["reimbursed_by_others"]) == ("254400.00", "1085600.00")
