"""Exit settlement (R-FUND-6): what a party that leaves at a checkpoint owes, as a pure calculation.

Seed 002 (DigiOne, 2023 amendment): a city that leaves at the checkpoint pays its share of the costs
accrued to the checkpoint, its share of any wind-down costs, and the fees it is bound to until the
end of its commitment. The costs are given by the caller (the spending journal is kept elsewhere);
the fees are the party's own instalments, as the invoicing planner bills them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.kernel.errors import Conflict, InvalidInput
from domain.funding.instalments import PartyInstalment, is_released, party_instalments, split_by_key
from domain.kernel.calendar import add_months
from domain.membership.rules import check_may_leave
from domain.kernel.money import ZERO, fmt

if TYPE_CHECKING:
    from domain.agreements.agreement import Agreement


def commitment_ends_on(agreement: Agreement, party: dict[str, Any]) -> date:
    """The end of a party's commitment: the end of the term, or later if the minimum commitment runs on.

    R-TERM-1 binds a party "for the agreement term, and at least one year", and R-TERM-3 keeps a
    leaver's scheduled instalments owed for the term. Were the commitment only "joined + minimum
    commitment months", an exit at a checkpoint (R-FUND-6) would shed instalments that R-TERM-3 keeps
    owed; read as the later of the term's end and joined + minimum commitment, the minimum is a floor
    under the term (it matters only for a party that joins less than a year before the end), and the
    two rules give the same fees.
    """
    return max(agreement.ends_on, add_months(party["joined_on"], agreement.rules.minimum_commitment_months))


def covers(party: dict[str, Any], day: date) -> bool:
    """Whether a party's participation covers a day: it had acceded and had not left before it.

    A notice's effective date counts as the leaving date, so a party leaving at the checkpoint, and any
    other party leaving on the same day, still shares the costs accrued to it.
    """
    notice = party.get("notice")
    left_on = party.get("left_on") or (notice["effective_on"] if notice else None)
    return party["joined_on"] <= day and (left_on is None or left_on >= day)


def exit_settlement(agreement: Agreement, pid: UUID, *, checkpoint: date, accrued_costs: Decimal,
                    wind_down_costs: Decimal) -> dict[str, Any]:
    """What a party leaving at ``checkpoint`` owes (R-FUND-6); every figure in cents, the parts summing
    exactly to the total, nothing deducted for what it has paid.

    - Its share of ``accrued_costs`` and of ``wind_down_costs``: each split by the agreement's key over
      the parties whose participation covers the checkpoint, largest remainder, ties in accession
      order, so the parties' shares would sum to the costs exactly.
    - Fees: its instalments billed after the checkpoint and on or before the end of its commitment
      (``commitment_ends_on``), of the plan and of the amendments signed by the checkpoint. What was
      billed on or before the checkpoint is owed on its own invoices already (R-TERM-3), not here.
      A tranche not released by the checkpoint is no fee yet: the steering group may never release
      it (R-FUND-5). It is listed under ``pending`` and left out of the total.
    """
    party = agreement.party(pid)
    check_may_leave(party, checkpoint)
    if not agreement.starts_on <= checkpoint <= agreement.ends_on:
        raise InvalidInput(f"the checkpoint {checkpoint} is outside the term {agreement.starts_on} – "
                           f"{agreement.ends_on}", code="date_outside_term")
    if accrued_costs < 0 or wind_down_costs < 0:
        raise InvalidInput("costs must not be negative", code="invalid_amount")
    if not covers(party, checkpoint):
        raise Conflict(f"{party['name']} had left before {checkpoint}", code="party_not_active")
    parties = [p for p in agreement.parties_in_order() if covers(p, checkpoint)]
    accrued = split_by_key(agreement, parties, accrued_costs, on=checkpoint)[pid]
    wind_down = split_by_key(agreement, parties, wind_down_costs, on=checkpoint)[pid]
    ends_on = commitment_ends_on(agreement, party)
    fees: list[PartyInstalment] = []
    pending: list[PartyInstalment] = []
    for item in party_instalments(agreement, party, agreement.shares()[pid]):
        billed_on = party["joined_on"] if item.catch_up else item.issue_on
        signed_on = agreement.amendments[item.amendment - 1]["signed_on"] if item.amendment else None
        if not checkpoint < billed_on <= ends_on or (signed_on is not None and signed_on > checkpoint):
            continue
        released = is_released(agreement, item.number, item.requires_release, checkpoint)
        (fees if released else pending).append(item)
    fee_total = sum((item.amount for item in fees), ZERO)
    key = agreement.key(parties, on=checkpoint)
    view = {
        "agreement_id": str(agreement.id), "party_id": str(pid), "checkpoint": checkpoint.isoformat(),
        "commitment_ends_on": ends_on.isoformat(), "key_share": str(_share(key, pid)),
        "accrued_costs": fmt(accrued_costs), "accrued_costs_share": fmt(accrued),
        "wind_down_costs": fmt(wind_down_costs), "wind_down_costs_share": fmt(wind_down),
        "fees": fmt(fee_total), "fee_instalments": [_line(item) for item in fees],
        "total": fmt(accrued + wind_down + fee_total),
        "pending_tranches": fmt(sum((item.amount for item in pending), ZERO)),
        "pending_instalments": [_line(item) for item in pending],
    }
    parts = ("accrued_costs_share", "wind_down_costs_share", "fees")
    assert sum(Decimal(view[k]) for k in parts) == Decimal(view["total"]), "the parts sum to the total"
    return view


def _share(key: dict[UUID, Fraction], pid: UUID) -> Fraction:
    weight = sum(key.values(), Fraction(0))
    return key[pid] / weight if weight else Fraction(0)


def _line(item: PartyInstalment) -> dict[str, Any]:
    return {"number": item.number, "issue_on": item.issue_on.isoformat(), "amendment": item.amendment,
            "requires_release": item.requires_release, "amount": fmt(item.amount)}
