"""Money out: refunds paid to the parties' bank accounts by SEPA credit transfer, and the bank's word that
each one left the coordinator's account.

A refund (``RefundRun``, R-FUND-2) or an exit refund at the checkpoint (``CheckpointExit``, R-FUND-6) is
booked in the journal when it is decided; the payout is its transfer. Each payout has a deterministic id
(from its source and party) and an EndToEndId made from that id, so the bank's debit entry that comes
back in camt.054 names the payout it settles. Payouts go out in batches, one pain.001 message each;
a payout is in one batch only. Payee accounts are kept per party (the IBAN and BIC a party gave); the
coordinator's own account is the debtor.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError

from domain.kernel.errors import InvalidInput
from domain.kernel.money import ZERO, fmt

END_TO_END_PREFIX = "LDG"  # + the payout id's 32 hex digits: 35 characters, the field's limit
MESSAGE_PREFIX = "LDGMSG"
MAX_NAME_CHARS = 70  # the name field of pain.001
MAX_BATCH = 500  # payouts per file
COORDINATOR = "coordinator"  # the holder key of the coordinator's (debtor) account


def bank_account(iban: str, bic: str, name: str | None) -> dict[str, Any]:
    """A checked IBAN (mod 97 and the country's length) and BIC, in their compact forms."""
    try:
        compact_iban = stdnum_iban.validate(iban)
    except ValidationError:
        raise InvalidInput(f"{iban!r} is not a valid IBAN", code="invalid_iban") from None
    try:
        compact_bic = stdnum_bic.validate(bic)
    except ValidationError:
        raise InvalidInput(f"{bic!r} is not a valid BIC", code="invalid_bic") from None
    if name is not None and not 0 < len(name.strip()) <= MAX_NAME_CHARS:
        raise InvalidInput(f"an account holder's name is 1 to {MAX_NAME_CHARS} characters", code="invalid_name")
    return {"iban": compact_iban, "bic": compact_bic, "name": None if name is None else name.strip()}


class PayoutAccount(Aggregate):
    """The bank account a party is paid to (or, for the coordinator, paid from); a new recording replaces it."""

    @staticmethod
    def create_id(agreement_id: UUID, holder: str) -> UUID:
        return uuid5(agreement_id, f"payout-account:{holder}")

    @event("Opened")
    def __init__(self, *, agreement_id: UUID, holder: str) -> None:
        self.agreement_id = agreement_id
        self.holder = holder
        self.account: dict[str, Any] | None = None
        self.recorded_on: date | None = None

    @event("Recorded")
    def record(self, *, iban: str, bic: str, name: str | None, recorded_on: date) -> None:
        """Record the account (checked by ``bank_account`` first)."""
        self.account = {"iban": iban, "bic": bic, "name": name}
        self.recorded_on = recorded_on

    def view(self) -> dict[str, Any]:
        assert self.account is not None
        return {"holder": self.holder, **self.account, "recorded_on": self.recorded_on}


def payout_id(agreement_id: UUID, source: str, party_id: UUID) -> UUID:
    """The id of the payout of one party's money from one source (``refunds:<run id>``, ``exit:<exit id>``)."""
    return uuid5(agreement_id, f"payout:{source}:{party_id}")


def end_to_end_id(pid: UUID) -> str:
    """The EndToEndId of a payout: it names the payout, so a bank's debit entry finds it again."""
    return f"{END_TO_END_PREFIX}{pid.hex.upper()}"


def payout_of(end_to_end: str) -> UUID | None:
    """The payout an EndToEndId names, or None if it is none of ours."""
    if not isinstance(end_to_end, str) or len(end_to_end) != 35 or not end_to_end.startswith(END_TO_END_PREFIX):
        return None
    try:
        return UUID(hex=end_to_end[len(END_TO_END_PREFIX):])
    except ValueError:
        return None


class Payout(Aggregate):
    """One transfer to one party, prepared in a batch and confirmed by the bank's debit entry."""

    @event("Prepared")
    def __init__(self, *, agreement_id: UUID, party_id: UUID, source: str, amount: Decimal, creditor: dict[str, Any],
                 description: str, batch_id: UUID, prepared_on: date, execution_on: date) -> None:
        self.agreement_id = agreement_id
        self.party_id = party_id
        self.source = source
        self.amount = amount
        self.creditor = creditor
        self.description = description
        self.batch_id = batch_id
        self.prepared_on = prepared_on
        self.execution_on = execution_on
        self.confirmed: dict[str, Any] | None = None

    @staticmethod
    def create_id(agreement_id: UUID, source: str, party_id: UUID) -> UUID:
        return payout_id(agreement_id, source, party_id)

    @property
    def end_to_end_id(self) -> str:
        return end_to_end_id(self.id)

    @event("Confirmed")
    def confirm(self, *, booked_on: date, archive_id: str) -> None:
        """The bank debited the transfer (its camt.054 debit entry, by EndToEndId)."""
        self.confirmed = {"booked_on": booked_on, "archive_id": archive_id}

    def view(self) -> dict[str, Any]:
        return {"payout_id": str(self.id), "end_to_end_id": self.end_to_end_id, "party_id": str(self.party_id),
                "source": self.source, "amount": fmt(self.amount), "creditor": dict(self.creditor),
                "description": self.description, "batch_id": str(self.batch_id), "prepared_on": self.prepared_on,
                "execution_on": self.execution_on, "status": "paid" if self.confirmed else "sent",
                "booked_on": None if self.confirmed is None else self.confirmed["booked_on"],
                "archive_id": None if self.confirmed is None else self.confirmed["archive_id"]}


class PayoutBatch(Aggregate):
    """One pain.001 message: the debtor account, the execution date and the payouts it carries."""

    @staticmethod
    def create_id(agreement_id: UUID, payout_ids: list[UUID]) -> UUID:
        return uuid5(agreement_id, "payout-batch:" + ",".join(sorted(str(pid) for pid in payout_ids)))

    @event("Created")
    def __init__(self, *, agreement_id: UUID, payout_ids: list[UUID], debtor: dict[str, Any], total: Decimal,
                 prepared_on: date, execution_on: date, created_at: str) -> None:
        self.agreement_id = agreement_id
        self.payout_ids = payout_ids
        self.debtor = debtor
        self.total = total
        self.prepared_on = prepared_on
        self.execution_on = execution_on
        self.created_at = created_at  # the instant the file was made (the group header's CreDtTm)

    @property
    def message_id(self) -> str:
        return f"{MESSAGE_PREFIX}{self.id.hex.upper()[:29]}"

    def view(self, payouts: list[dict[str, Any]]) -> dict[str, Any]:
        assert sum((Decimal(p["amount"]) for p in payouts), ZERO) == self.total, "a batch sums to its payouts"
        return {"batch_id": str(self.id), "message_id": self.message_id, "debtor": dict(self.debtor),
                "total": fmt(self.total), "prepared_on": self.prepared_on, "execution_on": self.execution_on,
                "created_at": self.created_at, "payouts": payouts}
