"""Spending of an agreement, kept by quarter and recharged by the key (R-INV-5)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.kernel.errors import Conflict, InvalidInput
from domain.invoicing.schedule import period_of
from domain.kernel.money import fmt

MAX_ENTRIES_PER_QUARTER = 5_000


class SpendingLog(Aggregate):
    """The spending entries booked in one quarter; closed once the quarter has been recharged."""

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
               borne_by: UUID | None) -> UUID:
        """Book a spending entry: shared by the agreement's key, or borne by one party (R-INV-5)."""
        if amount <= 0:
            raise InvalidInput("a spending amount must be above zero", code="invalid_amount")
        if self.recharged_in is not None:
            raise Conflict(f"{self.quarter} was recharged in {self.recharged_in}; book the cost in an "
                           "open period", code="period_closed")
        if len(self.entries) >= MAX_ENTRIES_PER_QUARTER:
            raise Conflict(f"at most {MAX_ENTRIES_PER_QUARTER} entries a quarter",
                           code="too_many_entries")
        entry_id = uuid5(self.id, f"entry:{len(self.entries) + 1}")
        self.spending_recorded(agreement_id=self.agreement_id, entry_id=entry_id, amount=amount,
                               booked_on=booked_on, category=category, description=description,
                               borne_by=borne_by)
        return entry_id

    @event("SpendingRecorded")
    def spending_recorded(self, *, agreement_id: UUID, entry_id: UUID, amount: Decimal, booked_on: date,
                          category: str, description: str, borne_by: UUID | None) -> None:
        self.entries.append({"entry_id": entry_id, "amount": amount, "booked_on": booked_on,
                             "category": category, "description": description, "borne_by": borne_by})

    @event("Recharged")
    def close(self, *, period: str, invoice_ids: list[UUID]) -> None:
        """The quarter's spending was invoiced to the parties in a recharge period's run."""
        self.recharged_in = period
        self.invoice_ids = invoice_ids

    def view(self, entry: dict[str, Any]) -> dict[str, Any]:
        """One entry as the API shows it."""
        return {"id": str(entry["entry_id"]), "quarter": self.quarter, "amount": fmt(entry["amount"]),
                "booked_on": entry["booked_on"], "category": entry["category"],
                "description": entry["description"],
                "borne_by": None if entry["borne_by"] is None else str(entry["borne_by"]),
                "recharged_in": self.recharged_in}


def quarter_of(day: date) -> str:
    """The quarter a day falls in, like "2025-Q4"."""
    return period_of(day, "quarter")
