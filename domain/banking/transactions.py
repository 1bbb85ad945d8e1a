"""Bank transactions as the bank reported them, each once, known by the bank's archive id.

Every transaction of an imported bank file is recorded as a ``BankTransaction`` whose id follows
from its archive id (uuid5), so the event store itself refuses to record one twice: a file imported
again, or again after a crash part-way, adds nothing it already added. The record keeps what the bank
said (direction, amount, booking and value dates, reference, end-to-end id) and what became of it:

- ``matched`` / ``unmatched``: a payment recorded against an invoice, or kept as the agreement's
  unmatched payment (the reference named the agreement but none of its invoices);
- ``unassigned``: a credit whose reference names no agreement at all. It is money received, kept
  here outside every agreement's books and listed by booking month (``UnassignedBankPayments``)
  until finance allocates it to an invoice, which then records it as that invoice's payment;
- ``debit`` / ``return``: money out, or a return or correction of an earlier transaction, kept with
  its end-to-end id; a debit naming one of the ledger's payouts by that id has marked it paid
  (``payout_status``);
- ``recorded_earlier``: the payment was recorded before its record was (an import cut short).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.kernel.errors import Conflict
from domain.kernel.identifiers import LEDGER_NAMESPACE
from domain.kernel.money import fmt

OUTCOMES = ("matched", "unmatched", "unassigned", "debit", "return", "recorded_earlier")
PAYOUT_STATUSES = (None, "confirmed", "already_confirmed", "unknown", "amount_mismatch")
MAX_UNASSIGNED_PER_MONTH = 100_000


class BankTransaction(Aggregate):
    """One transaction of a bank file, recorded once by its archive id."""

    @staticmethod
    def create_id(archive_id: str) -> UUID:
        return uuid5(LEDGER_NAMESPACE, f"bank-transaction:{archive_id}")

    @event("Recorded")
    def __init__(self, *, archive_id: str, file_id: UUID, direction: str, reversal: bool, amount: Decimal,
                 booked_on: date, value_on: date | None, reference: str | None, end_to_end_id: str | None,
                 outcome: str, agreement_id: UUID | None, invoice_id: UUID | None,
                 payment_id: UUID | None, payout_status: str | None = None) -> None:
        assert outcome in OUTCOMES, outcome
        assert payout_status in PAYOUT_STATUSES, payout_status
        self.archive_id = archive_id
        self.file_id = file_id
        self.direction = direction
        self.reversal = reversal
        self.amount = amount
        self.booked_on = booked_on
        self.value_on = value_on
        self.reference = reference
        self.end_to_end_id = end_to_end_id
        self.outcome = outcome
        self.agreement_id = agreement_id
        self.invoice_id = invoice_id
        self.payment_id = payment_id
        self.payout_status = payout_status  # a debit naming a payout of ours by EndToEndId: what became of it
        self.allocated_on: date | None = None

    def check_allocatable(self) -> None:
        """Only an unassigned credit not yet allocated may be allocated."""
        if self.outcome != "unassigned":
            raise Conflict(f"bank transaction {self.archive_id} is {self.outcome}, not an unassigned payment",
                           code="not_unassigned")
        if self.invoice_id is not None:
            raise Conflict(f"bank transaction {self.archive_id} is already allocated", code="already_allocated")

    @event("Allocated")
    def allocate(self, *, agreement_id: UUID, invoice_id: UUID, allocated_on: date) -> None:
        """Finance assigned an unassigned payment to the invoice it was meant for."""
        self.agreement_id = agreement_id
        self.invoice_id = invoice_id
        self.payment_id = self.id
        self.allocated_on = allocated_on

    def view(self) -> dict[str, Any]:
        """The transaction as the API shows it."""
        def text(value: UUID | None) -> str | None:
            return None if value is None else str(value)

        return {"id": str(self.id), "archive_id": self.archive_id, "file_id": str(self.file_id),
                "direction": self.direction, "reversal": self.reversal, "amount": fmt(self.amount),
                "booked_on": self.booked_on, "value_on": self.value_on, "reference": self.reference,
                "end_to_end_id": self.end_to_end_id, "outcome": self.outcome,
                "status": "allocated" if self.outcome == "unassigned" and self.invoice_id else self.outcome,
                "agreement_id": text(self.agreement_id), "invoice_id": text(self.invoice_id),
                "payment_id": text(self.payment_id), "payout_status": self.payout_status,
                "allocated_on": self.allocated_on}


class UnassignedBankPayments(Aggregate):
    """The unassigned payments booked in one month, in the order they were imported."""

    @staticmethod
    def create_id(month: str) -> UUID:
        return uuid5(LEDGER_NAMESPACE, f"bank-unassigned:{month}")

    @event("Opened")
    def __init__(self, *, month: str) -> None:
        self.month = month
        self.ids: list[str] = []  # strings: the list is copied on every read, and a str copies for free

    @event("PaymentsAdded")
    def add(self, *, transaction_ids: list[str]) -> None:
        """Add newly imported unassigned payments to the month's list."""
        assert len(self.ids) + len(transaction_ids) <= MAX_UNASSIGNED_PER_MONTH, "too many unassigned payments"
        self.ids.extend(transaction_ids)
