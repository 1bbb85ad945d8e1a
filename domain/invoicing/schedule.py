"""What is due: instalment invoices (R-INV-1, R-INV-2, R-TERM-3) and recharges (R-INV-5), as pure rules.

Both planners answer from the agreement alone, as if nothing had been invoiced yet; the ids of the
planned invoices are deterministic, so the caller issues exactly those the invoice book lacks.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.agreements.agreement import Agreement
from domain.kernel.errors import InvalidInput
from domain.funding.instalments import PartyInstalment, is_released, party_instalments
from domain.kernel.money import ZERO, fmt_fraction, split

MAX_PERIODS = 400  # a century of quarters: the bound on any sweep over periods


@dataclass(frozen=True)
class PlannedInvoice:
    """An invoice that is due: whom it bills, for what, and its lines."""

    party_id: UUID
    kind: str  # "instalments" or "recharge"
    instalments: list[int]  # numbered from 1, in date order
    period: str | None
    lines: list[dict[str, Any]]
    late_batch: int = 0  # a recharge of costs booked after their period was recharged: its n-th late run


def instalment_invoices(agreement: Agreement, as_of: date) -> list[PlannedInvoice]:
    """Every instalment invoice due on or before a date, whatever the parties' status (R-TERM-3), to
    every party but the one that invoices (the coordinator, or the operator the agreement names), whose
    share is its own contribution (R-ACC-4).

    A party in the first cohort is invoiced each instalment on its date. A party that accedes after
    the first instalment's date is invoiced once, at its accession, for every instalment dated in its
    accession year or earlier; its later instalments follow the schedule (R-INV-2). Amendments add
    instalments of each party's additional share, invoiced on their dates once every party has signed
    (R-FUND-5), and a ceiling's released portions, from their release. A tranche (an
    instalment that requires release) is due only from the day a passed steering decision released
    it, and never on a catch-up invoice unless it was released by the accession (R-GOV-3).
    """
    if agreement.status == "dissolved":
        return []
    shares = agreement.shares()
    due: list[PlannedInvoice] = []
    for party in agreement.parties_in_order():
        if agreement.invoices_itself(party):
            continue  # the coordinator never invoices itself: it books its own contribution (R-ACC-4)
        pid, joined_on = party["party_id"], party["joined_on"]
        items = party_instalments(agreement, party, shares[pid])
        catch_up = [item for item in items if item.catch_up]
        if catch_up and joined_on <= as_of:
            due.append(_planned(pid, catch_up))
        exited_on = party.get("exited_on")  # left at the checkpoint: the settlement replaces later fees (R-FUND-6)
        for item in items:
            if exited_on is not None and item.issue_on > exited_on:
                continue
            if not item.catch_up and item.issue_on <= as_of and (item.binds_on is None or item.binds_on <= as_of) \
                    and is_released(agreement, item.number, item.requires_release, as_of):
                due.append(_planned(pid, [item]))
    return [invoice for invoice in due if sum(line["amount"] for line in invoice.lines) > 0]


def not_yet_billed(planned: PlannedInvoice, billed: list[int]) -> PlannedInvoice | None:
    """A planned instalment invoice less the instalments its party was already billed; None if none is left.

    The planner answers as if nothing had been invoiced. A tranche release minuted late, dated before
    a run that already issued a late joiner's catch-up invoice, puts that tranche on the catch-up
    invoice it missed; the invoice book knows what each party was billed, so the tranche is billed
    alone and no instalment is ever billed twice (R-INV-3).
    """
    if planned.kind != "instalments" or not set(planned.instalments) & set(billed):
        return planned
    keep = [i for i, number in enumerate(planned.instalments) if number not in billed]
    if not keep:
        return None
    return replace(planned, instalments=[planned.instalments[i] for i in keep],
                   lines=[planned.lines[i] for i in keep])


def _planned(pid: UUID, items: list[PartyInstalment]) -> PlannedInvoice:
    lines = [{"description": _description(item), "amount": item.amount} for item in items]
    return PlannedInvoice(pid, "instalments", [item.number for item in items], None, lines)


def _description(item: PartyInstalment) -> str:
    if item.amendment == 0:
        return (f"Instalment {item.number} ({fmt_fraction(item.share)} of the cost share, "
                f"{item.issue_on.isoformat()})")
    if item.portion:
        return (f"Instalment {item.number}, amendment {item.amendment}: portion {item.portion} of the ceiling, "
                f"released {item.binds_on.isoformat() if item.binds_on else ''}")
    return (f"Instalment {item.number}, amendment {item.amendment} ({fmt_fraction(item.share)} of the "
            f"additional share, {item.issue_on.isoformat()})")


# Recharge periods --------------------------------------------------------------------------------

def period_of(day: date, period_kind: str) -> str:
    """The recharge period a day falls in: "2025-Q4" for a quarter, "2025-H2" for a half-year."""
    if period_kind == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if period_kind == "half_year":
        return f"{day.year}-H{(day.month - 1) // 6 + 1}"
    raise InvalidInput("this agreement has no recharge period", code="recharge_not_configured")


def period_bounds(period: str) -> tuple[date, date]:
    """The first and last day of a period named like "2025-Q4" or "2025-H2"."""
    try:
        year, part = int(period[:4]), period[5:]
        months = {"Q": 3, "H": 6}[part[0]]
        index = int(part[1:])
        if period[4] != "-" or not 1 <= index <= 12 // months or not 1 <= year <= 9998:
            raise ValueError(period)
    except (ValueError, KeyError, IndexError):
        raise InvalidInput(f"{period!r} is not a period like 2025-Q4 or 2025-H2",
                           code="invalid_period") from None
    first = date(year, (index - 1) * months + 1, 1)
    after = date(year + 1, 1, 1) if index * months == 12 else date(year, index * months + 1, 1)
    return first, after - timedelta(days=1)


def supply_date(planned: PlannedInvoice, issued_on: date) -> date:
    """The supply date that chooses an invoice's VAT rate (R-INV-6): a recharge's is the last day of its
    period; an instalment, billed in advance, and a settlement are supplied on their issue date."""
    return period_bounds(planned.period)[1] if planned.kind == "recharge" and planned.period else issued_on


def quarters_of(period: str) -> list[str]:
    """The quarters a period covers (spending is kept by quarter)."""
    first, last = period_bounds(period)
    return [f"{first.year}-Q{q}" for q in range((first.month - 1) // 3 + 1, (last.month - 1) // 3 + 2)]


def closed_periods(starts_on: date, as_of: date, period_kind: str) -> list[str]:
    """The periods from the one the agreement starts in up to the last that ended before a date."""
    periods: list[str] = []
    day = starts_on
    while len(periods) < MAX_PERIODS:
        period = period_of(day, period_kind)
        first, last = period_bounds(period)
        if last >= as_of:
            break
        periods.append(period)
        day = last + timedelta(days=1)
    return periods


def recharge_invoices(agreement: Agreement, period: str, entries: list[dict[str, Any]],
                      late_batch: int = 0) -> list[PlannedInvoice]:
    """Each party's share of a period's spending (R-INV-5), to every party but the coordinator (R-ACC-4).

    Shared costs are split by the agreement's key in force for the period (R-ACC-5) over the parties
    whose participation overlaps the period; a cost borne jointly by a named subset of the parties by
    the key among just them; a party's own costs fall to it alone. Each total is split once, by largest remainder in accession order, so
    the parts sum to the spending exactly. The coordinator's part is its own cost: it is never
    invoiced. With ``late_batch`` (from 1) the entries are costs booked after the period was
    recharged, billed in the period's n-th late run; every line names the period they belong to.
    """
    first, last = period_bounds(period)
    parties = [p for p in agreement.parties_in_order()
               if p["joined_on"] <= last and (p["left_on"] is None or p["left_on"] >= first)]
    parts: dict[UUID, dict[str, Decimal]] = {}  # party → line kind → amount

    def add(shares: dict[UUID, Decimal], kind: str) -> None:
        for pid, amount in shares.items():
            parts.setdefault(pid, {})[kind] = parts.get(pid, {}).get(kind, ZERO) + amount

    shared = sum((e["amount"] for e in entries if e["borne_by"] is None and not e.get("borne_jointly_by")),
                 ZERO)
    if shared:
        add(_split_by_key(agreement, parties, shared, f"{period}'s shared spending", first, whole=True), "shared")
    jointly: dict[tuple[UUID, ...], Decimal] = {}
    for entry in entries:
        if entry.get("borne_jointly_by"):
            subset = tuple(entry["borne_jointly_by"])
            jointly[subset] = jointly.get(subset, ZERO) + entry["amount"]
    for subset, amount in jointly.items():
        add(_split_by_key(agreement, [agreement.party(pid) for pid in subset], amount,
                          f"a cost of {period} borne jointly", first), "jointly")
    own: dict[UUID, Decimal] = {}
    for entry in entries:
        if entry["borne_by"] is not None:
            own[entry["borne_by"]] = own.get(entry["borne_by"], ZERO) + entry["amount"]
    add(own, "own")
    planned = []
    coordinator_part = ZERO
    for party in agreement.parties_in_order():
        pid = party["party_id"]
        if agreement.invoices_itself(party):  # its part is its own cost: it never invoices itself
            coordinator_part += sum(parts.get(pid, {}).values(), ZERO)
            continue
        lines = [{"description": _recharge_description(kind, period, late_batch), "amount": amount}
                 for kind, amount in parts.get(pid, {}).items() if amount]
        if lines:
            planned.append(PlannedInvoice(pid, "recharge", [], period, lines, late_batch))
    invoiced = sum((line["amount"] for p in planned for line in p.lines), ZERO)
    assert invoiced + coordinator_part == sum((e["amount"] for e in entries), ZERO), "a recharge adds up"
    return planned


_LINES = {"shared": "Share of shared costs", "jointly": "Share of costs borne jointly",
          "own": "Own costs"}


def _recharge_description(kind: str, period: str, late_batch: int) -> str:
    if not late_batch:
        return f"{_LINES[kind]} {period}"
    return f"{_LINES[kind]} {period}, booked after {period} was recharged (late item)"


def _split_by_key(agreement: Agreement, parties: list[dict[str, Any]], total: Decimal, what: str,
                  period_starts_on: date, whole: bool = False) -> dict[UUID, Decimal]:
    """A total split over parties by the key in force for the period (R-ACC-5: the key in force on its
    first day, as key updates take effect only from a period's start), largest remainder in accession
    order. ``whole``: the parties taking part must hold the whole of a fixed key."""
    key = agreement.key(parties, on=period_starts_on)
    if not any(key.values()):
        raise InvalidInput(f"no key to split {what} by", code="no_recharge_key")
    if whole:
        agreement.model.check_complete(key, what)
    return split(total, key, order=[p["party_id"] for p in parties])
