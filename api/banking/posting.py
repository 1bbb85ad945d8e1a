"""Where a bank transaction meets the ledger: one function for money in, one for money out.

Kept apart and small on purpose: how a payment is recorded (by which ledger command, under which
payment id) may change without touching the parsers or the import's bookkeeping.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from api.banking.model import Transaction
from domain.application import Ledger
from domain.kernel.errors import Conflict


def agreements_of(ledger: Ledger, transactions: list[Transaction]) -> dict[str, UUID | None]:
    """The agreement each reference of a batch names, if any (references are unique across agreements)."""
    return ledger.agreements_of_references([t.reference for t in transactions if t.reference is not None])


def post_credit(ledger: Ledger, transaction: Transaction, agreement_id: UUID | None) -> dict[str, Any]:
    """Record money in: matched by its reference to an invoice of the agreement it names, kept as that
    agreement's unmatched payment if it names none of its invoices, or left unassigned if it names no
    agreement. Returns what became of it."""
    outcome: dict[str, Any] = {"outcome": "unassigned", "agreement_id": agreement_id, "invoice_id": None,
                               "payment_id": None}
    if agreement_id is None or transaction.reference is None:
        if ledger.bank_archive_claimed(transaction.archive_id):
            return {**outcome, "outcome": "recorded_earlier"}  # finance entered this payment before the file came
        return outcome
    try:
        result = ledger.record_payment_by_reference(
            agreement_id, reference=transaction.reference, amount=transaction.amount,
            paid_on=transaction.booked_on, bank_reference=transaction.archive_id)
    except Conflict as exc:
        if exc.code != "duplicate_payment":
            raise
        return {**outcome, "outcome": "recorded_earlier"}  # an import cut short after the payment
    return {**outcome, "outcome": "matched" if result["matched"] else "unmatched",
            "invoice_id": result["invoice_id"] and UUID(result["invoice_id"]),
            "payment_id": UUID(result["payment_id"])}


def record_debit(ledger: Ledger, transaction: Transaction) -> dict[str, Any]:
    """Record money out, or a return of money in, with its end-to-end id as the bank reported it; a debit
    whose EndToEndId names one of the ledger's payouts marks that payout paid (``payout_status``:
    confirmed, already_confirmed, amount_mismatch, or unknown for a debit of no payout of ours)."""
    payout_status = None
    if transaction.direction == "debit" and not transaction.reversal and transaction.end_to_end_id:
        payout_status = ledger.confirm_payout(transaction.end_to_end_id, amount=transaction.amount,
                                              booked_on=transaction.booked_on, archive_id=transaction.archive_id)
    return {"outcome": "return" if transaction.reversal else "debit", "agreement_id": None,
            "invoice_id": None, "payment_id": None, "payout_status": payout_status}
