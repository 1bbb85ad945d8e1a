"""Payments that name no invoice, kept until finance allocates them, and each agreement's payment index."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.kernel.append_only import AppendOnlyCopy
from domain.kernel.errors import Conflict
from domain.kernel.money import fmt


class UnmatchedPayment(Aggregate):
    """A payment whose reference names no invoice: kept, never dropped, until finance allocates it."""

    @event("Received")
    def __init__(self, *, agreement_id: UUID, amount: Decimal, paid_on: date, reference: str,
                 bank_reference: str | None) -> None:
        self.agreement_id = agreement_id
        self.amount = amount
        self.paid_on = paid_on
        self.reference = reference
        self.bank_reference = bank_reference
        self.invoice_id: UUID | None = None
        self.allocated_on: date | None = None

    @event("Allocated")
    def allocate(self, *, invoice_id: UUID, allocated_on: date) -> None:
        """Finance assigned the payment to the invoice it was meant for."""
        self.invoice_id = invoice_id
        self.allocated_on = allocated_on

    def view(self) -> dict[str, Any]:
        """The payment as the API shows it."""
        return {"id": str(self.id), "amount": fmt(self.amount), "paid_on": self.paid_on,
                "reference": self.reference, "bank_reference": self.bank_reference,
                "status": "allocated" if self.invoice_id else "unmatched",
                "invoice_id": None if self.invoice_id is None else str(self.invoice_id),
                "allocated_on": self.allocated_on}


class PaymentIndex(AppendOnlyCopy, Aggregate):
    """An agreement's list of unmatched payments, and the bank archive ids already recorded."""

    APPEND_ONLY = ("unmatched", "bank_references")  # ids only ever added: a copy shares them

    @staticmethod
    def create_id(agreement_id: UUID) -> UUID:
        return uuid5(agreement_id, "payment-index")

    @event("Opened")
    def __init__(self, *, agreement_id: UUID) -> None:
        self.agreement_id = agreement_id
        self.unmatched: list[UUID] = []
        self.bank_references: dict[str, UUID] = {}

    @event("PaymentIndexed")
    def add(self, *, payment_id: UUID, bank_reference: str | None, unmatched: bool) -> None:
        """Remember a payment's bank archive id (so a statement is not booked twice)."""
        if bank_reference is not None:
            self.bank_references[bank_reference] = payment_id
        if unmatched:
            self.unmatched.append(payment_id)

    def check_new(self, bank_reference: str | None) -> None:
        """Refuse a bank transaction that is already recorded."""
        if bank_reference is not None and bank_reference in self.bank_references:
            raise Conflict(f"bank transaction {bank_reference} is already recorded as payment "
                           f"{self.bank_references[bank_reference]}", code="duplicate_payment")
