"""BankCommands: bank transactions recorded once by archive id, unassigned payments listed and allocated.

The import of a bank file (``api/banking``) records the payments themselves through the invoicing
commands, then hands each bounded batch of transactions here to be recorded in one save, so no save
holds the event store's write lock for long and a batch is written whole or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import RecordConflictError

from domain.banking.transactions import OUTCOMES, PAYOUT_STATUSES, BankTransaction, UnassignedBankPayments
from domain.invoicing.payments import ArchiveClaim
from domain.kernel.calendar import check_business_year
from domain.kernel.errors import InvalidInput, NotFound
from domain.kernel.money import check_input_amount
from domain.kernel.references import normalise

if TYPE_CHECKING:
    from domain.kernel.idempotency import Idempotency

MAX_BATCH = 500  # transactions per save: a few hundred kilobytes, far below where a PostgreSQL insert stalls
MAX_TEXT = 35  # archive ids, references and end-to-end ids (ISO 20022 Max35Text)
MAX_LIST = 500
_MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$", re.ASCII)


class BankCommands:
    """Mixed into the Ledger."""

    # Provided by the Ledger and the invoicing commands.
    _execute: Callable[..., dict[str, Any]]
    _get: Callable[[UUID, type, str], Any]
    _read: Callable[[UUID, type, str], Any]
    _invoice: Callable[[UUID], Any]
    exists: Callable[[UUID], bool]
    _prefix_owner: Callable[[str], UUID | None]
    save: Callable[..., Any]
    repository: Any

    def bank_transaction_recorded(self, archive_id: str) -> bool:
        """Whether a bank transaction with this archive id is recorded already."""
        return self.exists(BankTransaction.create_id(archive_id))

    def agreements_of_references(self, references: list[str]) -> dict[str, UUID | None]:
        """The agreement whose references start with each reference's prefix, if any (references are
        unique across the ledger: each agreement claims its prefix). Each prefix is looked up once."""
        if len(references) > MAX_BATCH:
            raise InvalidInput(f"at most {MAX_BATCH} references are looked up at once", code="batch_too_large")
        by_prefix: dict[str, UUID | None] = {}
        found: dict[str, UUID | None] = {}
        for reference in references:
            prefix = _prefix(reference)
            if prefix not in by_prefix:
                by_prefix[prefix] = self._prefix_owner(prefix) if prefix.isdigit() and prefix[0] != "0" else None
            found[reference] = by_prefix[prefix]
        return found

    def agreement_of_reference(self, reference: str | None) -> UUID | None:
        """The agreement whose references start with this reference's prefix, if any."""
        return None if reference is None else self.agreements_of_references([reference])[reference]

    def bank_archive_claimed(self, archive_id: str) -> bool:
        """Whether a payment of this archive id is recorded (by finance or an import) or an imported
        payment naming no agreement holds it: the archive id is taken across the ledger."""
        return self.exists(ArchiveClaim.create_id(archive_id))

    def record_bank_transactions(self, file_id: UUID, records: list[dict[str, Any]]) -> list[str]:
        """Record a batch of a file's transactions in one save (at most MAX_BATCH); returns the archive
        ids found recorded already (by a concurrent import, or an unassigned payment whose archive id a
        payment took meanwhile: then kept as ``recorded_earlier``), which are not recorded again."""
        if len(records) > MAX_BATCH:
            raise InvalidInput(f"at most {MAX_BATCH} bank transactions are recorded at once", code="batch_too_large")
        for record in records:
            _check(record)
        try:
            self.save(*self._recorded(file_id, records))
            return []
        except RecordConflictError:
            pass
        earlier = []
        for record in records:  # someone else recorded some of them meanwhile: one at a time, once more
            for _attempt in (1, 2):
                if self.bank_transaction_recorded(record["archive_id"]):
                    earlier.append(record["archive_id"])
                    break
                if record["outcome"] == "unassigned" and self.bank_archive_claimed(record["archive_id"]):
                    record = {**record, "outcome": "recorded_earlier"}  # noqa: PLW2901 - kept, not claimed again
                    earlier.append(record["archive_id"])
                try:
                    self.save(*self._recorded(file_id, [record]))
                    break
                except RecordConflictError:
                    continue
        return earlier

    def _recorded(self, file_id: UUID, records: list[dict[str, Any]]) -> list[Aggregate]:
        """The batch's transactions, each unassigned payment's claim of its archive id (a payment's was
        saved with the payment), and the months' lists of unassigned payments."""
        transactions = [BankTransaction(file_id=file_id, **record) for record in records]
        months: dict[str, list[str]] = {}
        claims = []
        for transaction in transactions:
            if transaction.outcome == "unassigned":
                months.setdefault(transaction.booked_on.isoformat()[:7], []).append(str(transaction.id))
                claims.append(ArchiveClaim(archive_id=transaction.archive_id, agreement_id=None, payment_id=None))
        lists = []
        for month, ids in months.items():
            try:
                monthly = self.repository.get(UnassignedBankPayments.create_id(month))
            except AggregateNotFoundError:
                monthly = UnassignedBankPayments(month=month)
            monthly.add(transaction_ids=ids)
            lists.append(monthly)
        return [*transactions, *claims, *lists]

    def get_bank_transaction(self, transaction_id: UUID) -> dict[str, Any]:
        """One recorded bank transaction and what became of it."""
        return self._read(transaction_id, BankTransaction, "bank transaction").view()

    def list_unassigned_bank_payments(self, *, month: str, limit: int, after: UUID | None = None,
                                      include_allocated: bool = False) -> list[dict[str, Any]]:
        """Payments of a booking month whose reference named no agreement, in import order."""
        if not isinstance(month, str) or not _MONTH.match(month):
            raise InvalidInput("a month is written like 2025-09", code="invalid_period")
        if not 0 < limit <= MAX_LIST:
            raise InvalidInput(f"limit must be from 1 to {MAX_LIST}", code="invalid_limit")
        try:
            ids = self._read(UnassignedBankPayments.create_id(month), UnassignedBankPayments, "month").ids
        except NotFound:
            return []
        if after is not None:
            ids = ids[ids.index(str(after)) + 1:] if str(after) in ids else []
        page = []
        for transaction_id in ids:
            transaction = self._read(UUID(transaction_id), BankTransaction, "bank transaction")
            if include_allocated or transaction.invoice_id is None:
                page.append(transaction.view())
                if len(page) == limit:
                    break
        return page

    def allocate_bank_payment(self, transaction_id: UUID, *, invoice_id: UUID, allocated_on: date,
                              idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Allocate an unassigned bank payment to an invoice of any agreement: the invoice's payment,
        paid on the day the bank booked it."""
        check_business_year(allocated_on)

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            transaction = self._get(transaction_id, BankTransaction, "bank transaction")
            transaction.check_allocatable()
            invoice = self._invoice(invoice_id)
            if transaction.booked_on < invoice.issued_on or allocated_on < transaction.booked_on:
                raise InvalidInput(f"a payment booked on {transaction.booked_on} cannot pay invoice {invoice.number} "
                                   f"issued on {invoice.issued_on}, or be allocated before it was booked",
                                   code="invalid_date")
            invoice.receive_payment(payment_id=transaction.id, amount=transaction.amount,
                                    paid_on=transaction.booked_on, bank_reference=transaction.archive_id,
                                    source="bank_allocation")
            transaction.allocate(agreement_id=invoice.agreement_id, invoice_id=invoice.id, allocated_on=allocated_on)
            return [invoice, transaction], transaction.view()

        return self._execute(command, idempotency)


def _prefix(reference: str) -> str:
    """The book prefix of a reference: what precedes the year (4 digits), the sequence (5) and the check
    digit; empty for a reference that is no valid Finnish or RF reference."""
    try:
        return normalise(reference)[:-10]
    except InvalidInput:
        return ""


def _check(record: dict[str, Any]) -> None:
    """Bounds on what a bank file hands the ledger, whatever parsed it."""
    for name in ("archive_id", "reference", "end_to_end_id"):
        value = record.get(name)
        if value is not None and (not isinstance(value, str) or not 0 < len(value) <= MAX_TEXT):
            raise InvalidInput(f"a bank transaction's {name} is 1 to {MAX_TEXT} characters", code="invalid_bank_file")
    amount = record["amount"]
    if not isinstance(amount, Decimal) or amount <= 0 or record["archive_id"] is None:
        raise InvalidInput("a bank transaction has an archive id and an amount above zero", code="invalid_bank_file")
    check_input_amount(amount)
    check_business_year(record["booked_on"])
    if record["value_on"] is not None:
        check_business_year(record["value_on"])
    if (record["direction"] not in ("credit", "debit") or record["outcome"] not in OUTCOMES
            or record.get("payout_status") not in PAYOUT_STATUSES):
        raise InvalidInput("a bank transaction is a credit or a debit with a known outcome", code="invalid_bank_file")
