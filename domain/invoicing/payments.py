"""Payments that name no invoice, kept until finance allocates them; bank transactions recorded once.

A payment that carries the bank's archive id gets an id derived from it (``bank_payment_id``), and the
save creates an aggregate under that id: a ``BankTransaction`` beside the invoice it pays, or the
``UnmatchedPayment`` itself. The event store refuses a second aggregate of one id, so the same bank
transaction is never recorded twice in one agreement, without any per-agreement list read by every
payment. Archive ids are unique across the whole ledger, too: the same save also creates the
``ArchiveClaim`` of the archive id, whose id follows from the archive id alone, and so does a bank
file's import of a payment that names no agreement (an *unassigned* payment, see
``domain.banking.transactions``). So a payment is refused whichever agreement it is entered for, and
whether the bank file or finance recorded the transaction first. The ``PaymentIndex`` of earlier
versions is still read (its archive ids still count as recorded, its unmatched payments are still
listed) but no longer written.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate, event

from domain.kernel.errors import Conflict
from domain.kernel.identifiers import LEDGER_NAMESPACE
from domain.kernel.money import fmt


UNMATCHED_PAGE = 100  # unmatched payments per page of an agreement's list


def bank_payment_id(agreement_id: UUID, bank_reference: str) -> UUID:
    """The id of the payment that records one bank transaction of an agreement (by its archive id)."""
    return uuid5(agreement_id, f"bank-transaction:{bank_reference}")


def duplicate(bank_reference: str, payment_id: UUID) -> Conflict:
    """The refusal of a bank transaction already recorded."""
    return Conflict(f"bank transaction {bank_reference} is already recorded as payment {payment_id}",
                    code="duplicate_payment")


class BankTransaction(Aggregate):
    """A bank transaction recorded as a payment of an invoice: its id is the payment's (the claim)."""

    @staticmethod
    def create_id(agreement_id: UUID, bank_reference: str) -> UUID:
        return bank_payment_id(agreement_id, bank_reference)

    @event("Recorded")
    def __init__(self, *, agreement_id: UUID, bank_reference: str, invoice_id: UUID) -> None:
        self.agreement_id = agreement_id
        self.bank_reference = bank_reference
        self.invoice_id = invoice_id


class ArchiveClaim(Aggregate):
    """A bank archive id taken, once in the whole ledger: by a payment of an invoice or an unmatched
    payment (``agreement_id`` and ``payment_id``), or by an imported payment that names no agreement
    (``unassigned``; the payment is recorded when finance allocates it)."""

    @staticmethod
    def create_id(archive_id: str) -> UUID:
        return uuid5(LEDGER_NAMESPACE, f"bank-archive-claim:{archive_id}")

    @event("Claimed")
    def __init__(self, *, archive_id: str, agreement_id: UUID | None, payment_id: UUID | None) -> None:
        self.archive_id = archive_id
        self.agreement_id = agreement_id
        self.payment_id = payment_id

    def refusal(self) -> Conflict:
        """The refusal of another payment of this bank transaction."""
        if self.payment_id is not None:
            return duplicate(self.archive_id, self.payment_id)
        return Conflict(f"bank transaction {self.archive_id} is already recorded as an unassigned payment of a "
                        "bank file: allocate that payment instead", code="duplicate_payment")


class UnmatchedPayment(Aggregate):
    """A payment whose reference names no invoice: kept, never dropped, until finance allocates it."""

    @staticmethod
    def create_id(agreement_id: UUID, bank_reference: str | None) -> UUID:
        return uuid4() if bank_reference is None else bank_payment_id(agreement_id, bank_reference)

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


class UnmatchedPage(Aggregate):
    """One page of an agreement's unmatched payments, oldest first; a full page is followed by the next."""

    @staticmethod
    def create_id(agreement_id: UUID, page: int) -> UUID:
        return uuid5(agreement_id, f"unmatched-payments:{page}")

    @event("Opened")
    def __init__(self, *, agreement_id: UUID, page: int) -> None:
        self.agreement_id = agreement_id
        self.page = page
        self.ids: list[UUID] = []

    @event("PaymentListed")
    def add(self, *, payment_id: UUID) -> None:
        """List an unmatched payment (the caller opens the next page when this one is full)."""
        assert len(self.ids) < UNMATCHED_PAGE, "a page is full"
        self.ids.append(payment_id)

    def full(self) -> bool:
        return len(self.ids) >= UNMATCHED_PAGE


class PaymentIndex(Aggregate):
    """An agreement's list of unmatched payments, and the bank archive ids already recorded (written by
    earlier versions only; still read)."""


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
            raise duplicate(bank_reference, self.bank_references[bank_reference])
