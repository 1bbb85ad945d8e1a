"""Contact persons of a party or of the coordinator, with their personal data kept out of the events.

Names, e-mail addresses, phone numbers and titles are personal data: they can be erased when the law
requires it, while the events must stay as they were for the retention period (R-REC-1). So an event
never carries them. The ``ContactRegister`` of a party records only opaque contact ids, the dates
they were added and erased, and who asked for an erasure; the details travel beside the events, in
the same save, to an erasable store (the ``PersonalDataStore`` port, implemented by the application
recorder in ``projections/records/personal_data.py``) that writes them in the events' own transaction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, runtime_checkable
from uuid import UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate, event

from domain.kernel.errors import Conflict, InvalidInput, NotFound
from domain.kernel.identifiers import LEDGER_NAMESPACE

MAX_NAME_CHARS = 200
MAX_TITLE_CHARS = 200
MAX_EMAIL_CHARS = 254  # RFC 5321's limit on a forward path, less the angle brackets
MAX_PHONE_CHARS = 30
MAX_LIVE_CONTACTS = 20  # per party: contacts not erased
MAX_ENTRIES = 500  # per party, erased ones included, so a register stays small over the retention period
# The save() keyword the application recorder writes personal data from, in the events' transaction.
PERSONAL_DATA = "personal_data"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^[^\W_]((?:[^\W_]|-){0,61}[^\W_])?$")
_TOP_LABEL = re.compile(r"^([^\W\d_]{2,63}|xn--[a-z0-9-]{1,59})$")
_PHONE = re.compile(r"^\+?[0-9(][0-9 ()-]*[0-9]$")


@dataclass(frozen=True)
class ContactDetails:
    """A contact person's personal data, checked: a name, an e-mail address, and optionally a phone
    number and a role or title. Error messages never repeat the values."""

    name: str
    email: str
    phone: str | None = None
    title: str | None = None

    @classmethod
    def checked(cls, *, name: str, email: str, phone: str | None = None,
                title: str | None = None) -> ContactDetails:
        """The details trimmed and validated (invalid_text, invalid_email, invalid_phone)."""
        return cls(name=_text(name, "name", MAX_NAME_CHARS), email=check_email(email),
                   phone=None if phone is None else check_phone(phone),
                   title=None if title is None else _text(title, "title", MAX_TITLE_CHARS))


@dataclass(frozen=True)
class PersonalRecord:
    """A contact's row in the erasable store: where it belongs, its details (None once erased) and the
    hash of the request that added it under an idempotency key (None without a key, or once erased)."""

    contact_id: UUID
    agreement_id: UUID
    party_id: UUID
    details: ContactDetails | None
    request_hash: str | None = None


@dataclass(frozen=True)
class PersonalDataChange:
    """What a save writes to the erasable store together with its events."""

    added: tuple[PersonalRecord, ...] = ()
    erased: tuple[UUID, ...] = field(default=())


@runtime_checkable
class PersonalDataStore(Protocol):
    """The erasable store, as the ledger reads it (writes go with ``save(…, personal_data=change)``)."""

    def personal_records(self, contact_ids: Sequence[UUID]) -> dict[UUID, PersonalRecord]:
        """The stored records of these contacts (unknown ids are left out)."""
        ...


def check_email(value: str) -> str:
    """An e-mail address in a plain form: local part of ASCII atoms, a domain of at least two labels.

    The domain is lowercased (it is case-insensitive); the local part is kept as given.
    """
    if not isinstance(value, str):
        raise InvalidInput("email must be a string", code="invalid_email")
    text = value.strip()
    local, at, domain = text.rpartition("@")
    labels = domain.lower().split(".")
    if (not at or not 0 < len(text) <= MAX_EMAIL_CHARS or len(local) > 64 or not _LOCAL.match(local)
            or len(labels) < 2 or not all(_LABEL.match(label) for label in labels)
            or not _TOP_LABEL.match(labels[-1])):
        raise InvalidInput("email must be a plain address: local part, @, a domain of two or more labels",
                           code="invalid_email")
    return f"{local}@{'.'.join(labels)}"


def check_phone(value: str) -> str:
    """A phone number: digits with an optional leading +, spaces, hyphens and brackets; 5 to 15 digits."""
    if not isinstance(value, str):
        raise InvalidInput("phone must be a string", code="invalid_phone")
    text = value.strip()
    digits = sum(ch.isdigit() for ch in text)
    if len(text) > MAX_PHONE_CHARS or not _PHONE.match(text) or not 5 <= digits <= 15:
        raise InvalidInput("phone must be 5 to 15 digits, optionally with +, spaces, hyphens and brackets",
                           code="invalid_phone")
    return text


def _text(value: str, what: str, max_chars: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_chars or _CONTROL.search(value):
        raise InvalidInput(f"{what} must be 1 to {max_chars} characters without control characters",
                           code="invalid_text")
    return value.strip()


def new_contact_id(scope: str | None = None, key: str | None = None, n: int = 0) -> UUID:
    """An opaque contact id: derived from the caller's idempotency key and the contact's place in the
    request when there is a key, so a retry names the same contacts; random otherwise. Neither reveals
    anything of the person."""
    if scope is None or key is None:
        return uuid4()
    return uuid5(LEDGER_NAMESPACE, f"contact:{scope}:{key}:{n}")


class ContactRegister(Aggregate):
    """The contact persons of one party (or the coordinator) of an agreement: opaque ids and dates only.

    Its id follows from the party's id, so a party has one register; the first contact opens it.
    """

    @staticmethod
    def create_id(party_id: UUID) -> UUID:
        return uuid5(LEDGER_NAMESPACE, f"contacts:{party_id}")

    @event("Opened")
    def __init__(self, *, agreement_id: UUID, party_id: UUID) -> None:
        self.agreement_id = agreement_id
        self.party_id = party_id
        # [contact_id, added_on, erased_on, erased_by] in the order added
        self.entries: list[list[UUID | date | None]] = []

    def find(self, contact_id: UUID) -> list[UUID | date | None] | None:
        """The entry of a contact, or None."""
        return next((entry for entry in self.entries if entry[0] == contact_id), None)

    def add(self, contact_id: UUID, *, added_on: date) -> None:
        """Register a new contact person under an opaque id."""
        assert self.find(contact_id) is None, "a contact id is registered once"
        live = sum(1 for entry in self.entries if entry[2] is None)
        if live >= MAX_LIVE_CONTACTS or len(self.entries) >= MAX_ENTRIES:
            raise Conflict(f"a party has at most {MAX_LIVE_CONTACTS} contact persons "
                           f"({MAX_ENTRIES} with the erased ones)", code="too_many_contacts")
        self.contact_person_added(contact_id=contact_id, added_on=added_on)

    @event("ContactPersonAdded")
    def contact_person_added(self, *, contact_id: UUID, added_on: date) -> None:
        self.entries.append([contact_id, added_on, None, None])

    def erase(self, contact_id: UUID, *, erased_on: date, erased_by: UUID) -> None:
        """Record that a contact person's data was erased: when, and on whose request (a token id)."""
        entry = self.find(contact_id)
        if entry is None:
            raise NotFound(f"no contact {contact_id}")
        if entry[2] is not None:
            raise Conflict(f"contact {contact_id} was erased on {entry[2]}", code="contact_already_erased")
        self.contact_person_erased(contact_id=contact_id, erased_on=erased_on, erased_by=erased_by)

    @event("ContactPersonErased")
    def contact_person_erased(self, *, contact_id: UUID, erased_on: date, erased_by: UUID) -> None:
        entry = self.find(contact_id)
        assert entry is not None
        entry[2], entry[3] = erased_on, erased_by
