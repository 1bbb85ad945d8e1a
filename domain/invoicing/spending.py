"""Spending of an agreement, kept by quarter and recharged by the key (R-INV-5).

A cost is kept in the log of the quarter it belongs to (its ``booked_on``), also when it arrives after
that quarter's period was recharged: a year-end accrual is never refused. The log counts how many of
its entries, in booking order, have been recharged; the next recharge run finds the rest by reading
the logs of the periods that have ended (deterministic ids, one log per quarter, bounded), and bills
them as late items of their period, under invoices of their own (``late_batch``), exactly once.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.kernel.errors import Conflict, InvalidInput
from domain.invoicing.schedule import period_of
from domain.kernel.money import fmt

if TYPE_CHECKING:
    from domain.agreements.agreement import Agreement

MAX_ENTRIES_PER_QUARTER = 5_000
MAX_BEARERS = 500  # an agreement has at most 500 parties
MAX_QUARTERS = 400  # a century: the bound on a sweep over quarters


class SpendingLog(Aggregate):
    """The spending entries booked in one quarter, and how many of them have been recharged."""

    # Defaults for logs kept before late items existed; replaying their ``Recharged`` event sets them.
    regular_count = 0  # entries recharged in the period's own run
    recharged_count = 0  # entries recharged so far: in the period's own run and in late runs
    late_batch = 0  # the period's last late run that recharged entries of this log (numbered from 1)

    @staticmethod
    def create_id(agreement_id: UUID, quarter: str) -> UUID:
        return uuid5(agreement_id, f"spending:{quarter}")

    @event("Opened")
    def __init__(self, *, agreement_id: UUID, quarter: str) -> None:
        self.agreement_id = agreement_id
        self.quarter = quarter
        self.entries: list[dict[str, Any]] = []
        self.recharged_in: str | None = None

    def record(self, *, amount: Decimal, booked_on: date, category: str, description: str,
               borne_by: UUID | None, borne_jointly_by: list[UUID] | None = None) -> UUID:
        """Book a spending entry: shared by the agreement's key, borne by one party, or borne jointly by
        a named subset of the parties (R-INV-5); in a period already recharged, as a late item."""
        if amount <= 0:
            raise InvalidInput("a spending amount must be above zero", code="invalid_amount")
        assert borne_by is None or borne_jointly_by is None, "one party, or several jointly"
        if len(self.entries) >= MAX_ENTRIES_PER_QUARTER:
            raise Conflict(f"at most {MAX_ENTRIES_PER_QUARTER} entries a quarter",
                           code="too_many_entries")
        entry_id = uuid5(self.id, f"entry:{len(self.entries) + 1}")
        self.spending_recorded(agreement_id=self.agreement_id, entry_id=entry_id, amount=amount,
                               booked_on=booked_on, category=category, description=description,
                               borne_by=borne_by, borne_jointly_by=borne_jointly_by)
        return entry_id

    # ``borne_jointly_by`` came later: older entries have none (None: shared, or ``borne_by`` alone).
    @event("SpendingRecorded")
    def spending_recorded(self, *, agreement_id: UUID, entry_id: UUID, amount: Decimal, booked_on: date,
                          category: str, description: str, borne_by: UUID | None,
                          borne_jointly_by: list[UUID] | None = None) -> None:
        self.entries.append({"entry_id": entry_id, "amount": amount, "booked_on": booked_on,
                             "category": category, "description": description, "borne_by": borne_by,
                             "borne_jointly_by": borne_jointly_by, "ordinal": len(self.entries) + 1})

    @event("Recharged")
    def close(self, *, period: str, invoice_ids: list[UUID]) -> None:
        """The quarter's spending was invoiced to the parties in its recharge period's own run."""
        self.recharged_in = period
        self.invoice_ids = invoice_ids
        self.regular_count = self.recharged_count = len(self.entries)

    def pending(self) -> list[dict[str, Any]]:
        """The entries not yet recharged, in booking order."""
        return self.entries[self.recharged_count:]

    def recharge_late(self, *, period: str, batch: int, invoice_ids: list[UUID]) -> None:
        """Mark the pending entries as recharged in the period's ``batch``-th late run (R-INV-5)."""
        assert self.pending() and batch > self.late_batch, "a late run recharges new entries, once"
        self.late_costs_recharged(period=period, batch=batch, up_to=len(self.entries), invoice_ids=invoice_ids)

    @event("LateCostsRecharged")
    def late_costs_recharged(self, *, period: str, batch: int, up_to: int, invoice_ids: list[UUID]) -> None:
        """Entries booked after the period was recharged were invoiced in a later run, as late items."""
        self.recharged_in = self.recharged_in or period
        self.recharged_count = up_to
        self.late_batch = batch

    def view(self, entry: dict[str, Any]) -> dict[str, Any]:
        """One entry as the API shows it; ``borne_by`` is a list where several parties bear it jointly."""
        jointly = entry.get("borne_jointly_by")
        recharged = entry["ordinal"] <= self.recharged_count
        return {"id": str(entry["entry_id"]), "quarter": self.quarter, "amount": fmt(entry["amount"]),
                "booked_on": entry["booked_on"], "category": entry["category"],
                "description": entry["description"],
                "borne_by": ([str(pid) for pid in jointly] if jointly
                             else None if entry["borne_by"] is None else str(entry["borne_by"])),
                "recharged_in": self.recharged_in if recharged else None,
                "recharged_late": recharged and entry["ordinal"] > self.regular_count}


def quarters_between(first: date, last: date) -> list[str]:
    """The quarters from the one a day falls in to the one another falls in (at most MAX_QUARTERS)."""
    quarters: list[str] = []
    year, q = first.year, (first.month - 1) // 3 + 1
    while (year, q) <= (last.year, (last.month - 1) // 3 + 1) and len(quarters) < MAX_QUARTERS:
        quarters.append(f"{year}-Q{q}")
        year, q = (year + 1, 1) if q == 4 else (year, q + 1)
    return quarters


def quarter_of(day: date) -> str:
    """The quarter a day falls in, like "2025-Q4"."""
    return period_of(day, "quarter")


def bearers(agreement: Agreement, borne_by: UUID | list[UUID] | None) -> tuple[UUID | None, list[UUID] | None]:
    """Who bears a cost (R-INV-5): ``(party, None)`` one party alone; ``(None, parties)`` a named subset
    jointly, in accession order ("useampi kunta yhdessä", seed 001); ``(None, None)`` all, by the key.

    A list of one party is that party alone. Every party named must be the agreement's (not found
    otherwise) and named once, and the key among them must not be all zero, so that their cost can
    always be split when it is recharged.
    """
    if borne_by is None:
        return None, None
    if not isinstance(borne_by, list):
        return agreement.party(borne_by)["party_id"], None
    if not 0 < len(borne_by) <= MAX_BEARERS:
        raise InvalidInput(f"borne_by names 1 to {MAX_BEARERS} parties", code="invalid_borne_by")
    if len(set(borne_by)) != len(borne_by):
        raise InvalidInput("borne_by names a party twice", code="invalid_borne_by")
    named = [agreement.party(pid) for pid in borne_by]
    if len(named) == 1:
        return named[0]["party_id"], None
    rank = {party["party_id"]: index for index, party in enumerate(agreement.parties_in_order())}
    named.sort(key=lambda party: rank[party["party_id"]])
    if not any(agreement.key(named).values()):
        raise InvalidInput("the parties named in borne_by have no weight in the agreement's key to split "
                           "the cost by", code="no_recharge_key")
    return None, [party["party_id"] for party in named]
