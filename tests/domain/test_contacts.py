"""Contact persons in the domain, without a store: checked details, and a register that records opaque ids
only (R-REC-1: the events outlive the personal data, which must stay erasable)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import uuid4

import pytest

from domain.records.contacts import (MAX_LIVE_CONTACTS, ContactDetails, ContactRegister, check_email,
                                     check_phone, new_contact_id)
from domain.kernel.errors import DomainError


def refused(code: str, action: Any, *args: Any, **kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as error:
        action(*args, **kwargs)
    assert error.value.code == code, error.value.detail
    return error.value


@pytest.mark.parametrize("given, kept", [
    ("maija.meikalainen@example.fi", "maija.meikalainen@example.fi"),
    ("  Maija.Meikalainen@Example.FI ", "Maija.Meikalainen@example.fi"),
    ("first+tag@sub.domain.example.com", "first+tag@sub.domain.example.com"),
    ("kirjaamo@hämeenlinna.fi", "kirjaamo@hämeenlinna.fi"),
    ("o'brien@example.xn--p1ai", "o'brien@example.xn--p1ai"),
])
def test_plain_email_addresses_are_accepted(given: str, kept: str) -> None:
    assert check_email(given) == kept


@pytest.mark.parametrize("given", [
    "", "maija", "@example.fi", "maija@", "maija@example", "maija@@example.fi", "maija@example..fi",
    "maija.@example.fi", ".maija@example.fi", "ma ija@example.fi", "maija@-example.fi", "maija@example.f",
    "maija@example.123", "maija@exa_mple.fi", "m" * 65 + "@example.fi", "m@" + "e" * 250 + ".fi",
    "maija@exam\nple.fi", "<maija@example.fi>",
])
def test_malformed_email_addresses_are_refused_without_repeating_them(given: str) -> None:
    error = refused("invalid_email", check_email, given)
    assert given.strip() not in error.detail or not given.strip()


@pytest.mark.parametrize("given, ok", [
    ("+358 40 123 4567", True), ("040-1234567", True), ("(09) 123 456", True), ("12345", True),
    ("1234", False), ("+358 40 123 4567 890 12", False), ("040 123 4567 ext 2", False), ("+", False),
    ("+358 40 123 4567-", False), ("1" * 31, False),
])
def test_phone_numbers_are_digits_with_light_punctuation(given: str, ok: bool) -> None:
    if ok:
        assert check_phone(given) == given
    else:
        refused("invalid_phone", check_phone, given)


def test_names_and_titles_are_bounded_and_free_of_control_characters() -> None:
    checked = ContactDetails.checked(name=" Maija ", email="m@example.fi", title=" Controller ")
    assert checked == ContactDetails("Maija", "m@example.fi", None, "Controller")
    for name in ("", "  ", "M" * 201, "Maija\tMeikäläinen", "Maija\u2028", 42):
        refused("invalid_text", ContactDetails.checked, name=name, email="m@example.fi")
    refused("invalid_text", ContactDetails.checked, name="Maija", email="m@example.fi", title="T" * 201)


def test_the_register_records_ids_and_dates_but_nothing_personal() -> None:
    """R-REC-1: no event of the register carries a name, an e-mail, a phone number or a title."""
    register = ContactRegister(agreement_id=uuid4(), party_id=uuid4())
    contact_id, by = uuid4(), uuid4()
    register.add(contact_id, added_on=date(2025, 9, 1))
    register.erase(contact_id, erased_on=date(2026, 1, 2), erased_by=by)
    events = register.collect_events()
    assert [type(e).__name__ for e in events] == ["Opened", "ContactPersonAdded", "ContactPersonErased"]
    fields = [set(vars(e)) - {"originator_id", "originator_version", "timestamp", "originator_topic"}
              for e in events]
    assert fields == [{"agreement_id", "party_id"}, {"contact_id", "added_on"},
                      {"contact_id", "erased_on", "erased_by"}]
    assert register.entries == [[contact_id, date(2025, 9, 1), date(2026, 1, 2), by]]


def test_an_erased_contact_cannot_be_erased_again_nor_an_unknown_one() -> None:
    register = ContactRegister(agreement_id=uuid4(), party_id=uuid4())
    contact_id = uuid4()
    register.add(contact_id, added_on=date(2025, 9, 1))
    register.erase(contact_id, erased_on=date(2025, 9, 2), erased_by=uuid4())
    refused("contact_already_erased", register.erase, contact_id, erased_on=date(2025, 9, 3),
            erased_by=uuid4())
    refused("not_found", register.erase, uuid4(), erased_on=date(2025, 9, 3), erased_by=uuid4())


def test_a_party_has_at_most_twenty_contacts_not_erased() -> None:
    register = ContactRegister(agreement_id=uuid4(), party_id=uuid4())
    ids = [uuid4() for _ in range(MAX_LIVE_CONTACTS)]
    for contact_id in ids:
        register.add(contact_id, added_on=date(2025, 9, 1))
    refused("too_many_contacts", register.add, uuid4(), added_on=date(2025, 9, 1))
    register.erase(ids[0], erased_on=date(2025, 9, 2), erased_by=uuid4())
    register.add(uuid4(), added_on=date(2025, 9, 2))


def test_a_contact_id_follows_from_an_idempotency_key_and_is_random_without_one() -> None:
    assert new_contact_id("token", "key") == new_contact_id("token", "key")
    assert new_contact_id("token", "key") != new_contact_id("token", "other")
    assert new_contact_id("token", "key", 0) != new_contact_id("token", "key", 1)
    assert new_contact_id() != new_contact_id()
    assert "key" not in json.dumps(str(new_contact_id("token", "key")))
