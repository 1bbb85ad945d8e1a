"""How long an agreement's records are kept (R-REC-1), and the guard on purging them.

Signed agreements and their history are kept ``retention_years`` (10 by default) after the agreement
ends. The end is the actual one: the term's end as extended by the steering group, or the
dissolution date if the cooperation was dissolved before it. The retention period runs to the same
calendar day ``retention_years`` later, inclusive (29 February gives 28 February), so an agreement
that ended on 2026-12-31 is kept through 2036-12-31 and its records may be purged from 2037-01-01.

What a purge removes is the agreement's rows in the read models (the journal); the event log is
append-only and hash-chained and keeps every event, the purge included (``RecordsPurged``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.errors import Conflict
from domain.membership import add_months

if TYPE_CHECKING:
    from collections.abc import Callable

    from eventsourcing.domain import Aggregate

    from domain.agreement import Agreement
    from domain.application import Idempotency

    Command = Callable[[], tuple[list[Aggregate], dict[str, Any]]]


def ended_on(agreement: Agreement) -> date:
    """The day the agreement ends or ended: its dissolution if earlier than its (extended) term's end."""
    if agreement.dissolved_on is not None and agreement.dissolved_on < agreement.ends_on:
        return agreement.dissolved_on
    return agreement.ends_on


def retention_ends_on(agreement: Agreement) -> date:
    """The last day the agreement's records must be kept: ``retention_years`` after it ends (R-REC-1)."""
    return add_months(ended_on(agreement), 12 * agreement.rules.retention_years)


def check_purge(agreement: Agreement, on: date) -> date:
    """Refuse a purge dated on or before the retention end, or a second one; returns the retention end.

    An agreement that has not ended by ``on`` is refused the same way: its retention has not even
    started, and its end (hence the retention's) may still move with an extension or a dissolution.
    """
    if agreement.purged_on is not None:
        raise Conflict(f"the records of {agreement.code} were purged on {agreement.purged_on}",
                       code="records_purged", extra={"purged_on": agreement.purged_on.isoformat()})
    keep_until = retention_ends_on(agreement)
    if on <= keep_until:
        end = ended_on(agreement)
        state = f"has not ended (it ends on {end})" if on <= end else f"ended on {end}"
        raise Conflict(f"{agreement.code} {state}; its records are kept until {keep_until} "
                       f"({agreement.rules.retention_years} years after its end, R-REC-1) and may be "
                       f"purged from {keep_until + timedelta(days=1)}; nothing was purged",
                       code="retention_period_running", extra={"retention_ends_on": keep_until.isoformat()})
    return keep_until


def retention_view(agreement: Agreement) -> dict[str, Any]:
    """The agreement's end, the last day of its retention and, once purged, the purge date."""
    return {"ended_on": ended_on(agreement).isoformat(),
            "retention_ends_on": retention_ends_on(agreement).isoformat(),
            "purged_on": None if agreement.purged_on is None else agreement.purged_on.isoformat()}


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
        from domain.contacts import PersonalDataChange

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
