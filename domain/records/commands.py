"""The Ledger's commands for records: contact persons, whose personal data stays out of the events,
and the purge of an agreement's read models after its retention (R-REC-1).

A mixin of the Ledger application, like ``MembershipCommands``. Each command saves the party's
``ContactRegister`` (opaque ids and dates) with ``personal_data=`` the rows for the erasable store,
which the application recorder writes in the same transaction (R-REC-1: the events stay as they are
for the retention period; the personal data can be erased).

Idempotency: the record saved with a new contact covers the request without its personal fields
(its method and path; for an accession the rest of its body and how many contacts it brought), so
it can stay in the event log for good; the hash of the whole request is kept in the contacts'
erasable rows and compared on a repeat, until they are erased. A key repeated after the erasure gets
the first response (the contact id) and changes nothing, as the request it came with can no longer
be compared.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from domain.agreements.agreement import Agreement
from domain.records.contacts import (MAX_LIVE_CONTACTS, ContactDetails, ContactRegister, PersonalDataChange,
                                     PersonalDataStore, PersonalRecord, new_contact_id)
from domain.kernel.errors import Conflict, IdempotencyKeyReused, NotFound
from domain.kernel.identifiers import party_id as party_id_of
from domain.kernel.paging import items_after
from domain.records.retention import retention_view

if TYPE_CHECKING:
    from eventsourcing.application import Repository

    from domain.kernel.idempotency import Idempotency

    Command = Callable[[], tuple[list[Aggregate], dict[str, Any]]]

MAX_PAGE = 500


class ContactCommands:
    """Add, list and erase the contact persons of a party or of the coordinator."""

    if TYPE_CHECKING:
        recorder: Any
        repository: Repository

        def _execute(self, command: Command, idempotency: Idempotency | None, *,
                     replay: Callable[[], dict[str, Any] | None] | None = None,
                     **save_kwargs: Any) -> dict[str, Any]: ...
        def _replay(self, idempotency: Idempotency | None) -> dict[str, Any] | None: ...
        def _read(self, aggregate_id: UUID, kind: type, what: str) -> Any: ...
        def _get(self, aggregate_id: UUID, kind: type, what: str) -> Any: ...

    # Commands ----------------------------------------------------------------------------------

    def add_contact(self, agreement_id: UUID, party_id: UUID, *, details: ContactDetails, added_on: date,
                    idempotency: Idempotency | None = None, details_hash: str | None = None
                    ) -> dict[str, Any]:
        """Add a contact person to a party (or the coordinator); returns its opaque id.

        ``idempotency`` is the claim on the request without its personal fields; ``details_hash`` the
        hash of the whole request, kept only in the erasable row.
        """

        result = self._adding_contacts(lambda: ([], {}), agreement_id, party_id, [details], added_on=added_on,
                                       idempotency=idempotency, details_hash=details_hash)
        return {"contact_id": result["contact_ids"][0]}

    def erase_contact(self, contact_id: UUID, *, erased_on: date, erased_by: UUID,
                      idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Erase a contact person's data (name, e-mail, phone, title); the register keeps the contact's
        id, the date and the id of the token that asked."""
        found = self.personal_data().personal_records([contact_id]).get(contact_id)
        if found is None:
            raise NotFound(f"no contact {contact_id}")

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            register = self._get(ContactRegister.create_id(found.party_id), ContactRegister, "contact")
            register.erase(contact_id, erased_on=erased_on, erased_by=erased_by)
            return [register], {"contact_id": str(contact_id), "status": "erased",
                                "erased_on": erased_on.isoformat(), "erased_by": str(erased_by)}

        return self._execute(command, idempotency, personal_data=PersonalDataChange(erased=(contact_id,)))

    # Queries -----------------------------------------------------------------------------------

    def list_contacts(self, agreement_id: UUID, party_id: UUID, *, limit: int, after: UUID | None = None
                      ) -> list[dict[str, Any]]:
        """A party's contact persons in the order added, a page at a time; erased ones without their data."""
        assert 0 < limit <= MAX_PAGE, f"limit must be 1 to {MAX_PAGE}"
        self._check_holder(self._read(agreement_id, Agreement, "agreement"), party_id)
        try:
            register: ContactRegister = self.repository.get(ContactRegister.create_id(party_id),
                                                            deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return []
        entries = register.entries
        entries = items_after(entries, after, key=lambda entry: entry[0])
        page = entries[:limit]
        records = self.personal_data().personal_records([entry[0] for entry in page])  # type: ignore[misc]
        return [contact_view(register, entry, records.get(entry[0]))  # type: ignore[arg-type]
                for entry in page]

    def personal_data(self) -> PersonalDataStore:
        """The erasable store: the application recorder, when built with the ledger's settings."""
        if not isinstance(self.recorder, PersonalDataStore):
            raise RuntimeError("this store keeps no personal data: build the Ledger with "
                               "Settings.persistence_env() (APPLICATION_RECORDER_TOPIC)")
        return self.recorder

    # Plumbing ----------------------------------------------------------------------------------

    def _adding_contacts(self, command: Command, agreement_id: UUID, party_id: UUID,
                         people: Sequence[ContactDetails], *, added_on: date, idempotency: Idempotency | None,
                         details_hash: str | None) -> dict[str, Any]:
        """Run a command and add contact persons to a party in the same save; the result gains their ids.

        The party may be one the command has just acceded. Under an idempotency key the contacts' ids
        follow from it, so a repeat names the same contacts.
        """
        assert 0 < len(people) <= MAX_LIVE_CONTACTS
        self.personal_data()  # a recorder that would drop the rows is refused before anything is saved
        scope, key = (idempotency.scope, idempotency.key) if idempotency else (None, None)
        ids = [new_contact_id(scope, key, n) for n in range(len(people))]
        kept_hash = details_hash if idempotency else None
        change = PersonalDataChange(added=tuple(
            PersonalRecord(contact_id, agreement_id, party_id, details, kept_hash)
            for contact_id, details in zip(ids, people, strict=True)))

        def with_contacts() -> tuple[list[Aggregate], dict[str, Any]]:
            aggregates, result = command()
            agreement = next((a for a in aggregates if isinstance(a, Agreement)), None)
            register = self._contact_register(agreement or self._read(agreement_id, Agreement, "agreement"),
                                              party_id)
            for contact_id in ids:
                register.add(contact_id, added_on=added_on)
            return [*aggregates, register], {**result, "contact_ids": [str(i) for i in ids]}

        return self._execute(with_contacts, idempotency, personal_data=change,
                             replay=lambda: self._contacts_replay(ids, idempotency, details_hash))

    def _contacts_replay(self, contact_ids: list[UUID], idempotency: Idempotency | None,
                         details_hash: str | None) -> dict[str, Any] | None:
        replay = self._replay(idempotency)  # 409 if the key was used on another route or path
        if replay is None:
            return None
        for record in self.personal_data().personal_records(contact_ids).values():
            if record.request_hash not in (None, details_hash):  # None: erased since
                raise IdempotencyKeyReused("this Idempotency-Key was used with another request")
        return replay

    def _contact_register(self, agreement: Agreement, party_id: UUID) -> ContactRegister:
        if agreement.purged_on is not None:  # its contacts were erased with its records (R-REC-1)
            raise Conflict(f"the records of {agreement.code} were purged on {agreement.purged_on}",
                           code="records_purged")
        self._check_holder(agreement, party_id)
        try:
            register: ContactRegister = self._get(ContactRegister.create_id(party_id), ContactRegister,
                                                  "contact register")
        except NotFound:
            return ContactRegister(agreement_id=agreement.id, party_id=party_id)
        return register

    def _live_contacts(self, agreement: Agreement) -> dict[UUID, list[UUID]]:
        """Every contact person of an agreement's parties and coordinator whose data is still kept,
        by the id of their register."""
        holders = {party_id_of(agreement.id, agreement.coordinator["business_id"]),
                   *(UUID(str(pid)) for pid in agreement.parties)}
        found: dict[UUID, list[UUID]] = {}
        for holder in sorted(holders):
            try:
                register: ContactRegister = self.repository.get(ContactRegister.create_id(holder),
                                                                deepcopy_from_cache=False)
            except AggregateNotFoundError:
                continue
            live = [entry[0] for entry in register.entries if entry[2] is None]
            if live:
                found[register.id] = live  # type: ignore[assignment]
        return found

    def _erase_contacts(self, live: dict[UUID, list[UUID]], *, erased_on: date, erased_by: UUID
                        ) -> list[ContactRegister]:
        """The registers of ``live`` (from ``_live_contacts``) with every such contact erased."""
        registers = []
        for register_id, contact_ids in live.items():
            register = self._get(register_id, ContactRegister, "contact register")
            for contact_id in contact_ids:
                entry = register.find(contact_id)
                if entry is not None and entry[2] is None:
                    register.erase(contact_id, erased_on=erased_on, erased_by=erased_by)
            registers.append(register)
        return registers

    @staticmethod
    def _check_holder(agreement: Agreement, party_id: UUID) -> None:
        """A party of the agreement, or its coordinator by the id it has (or would have) as a party."""
        if party_id != party_id_of(agreement.id, agreement.coordinator["business_id"]):
            agreement.party(party_id)


def contact_view(register: ContactRegister, entry: list[Any], record: PersonalRecord | None
                 ) -> dict[str, Any]:
    """A contact as listed: its data while it is kept, only ids and dates once erased."""
    contact_id, added_on, erased_on, _erased_by = entry
    details = None if record is None or erased_on is not None else record.details
    return {
        "contact_id": str(contact_id), "party_id": str(register.party_id),
        "status": "active" if erased_on is None else "erased",
        "name": details.name if details else None, "email": details.email if details else None,
        "phone": details.phone if details else None, "title": details.title if details else None,
        "added_on": added_on.isoformat(), "erased_on": None if erased_on is None else erased_on.isoformat(),
    }


class RetentionCommands:
    """Mixed into the Ledger: purging an agreement's records once the retention has ended."""

    if TYPE_CHECKING:
        def _execute(self, command: Command, idempotency: Idempotency | None,
                     **save_kwargs: Any) -> dict[str, Any]: ...
        def _agreement(self, agreement_id: UUID) -> Agreement: ...
        def _live_contacts(self, agreement: Agreement) -> dict[UUID, list[UUID]]: ...
        def _erase_contacts(self, live: dict[UUID, list[UUID]], *, erased_on: date, erased_by: UUID
                            ) -> list[Aggregate]: ...

    def purge_records(self, agreement_id: UUID, *, purged_on: date, purged_by: UUID | None = None,
                      idempotency: Idempotency | None = None) -> dict[str, Any]:
        """Purge an agreement's read models after its retention end (R-REC-1); its events stay.

        The personal data of its contact persons is erased in the same save, each erasure recorded as
        asked by ``purged_by`` (the caller's token), or by the purge itself (the agreement's id) when
        it comes from the command line.
        """
        live = self._live_contacts(self._agreement(agreement_id))
        erased = tuple(contact_id for contact_ids in live.values() for contact_id in contact_ids)

        def command() -> tuple[list[Aggregate], dict[str, Any]]:
            agreement = self._agreement(agreement_id)
            agreement.purge_records(on=purged_on)
            registers = self._erase_contacts(live, erased_on=purged_on, erased_by=purged_by or agreement.id)
            return [agreement, *registers], {"agreement_id": str(agreement.id), **retention_view(agreement),
                                             "contacts_erased": len(erased)}

        if not erased:
            return self._execute(command, idempotency)
        return self._execute(command, idempotency, personal_data=PersonalDataChange(erased=erased))
