"""The double-entry journal as plain data: entries of lines that sum to zero, in whole cents.

A posting function maps one domain event to the journal entries it causes (often none). It is pure:
the same event always gives the same entries, so a rebuild from the events gives the same journal.
Amounts are signed: a debit is positive, a credit negative, and every entry's lines sum to zero.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from hashlib import sha1
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from domain.kernel.money import MAX_ABS_CENTS, from_cents

MAX_LINES_PER_ENTRY = 2_000  # a recharge split over an agreement's 500 parties fits many times over
MAX_ENTRIES_PER_EVENT = 100
MAX_EVENT_TYPE_CHARS = 200
MAX_ACCOUNTS = 1_000  # account names remembered as checked
_ACCOUNT = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_ACCOUNTS: set[str] = set()
MAX_AMOUNTS = 100_000  # amounts remembered as checked, with their cents
_CENTS: dict[Decimal, int] = {}
# Entry ids are uuid5 names under this namespace, so a rebuild gives every entry the same id again.
JOURNAL_NAMESPACE = UUID("5b0f3d8e-2f3c-4a0e-9a57-6a3c2f1d9e41")
_NAMESPACE_BYTES = JOURNAL_NAMESPACE.bytes
Event = DomainEventProtocol[Any]
_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")
_MAX_AMOUNT = Decimal(MAX_ABS_CENTS) / 100
_ENTRY_NAME = struct.Struct(">QH")  # the event's version and the entry's number, after the event's id


def cents_of(amount: Decimal) -> int:
    """The whole cents of an amount; refuses fractions of a cent, non-finite and out-of-range amounts."""
    assert type(amount) is Decimal, f"amount {amount!r} is not a Decimal"
    # Amounts repeat (every line of an invoice's entries, every equal share): an amount already
    # checked is looked up. Equal values have equal cents, whatever their exponent.
    try:
        return _CENTS[amount]
    except (KeyError, TypeError):  # TypeError: a signalling NaN cannot be hashed; it fails below
        pass
    assert amount.is_finite(), f"amount {amount!r} is not finite"
    assert -_MAX_AMOUNT < amount < _MAX_AMOUNT, f"amount {amount} is out of range"
    # The remainder is exact; a product alone could round away a fraction past the context's precision.
    assert amount % _CENT == 0, f"amount {amount} is not in whole cents"
    cents = int(amount * _HUNDRED)
    if len(_CENTS) < MAX_AMOUNTS:
        _CENTS[amount] = cents
    return cents


def _account(name: str) -> str:
    # A chart of accounts is small: remember the names already checked instead of matching each time.
    if name not in _ACCOUNTS:
        assert type(name) is str and _ACCOUNT.match(name), \
            f"account {name!r} must be lower-case letters, digits and _ (at most 64)"
        if len(_ACCOUNTS) < MAX_ACCOUNTS:
            _ACCOUNTS.add(name)
    return name


class _Line(NamedTuple):
    account: str
    party_id: UUID | None
    amount: Decimal
    cents: int


class JournalLine(_Line):
    """One line of an entry: a signed amount (debit +, credit −) on an account, maybe for one party.

    An immutable tuple (cheap to build by the hundred thousand in a rebuild), checked when built.
    """

    __slots__ = ()

    def __new__(cls, account: str, party_id: UUID | None, amount: Decimal) -> JournalLine:
        assert party_id is None or type(party_id) is UUID, f"party id {party_id!r}"
        return tuple.__new__(cls, (_account(account), party_id, amount, cents_of(amount)))

    @classmethod
    def _make(cls, iterable: Iterable[Any]) -> JournalLine:
        return cls(*tuple(iterable)[:3])  # always through the checks, never around them

    def _replace(self, **changes: Any) -> JournalLine:
        fields = {"account": self.account, "party_id": self.party_id, "amount": self.amount}
        assert changes.keys() <= fields.keys(), "the cents follow from the amount"
        return JournalLine(**{**fields, **changes})

    def __getnewargs__(self) -> tuple[str, UUID | None, Decimal]:
        return self.account, self.party_id, self.amount  # a copy or unpickling is checked again

    @classmethod
    def debit(cls, account: str, amount: Decimal, party_id: UUID | None = None) -> JournalLine:
        """A debit of a non-negative amount."""
        assert amount >= 0, f"a debit of {amount} is negative; post a credit instead"
        return cls(account, party_id, amount)

    @classmethod
    def credit(cls, account: str, amount: Decimal, party_id: UUID | None = None) -> JournalLine:
        """A credit of a non-negative amount (stored as its negative)."""
        assert amount >= 0, f"a credit of {amount} is negative; post a debit instead"
        return cls(account, party_id, -amount)


class _Entry(NamedTuple):
    entry_id: UUID
    agreement_id: UUID
    business_date: date
    lines: tuple[JournalLine, ...]
    event_type: str


class JournalEntry(_Entry):
    """A balanced entry: its lines sum to exactly zero (double entry), all in whole cents."""

    __slots__ = ()

    def __new__(cls, entry_id: UUID, agreement_id: UUID, business_date: date, lines: Iterable[JournalLine],
                event_type: str) -> JournalEntry:
        assert type(entry_id) is UUID and type(agreement_id) is UUID
        assert type(business_date) is date, f"business date {business_date!r} is not a date"
        assert type(event_type) is str and 0 < len(event_type) <= MAX_EVENT_TYPE_CHARS
        lines = lines if type(lines) is tuple else tuple(lines)
        assert 2 <= len(lines) <= MAX_LINES_PER_ENTRY, \
            f"an entry has 2 to {MAX_LINES_PER_ENTRY} lines, not {len(lines)}"
        total = 0
        for line in lines:
            assert type(line) is JournalLine, f"{line!r} is not a JournalLine"
            total += line.cents
        assert total == 0, f"entry {entry_id} does not balance: its lines sum to {from_cents(total)}"
        return tuple.__new__(cls, (entry_id, agreement_id, business_date, lines, event_type))

    @classmethod
    def _make(cls, iterable: Iterable[Any]) -> JournalEntry:
        return cls(*iterable)  # always through the checks, never around them

    def _replace(self, **changes: Any) -> JournalEntry:
        return JournalEntry(**{**self._asdict(), **changes})

    @classmethod
    def of(cls, event: Event, number: int = 0, *, business_date: date, lines: Iterable[JournalLine],
           agreement_id: UUID | None = None) -> JournalEntry:
        """The ``number``-th entry an event posts: a deterministic id, the event's type and aggregate."""
        return cls(entry_id_of(event, number), event.originator_id if agreement_id is None else agreement_id,
                   business_date, tuple(lines), event_type_of(event))


def entry_id_of(event: Event, number: int = 0) -> UUID:
    """The id of an event's ``number``-th entry: the same on every rebuild (a name-based version 5 UUID)."""
    assert 0 <= number < MAX_ENTRIES_PER_EVENT, f"entry number {number} is out of range"
    # RFC 4122 version 5 over a binary name (the event's id, version and entry number): uuid.uuid5
    # takes only text names before Python 3.12, and formatting ids as text costs more than the hash.
    name = event.originator_id.bytes + _ENTRY_NAME.pack(event.originator_version, number)
    return UUID(bytes=sha1(_NAMESPACE_BYTES + name).digest()[:16], version=5)


def event_type_of(event: Event) -> str:
    """The event's class, qualified by its aggregate (``Agreement.PartyAcceded``)."""
    return type(event).__qualname__


# A posting function: the journal entries one domain event causes (an empty list for most events).
Posting = Callable[[Event], list[JournalEntry]]
