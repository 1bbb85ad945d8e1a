"""What a bank file says, parsed: its transactions and the lines or entries it could not use."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from domain.kernel.errors import InvalidInput
from domain.kernel.money import MAX_INPUT_AMOUNT

MAX_TRANSACTIONS = 20_000  # per file: twice the largest daily file a finance office is expected to get
MAX_ARCHIVE_ID_CHARS = 35  # ISO 20022 Max35Text; the reference payments file has 16
MAX_REJECTED = 1_000  # rejected lines reported one by one; beyond this the file is refused as unreadable
_AMOUNT = re.compile(r"^[0-9]{1,13}(\.[0-9]{1,2})?$", re.ASCII)


class InvalidBankFile(InvalidInput):
    """A bank file that cannot be read as a whole (422 ``invalid_bank_file``): nothing of it is written."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, code="invalid_bank_file")


@dataclass(frozen=True)
class Transaction:
    """One transaction of a bank file: a credit (money in) or a debit (money out), possibly a return."""

    position: dict[str, int]  # {"entry": n} or {"line": n}, as a rejection would name it
    archive_id: str  # the bank's archive id (AcctSvcrRef, arkistointitunnus): unique per transaction
    direction: Literal["credit", "debit"]
    reversal: bool  # a return or correction of an earlier transaction (RvslInd, record 5)
    amount: Decimal
    booked_on: date
    value_on: date | None
    reference: str | None  # the creditor reference as the bank gave it (Finnish or RF)
    end_to_end_id: str | None = None  # the payer's own id (a SEPA payout's EndToEndId on a debit)


@dataclass
class ParsedFile:
    """A bank file read through: its format, the transactions, and what was rejected with reasons."""

    format: str
    transactions: list[Transaction] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, position: dict[str, int], code: str, detail: str) -> None:
        """Note a line or entry that is kept out of the import, with its reason."""
        if len(self.rejected) >= MAX_REJECTED:
            raise InvalidBankFile(f"more than {MAX_REJECTED} lines or entries are unusable")
        self.rejected.append({**position, "code": code, "detail": detail})

    def add(self, transaction: Transaction) -> None:
        """Add a transaction, within the bound of one file."""
        if len(self.transactions) >= MAX_TRANSACTIONS:
            raise InvalidBankFile(f"a bank file carries at most {MAX_TRANSACTIONS} transactions")
        self.transactions.append(transaction)


def amount_of(text: str | None, where: str) -> Decimal:
    """A positive amount in euros and cents, as a bank file writes it ("12500.00")."""
    if text is None or not _AMOUNT.match(text.strip()):
        raise InvalidBankFile(f"{where}: {text!r} is not an amount")
    amount = Decimal(text.strip())
    if amount > MAX_INPUT_AMOUNT:
        raise InvalidBankFile(f"{where}: {text} is beyond the largest amount the ledger takes")
    return amount


def archive_id_of(text: str | None, where: str) -> str | None:
    """The bank's archive id, trimmed; None when absent."""
    value = (text or "").strip()
    if len(value) > MAX_ARCHIVE_ID_CHARS:
        raise InvalidBankFile(f"{where}: the archive id {value[:40]!r}… is longer than {MAX_ARCHIVE_ID_CHARS}")
    return value or None
