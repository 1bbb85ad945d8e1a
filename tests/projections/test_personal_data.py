"""The erasable contacts table on both databases: written with the events or not at all (R-REC-1)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError

from api.settings import Settings
from domain.application import Ledger
from domain.records.contacts import ContactDetails, ContactRegister, PersonalDataChange, PersonalRecord

MAIJA = ContactDetails.checked(name="Maija Meikäläinen", email="maija@example.fi", phone="+358 40 123 4567")


def test_a_row_is_stored_only_with_the_events_that_refer_to_it(ledger: Ledger) -> None:
    """A save that fails on one of its writes leaves neither the events nor the rows."""
    agreement_id, first, second = uuid4(), uuid4(), uuid4()
    contact_id = uuid4()
    register = ContactRegister(agreement_id=agreement_id, party_id=first)
    register.add(contact_id, added_on=date(2025, 9, 1))
    ledger.save(register, personal_data=PersonalDataChange(
        added=(PersonalRecord(contact_id, agreement_id, first, MAIJA),)))
    other = ContactRegister(agreement_id=agreement_id, party_id=second)
    other.add(contact_id, added_on=date(2025, 9, 1))
    clash = PersonalRecord(contact_id, agreement_id, second, ContactDetails("Other", "other@example.fi"))
    with pytest.raises(IntegrityError):  # the contact id is taken: the whole transaction is undone
        ledger.save(other, personal_data=PersonalDataChange(added=(clash,)))
    assert not ledger.exists(ContactRegister.create_id(second))
    assert ledger.personal_data().personal_records([contact_id]) == {
        contact_id: PersonalRecord(contact_id, agreement_id, first, MAIJA)}


def test_an_erasure_keeps_the_row_and_its_ids_without_the_personal_columns(ledger: Ledger) -> None:
    agreement_id, party_id, contact_id = uuid4(), uuid4(), uuid4()
    register = ContactRegister(agreement_id=agreement_id, party_id=party_id)
    register.add(contact_id, added_on=date(2025, 9, 1))
    ledger.save(register, personal_data=PersonalDataChange(
        added=(PersonalRecord(contact_id, agreement_id, party_id, MAIJA, "hash"),)))
    register.erase(contact_id, erased_on=date(2025, 9, 2), erased_by=uuid4())
    ledger.save(register, personal_data=PersonalDataChange(erased=(contact_id,)))
    assert ledger.personal_data().personal_records([contact_id, uuid4()]) == {
        contact_id: PersonalRecord(contact_id, agreement_id, party_id, None, None)}


def test_a_register_restored_from_its_snapshot_lists_the_same_contacts(settings: Settings,
                                                                      ledger: Ledger) -> None:
    """A register of a long-lived party is snapshotted every 100 events; ids and dates survive it."""
    agreement_id, party_id = uuid4(), uuid4()
    register = ContactRegister(agreement_id=agreement_id, party_id=party_id)
    for n in range(50):
        contact_id = uuid4()
        register.add(contact_id, added_on=date(2025, 1, 1 + n % 28))
        ledger.save(register, personal_data=PersonalDataChange(
            added=(PersonalRecord(contact_id, agreement_id, party_id, MAIJA),)))
        register.erase(contact_id, erased_on=date(2026, 1, 1 + n % 28), erased_by=uuid4())
        ledger.save(register, personal_data=PersonalDataChange(erased=(contact_id,)))
    assert register.version == 101
    assert ledger.snapshots is not None and list(ledger.snapshots.get(register.id))
    fresh = Ledger(env=settings.persistence_env())
    try:
        restored = fresh.repository.get(register.id)
        assert restored.entries == register.entries and restored.version == 101
    finally:
        fresh.close()


def test_a_ledger_built_without_the_ledger_recorder_refuses_personal_data() -> None:
    """Personal data is never silently dropped by a recorder that does not know where to keep it."""
    plain = Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    with pytest.raises(RuntimeError, match="keeps no personal data"):
        plain.add_contact(uuid4(), uuid4(), details=MAIJA, added_on=date(2025, 9, 1))
    with pytest.raises(RuntimeError, match="keeps no personal data"):
        plain.erase_contact(uuid4(), erased_on=date(2025, 9, 1), erased_by=uuid4())
    assert plain.recorder.max_notification_id() in (None, 0)
