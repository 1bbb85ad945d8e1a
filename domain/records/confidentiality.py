"""What a party may be told of figures across parties (R-CONF-1).

Parties' figures are confidential for ``confidentiality_years`` after the agreement ends; only summaries
across parties are published, never one organisation's figures. A total discloses one when a reader
can take it apart: with two parties, the total less the reader's own figure is the other's; with a
figure made of one or two parties' amounts, or dominated by one, the other contributors can work it
out or come close. The rules below are those of statistical disclosure control (a minimum number of
contributors, and the p % rule against dominance), applied to each figure a summary is made of.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from domain.kernel.errors import Withheld
from domain.kernel.calendar import add_months
from domain.records.retention import ended_on

if TYPE_CHECKING:
    from domain.agreements.agreement import Agreement

MIN_CONTRIBUTORS = 3
DOMINANCE_PCT = 10  # the rest, after the two largest amounts, must be at least this share of the largest


def confidential_until(agreement: Agreement) -> date:
    """The last day the parties' figures are confidential: ``confidentiality_years`` after the agreement
    ends (its dissolution, if earlier than its term's end), to the same calendar day (seed 000 §14:
    "viisi vuotta sopimuksen päättymisen jälkeen"; ended 2026-10-01: confidential to 2031-10-01). Unlike
    the retention (R-REC-1), it is not counted to the end of a financial year."""
    return add_months(ended_on(agreement), 12 * agreement.rules.confidentiality_years)


def party_may_see_totals(parties: int, *, confidential_until_on: date, today: date) -> bool:
    """Whether a party may see an agreement's funding totals (the sum of the cost shares, an amendment's
    total): not while confidential if there are fewer than three parties, as the total less its own
    share would be another's."""
    return today > confidential_until_on or parties >= MIN_CONTRIBUTORS


def disclosing_figure(parties: int, contributions: Mapping[str, Sequence[Decimal]]) -> str | None:
    """Why a summary across ``parties`` parties would disclose one organisation's figure, or None if not.

    ``contributions`` holds, for each figure of the summary, every party's own amount in it. A figure
    nobody has any amount in discloses nothing; otherwise it needs at least three parties with an
    amount, and the amounts after the two largest must come to at least 10 % of the largest, so the
    second-largest contributor cannot estimate the largest to within 10 %.
    """
    if parties < MIN_CONTRIBUTORS:
        return f"the agreement has {parties} parties; a summary needs at least {MIN_CONTRIBUTORS}"
    for figure, amounts in contributions.items():
        sizes = sorted((abs(amount) for amount in amounts if amount), reverse=True)
        if not sizes:
            continue
        if len(sizes) < MIN_CONTRIBUTORS:
            return f"{figure} is made of {len(sizes)} parties' amounts; it needs at least {MIN_CONTRIBUTORS}"
        if sum(sizes[2:]) * 100 < DOMINANCE_PCT * sizes[0]:
            return f"{figure} is dominated by one party's amount"
    return None


def check_summary_for_party(parties: int, contributions: Mapping[str, Sequence[Decimal]], *,
                            confidential_until_on: date, today: date) -> None:
    """Refuse a party a summary that would disclose another's figure while figures are confidential."""
    if today > confidential_until_on:
        return
    reason = disclosing_figure(parties, contributions)
    if reason is not None:
        raise Withheld(f"{reason}, and the parties' figures are confidential until "
                       f"{confidential_until_on.isoformat()} (R-CONF-1)", code="summary_would_disclose")
