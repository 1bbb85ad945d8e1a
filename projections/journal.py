"""The double-entry journal as plain data: entries of lines that sum to zero, in whole cents.

A posting function maps one domain event to the journal entries it causes (often none). It is pure:
the same event always gives the same entries, so a rebuild from the events gives the same journal.
Amounts are signed: a debit is positive, a credit negative, and every entry's lines sum to zero.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import DomainEventProtocol

from domain.money import MAX_ABS_CENTS, from_cents

MAX_LINES_PER_ENTRY = 2_000  # a recharge split over an agreement's 500 parties fits many times over
MAX_ENTRIES_PER_EVENT = 100
MAX_EVENT_TYPE_CHARS = 200
_ACCOUNT = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# Entry ids are uuid5 names under this namespace, so a rebuild gives every entry the same id again.
JOURNAL_NAMESPACE = UUID("5b0f3d8e-2f3c-4a0e-9a57-6a3c2f1d9e41")
Event = DomainEventProtocol[Any]


def cents_of(amount: Decimal) -> int:
    """The whole cents of an amount; refuses fractions of a cent, non-finite and out-of-range amounts."""
    assert isinstance(amount, Decimal) and amount.is_finite(), f"amount {amount!r} is not a finite Decimal"
    cents = amount.scaleb(2)
    assert cents == cents.to_integral_value(), f"amount {amount} is not in whole cents"
    value = int(cents)
    assert abs(value) < MAX_ABS_CENTS, f"amount {amount} is out of range"
    return value


@dataclass(frozen=True, slots=True)
class JournalLine:
    """One line of an entry: a signed amount (debit +, credit −) on an account, maybe for one party."""

    account: str
    party_id: UUID | None
    amount: Decimal
    cents: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        assert isinstance(self.account, str) and _ACCOUNT.match(self.account), \
            f"account {self.account!r} must be lower-case letters, digits and _ (at most 64)"
        assert self.party_id is None or isinstance(self.party_id, UUID), f"party id {self.party_id!r}"
        object.__setattr__(self, "cents", cents_of(self.amount))

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


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A balanced entry: its lines sum to exactly zero (double entry), all in whole cents."""

    entry_id: UUID
    agreement_id: UUID
    business_date: date
    lines: tuple[JournalLine, ...]
    event_type: str

    def __post_init__(self) -> None:
        assert isinstance(self.entry_id, UUID) and isinstance(self.agreement_id, UUID)
        assert type(self.business_date) is date, f"business date {self.business_date!r} is not a date"
        assert isinstance(self.event_type, str) and 0 < len(self.event_type) <= MAX_EVENT_TYPE_CHARS
        object.__setattr__(self, "lines", tuple(self.lines))
        assert 2 <= len(self.lines) <= MAX_LINES_PER_ENTRY, \
            f"an entry has 2 to {MAX_LINES_PER_ENTRY} lines, not {len(self.lines)}"
        assert all(isinstance(line, JournalLine) for line in self.lines)
        total = sum(line.cents for line in self.lines)
        assert total == 0, f"entry {self.entry_id} does not balance: its lines sum to {from_cents(total)}"

    @classmethod
    def of(cls, event: Event, number: int = 0, *, business_date: date, lines: Iterable[JournalLine],
           agreement_id: UUID | None = None) -> JournalEntry:
        """The ``number``-th entry an event posts: a deterministic id, the event's type and aggregate."""
        return cls(entry_id=entry_id_of(event, number),
                   agreement_id=event.originator_id if agreement_id is None else agreement_id,
                   business_date=business_date, lines=tuple(lines), event_type=event_type_of(event))


def entry_id_of(event: Event, number: int = 0) -> UUID:
    """The id of an event's ``number``-th entry: the same on every rebuild."""
    assert 0 <= number < MAX_ENTRIES_PER_EVENT, f"entry number {number} is out of range"
    return uuid5(JOURNAL_NAMESPACE, f"{event.originator_id}/{event.originator_version}/{number}")


def event_type_of(event: Event) -> str:
    """The event's class, qualified by its aggregate (``Agreement.PartyAcceded``)."""
    return type(event).__qualname__


# A posting function: the journal entries one domain event causes (an empty list for most events).
Posting = Callable[[Event], list[JournalEntry]]
