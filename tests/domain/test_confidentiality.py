"""R-CONF-1 without a store: how long figures stay confidential, and when a total across parties would
disclose one organisation's figure."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.agreements.agreement import Agreement
from domain.records.confidentiality import (check_summary_for_party, confidential_until, disclosing_figure,
                                            party_may_see_totals)
from domain.kernel.errors import Withheld


def amounts(*values: str) -> list[Decimal]:
    return [Decimal(v) for v in values]


def agreement(ends_on: date, **terms: int) -> Agreement:
    return Agreement.open(code="X", title="X", coordinator={"name": "Valtori", "business_id": "2574261-7"},
                          starts_on=date(2020, 1, 1), ends_on=ends_on, instalments=[], terms=terms,
                          cost_sharing={"model": "equal", "total": "100.00"})


def test_figures_are_confidential_for_the_given_years_after_the_end_or_an_earlier_dissolution() -> None:
    assert confidential_until(agreement(date(2026, 12, 31))) == date(2031, 12, 31)  # five years by default
    assert confidential_until(agreement(date(2024, 2, 29), confidentiality_years=1)) == date(2025, 2, 28)
    assert confidential_until(agreement(date(2026, 12, 31), confidentiality_years=0)) == date(2026, 12, 31)
    dissolved = agreement(date(2026, 12, 31))
    dissolved.cooperation_dissolved(dissolved_on=date(2026, 3, 31), decision_id=uuid4())
    assert confidential_until(dissolved) == date(2031, 3, 31)


def test_two_parties_never_get_a_summary_whatever_the_figures() -> None:
    """With two parties the total less one's own figure is the other's."""
    assert disclosing_figure(2, {}) is not None
    assert disclosing_figure(2, {"received": amounts("0", "0")}) is not None
    assert disclosing_figure(3, {}) is None


@pytest.mark.parametrize("values, discloses", [
    (("0", "0", "0"), False),  # nobody has an amount: nothing to take apart
    (("300.00",), True),  # one party's amount is that party's figure
    (("300.00", "100.00", "0"), True),  # two: each knows its own, so knows the other's
    (("600.00", "300.00", "100.00"), False),
    (("900.00", "50.00", "40.00"), True),  # the rest (40) is under 10 % of the largest (90)
    (("900.00", "50.00", "45.00", "45.00"), False),  # the rest (90) is exactly 10 %: enough
    (("-900.00", "50.00", "45.00", "45.00"), False),  # amounts count by their size
])
def test_a_figure_needs_three_contributors_none_of_them_dominant(values: tuple[str, ...],
                                                                 discloses: bool) -> None:
    assert (disclosing_figure(5, {"received": amounts(*values)}) is not None) is discloses


def test_the_first_disclosing_figure_is_named() -> None:
    reason = disclosing_figure(4, {"invoiced": amounts("1", "1", "1"), "credited": amounts("5")})
    assert reason is not None and reason.startswith("credited")


def test_a_party_is_refused_only_while_the_figures_are_confidential() -> None:
    until = date(2031, 12, 31)
    with pytest.raises(Withheld) as refused:
        check_summary_for_party(2, {}, confidential_until_on=until, today=until)
    assert refused.value.code == "summary_would_disclose" and "2031-12-31" in refused.value.detail
    check_summary_for_party(2, {}, confidential_until_on=until, today=date(2032, 1, 1))
    check_summary_for_party(3, {"received": amounts("1", "1", "1")}, confidential_until_on=until, today=until)


def test_funding_totals_are_shown_to_a_party_with_three_parties_or_once_the_period_is_over() -> None:
    until = date(2031, 12, 31)
    assert not party_may_see_totals(2, confidential_until_on=until, today=date(2026, 1, 1))
    assert party_may_see_totals(3, confidential_until_on=until, today=date(2026, 1, 1))
    assert party_may_see_totals(1, confidential_until_on=until, today=date(2032, 1, 1))
