"""Pure figure rules over journal sums."""

from __future__ import annotations

from decimal import Decimal

from projections.figures.calculations import refund_possible


def test_refund_is_possible_only_above_the_threshold_compared_exactly() -> None:
    """R-FUND-2: 20 percentage points or less of the original funding is not refunded."""
    assert not refund_possible(Decimal("200.00"), Decimal("1000.00"), 20)
    assert refund_possible(Decimal("200.01"), Decimal("1000.00"), 20)
    assert not refund_possible(Decimal("5.00"), Decimal("0.00"), 20)
