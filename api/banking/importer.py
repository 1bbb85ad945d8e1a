"""Import a bank file: read it whole (refused whole if unreadable), then record it a batch at a time.

Each batch of BATCH_SIZE transactions is recorded in one save after its payments, so no save holds
the event store's write lock for long; a transaction already recorded (same archive id) is a
duplicate, so the same file again, or again after an import cut short, adds nothing it added before:
a payment to an agreement is looked up before it is recorded (and refused by the payment's own
check if recorded without its record), every other transaction is refused by the event store when
its batch is saved, and that batch is then recorded one transaction at a time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from api.banking import camt054, reference_file
from api.banking.model import InvalidBankFile, ParsedFile, Transaction
from api.banking.posting import agreements_of, post_credit, record_debit
from domain.application import Ledger
from domain.kernel.calendar import check_business_year
from domain.kernel.errors import DomainError
from domain.kernel.identifiers import LEDGER_NAMESPACE
from domain.kernel.money import ZERO, fmt

BATCH_SIZE = 200
Progress = Callable[[int, int], None]


def read(content: bytes) -> ParsedFile:
    """The file parsed by its kind: XML is camt.054, fixed-width records a reference payments file."""
    start = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"<":
        return camt054.parse(content)
    if start.isdigit():  # a record type; the reader says what is wrong if it is not a record 0
        return reference_file.parse(content)
    raise InvalidBankFile("neither a camt.054 notification nor an incoming reference payments file")


def file_id(content: bytes) -> UUID:
    """The id of a file: the same bytes, the same id."""
    return uuid5(LEDGER_NAMESPACE, "bank-file:" + hashlib.sha256(content).hexdigest())


class _Tally:
    """Counts and amounts of one import, as the response reports them."""

    def __init__(self, parsed: ParsedFile) -> None:
        self.counts = dict.fromkeys(("matched", "unmatched", "unassigned", "duplicates", "debits", "returns",
                                     "payouts_confirmed", "payouts_amount_mismatch"), 0)
        self.amounts = dict.fromkeys(("matched", "unmatched", "debits", "returns"), ZERO)
        self.rejected = list(parsed.rejected)

    def add(self, outcome: str, amount: Decimal, payout_status: str | None = None) -> None:
        if payout_status in ("confirmed", "amount_mismatch"):
            self.counts[f"payouts_{payout_status}"] += 1
        if outcome == "recorded_earlier":
            self.counts["duplicates"] += 1
            return
        key = {"unassigned": "unmatched", "debit": "debits", "return": "returns"}.get(outcome, outcome)
        self.counts[key] += 1
        self.amounts[key] += amount
        if outcome == "unassigned":
            self.counts["unassigned"] += 1


def import_file(ledger: Ledger, content: bytes, progress: Progress | None = None) -> dict[str, Any]:
    """Import a bank file; the counts and amounts of what it did (see docs/bank-files.md)."""
    parsed = read(content)
    the_file = file_id(content)
    tally = _Tally(parsed)
    seen: set[str] = set()
    total = len(parsed.transactions)
    for start in range(0, total, BATCH_SIZE):
        records: list[dict[str, Any]] = []
        batch = parsed.transactions[start:start + BATCH_SIZE]
        agreements = agreements_of(ledger, batch)
        for transaction in batch:
            agreement_id = agreements.get(transaction.reference or "")
            # A payment to an agreement is looked up first (recording it is the costly part); any other
            # transaction is refused as a duplicate by the event store when its batch is saved.
            if transaction.archive_id in seen or (agreement_id is not None and _money_in(transaction)
                                                  and ledger.bank_transaction_recorded(transaction.archive_id)):
                tally.counts["duplicates"] += 1
                continue
            seen.add(transaction.archive_id)
            try:
                records.append(_record(ledger, transaction, agreement_id))
            except DomainError as exc:
                tally.rejected.append({**transaction.position, "code": exc.code,
                                       "detail": f"{transaction.archive_id}: {exc.detail}"})
        earlier = set(ledger.record_bank_transactions(the_file, records))
        for record in records:
            if record["archive_id"] in earlier:
                tally.add("recorded_earlier", record["amount"])
            else:
                tally.add(record["outcome"], record["amount"], record["payout_status"])
        if progress is not None:
            progress(min(start + BATCH_SIZE, total), total)
    return {"format": parsed.format, "file_id": str(the_file),
            "transactions": total + len(parsed.rejected), **tally.counts, "rejected": tally.rejected,
            "amounts": {key: fmt(value) for key, value in tally.amounts.items()}}


def _record(ledger: Ledger, transaction: Transaction, agreement_id: UUID | None) -> dict[str, Any]:
    check_business_year(transaction.booked_on)
    if transaction.value_on is not None:
        check_business_year(transaction.value_on)
    money_in = _money_in(transaction)
    outcome = post_credit(ledger, transaction, agreement_id) if money_in else record_debit(ledger, transaction)
    return {"payout_status": None, "archive_id": transaction.archive_id, "direction": transaction.direction,
            "reversal": transaction.reversal, "amount": transaction.amount, "booked_on": transaction.booked_on,
            "value_on": transaction.value_on, "reference": transaction.reference,
            "end_to_end_id": transaction.end_to_end_id, **outcome}


def _money_in(transaction: Transaction) -> bool:
    return transaction.direction == "credit" and not transaction.reversal
