"""Pure figure rules over journal sums."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

from projections.figures import overdue_by_party, refund_possible


def test_an_overpaid_invoice_does_not_offset_another_invoices_arrears() -> None:
    party, first, second, not_due = uuid4(), uuid4(), uuid4(), uuid4()
    sums = {("open_items", first): Decimal("-100.00"), ("past_due", first): Decimal("500.00"),
            ("open_items", second): Decimal("250.00"), ("past_due", second): Decimal("250.00"),
            ("open_items", not_due): Decimal("999.00")}
    assert overdue_by_party(sums, {first: party, second: party, not_due: party}) == {party: Decimal("250.00")}


def test_refund_is_possible_only_above_the_threshold_compared_exactly() -> None:
    """R-FUND-2: 20 percentage points or less of the original funding is not refunded."""
    assert not refund_possible(Decimal("200.00"), Decimal("1000.00"), 20)
    assert refund_possible(Decimal("200.01"), Decimal("1000.00"), 20)
    assert not refund_possible(Decimal("5.00"), Decimal("0.00"), 20)
