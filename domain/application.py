"""The Ledger application, composed of each capability's commands: the only write API.

Commands take business dates; queries return plain data. Each capability (``domain/<capability>/``)
owns its aggregates, rules and a commands mixin; this module puts them together with the plumbing
they share: one save per command with its idempotency record, and reads with or without a copy.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, project_aggregate
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, RecordConflictError, Recording, Transcoding

from domain.access.tokens import AccessCommands
from domain.agreements.agreement import Agreement
from domain.agreements.billing_commands import BillingCommands
from domain.agreements.catalogue import AgreementCatalogue
from domain.agreements.commands import AgreementCommands
from domain.banking.commands import BankCommands
from domain.banking.transactions import UnassignedBankPayments
from domain.funding.commands import FundingCommands, RefundCommands
from domain.funding.exit_commands import ExitCommands
from domain.funding.grant_commands import GrantCommands
from domain.funding.payout_commands import PayoutCommands
from domain.invoicing.commands import InvoicingCommands
from domain.invoicing.interest_commands import InterestCommands
from domain.invoicing.invoices import InvoiceBook
from domain.invoicing.numbering import NumberSeries, PartyInvoices
from domain.invoicing.payments import PaymentIndex
from domain.kernel.errors import DomainError, IdempotencyKeyReused, NotFound, VersionConflict
from domain.kernel.idempotency import Idempotency, IdempotencyRecord
from domain.kernel.repository import CopyOnWriteRepository
from domain.kernel.saving import AggregateEvents
from domain.membership.commands import MembershipCommands
from domain.records.commands import ContactCommands, RetentionCommands
from domain.records.contacts import ContactRegister
from domain.steering.commands import SteeringCommands
from domain.topics import register_moved_topics

register_moved_topics()
_attempts = threading.local()  # per thread: whether the command being run is a retry


class DateAsISO(Transcoding):
    """Business dates are stored as ISO strings."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class Ledger(AgreementCommands, BillingCommands, MembershipCommands, SteeringCommands, FundingCommands,
             InvoicingCommands, InterestCommands, RefundCommands, PayoutCommands, GrantCommands, ExitCommands,
             RetentionCommands, ContactCommands, AccessCommands, BankCommands, Application[UUID]):
    """Cooperation agreements, their parties and money, as events."""

    name = "ledger"
    conflicts_retried = 0  # how many commands lost a race and were run again (for the sweeps' logs)
    # Every snapshot is of a bounded aggregate (the invoice book and payment index of earlier versions no
    # longer change); a number series is a few counters, a party's invoices grow with that party's alone.
    snapshotting_intervals = {Agreement: 50, AgreementCatalogue: 100, InvoiceBook: 100, PaymentIndex: 100,
                              ContactRegister: 100, NumberSeries: 100, PartyInvoices: 50,
                              UnassignedBankPayments: 100}
    max_attempts = 6  # a command that loses a race is run again on fresh state, after a short random pause

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # Plumbing ----------------------------------------------------------------------------------

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """The library's ``save`` (eventsourcing 9.5.6, pinned), collecting aggregates by their class
        (``domain.kernel.saving``)."""
        processing_event = AggregateEvents()
        processing_event.collect_events(*objs, **kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # the library's own deprecated hook, called as it does
        return recordings

    def construct_repository(self) -> CopyOnWriteRepository:
        """The library's repository, with cached aggregates never changed in place (thread-safe)."""
        plain, maxsize = super().construct_repository(), self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return CopyOnWriteRepository(
            event_store=self.events, snapshot_store=self.snapshots,
            cache_maxsize=int(maxsize) if maxsize else None,
            fastforward=plain.fastforward, fastforward_skipping=plain.fastforward_skipping,
            deepcopy_from_cache=plain.deepcopy_from_cache)

    def _execute(self, command: Callable[[], tuple[list[Aggregate], dict[str, Any]]],
                 idempotency: Idempotency | None, *,
                 replay: Callable[[], dict[str, Any] | None] | None = None,
                 **save_kwargs: Any) -> dict[str, Any]:
        """Run a command, saving its aggregates and its idempotency record in one transaction.

        A concurrent write makes the save fail on an aggregate's version (or on a deterministic id another
        command took first); the command is then run again on fresh state after a pause of random length
        (a few milliseconds, doubling each time, so racing writers spread out), up to ``max_attempts``
        times in all, and only then is it reported as a version conflict (409 with Retry-After).
        ``replay`` stands in for the check of a repeated key (contacts also compare the personal part
        of the request, kept in the erasable store); ``save_kwargs`` go to the recorder with the
        events (``personal_data``, see ``domain.records.contacts``).
        """
        replayed = replay or (lambda: self._replay(idempotency))
        first = replayed()
        if first is not None:
            return first
        for attempt in range(1, self.max_attempts + 1):
            _attempts.retrying = attempt > 1
            try:
                aggregates, result = command()
            except DomainError:
                # The same request under the same key, done meanwhile by another thread or process, makes
                # this run refuse (its bank transaction or its number is taken now): that is its answer.
                first = replayed() if idempotency is not None else None
                if first is not None:
                    return first
                raise
            if idempotency is not None:
                aggregates.append(IdempotencyRecord(scope=idempotency.scope, key=idempotency.key,
                                                    request_hash=idempotency.request_hash,
                                                    result=result))
            try:
                self.save(*aggregates, **save_kwargs)
            except RecordConflictError:
                self.conflicts_retried += 1
                first = replayed()
                if first is not None:
                    return first
                if attempt == self.max_attempts:
                    raise VersionConflict("the record changed concurrently; try again") from None
                time.sleep(random.uniform(0, 0.002 * 2 ** attempt))  # noqa: S311 - jitter, not a secret
            else:
                self.repository.refresh(aggregates)  # the saved copies are current: readers copy nothing
                return result
        raise AssertionError("unreachable")

    def run_once(self, work: Callable[[], dict[str, Any]], idempotency: Idempotency | None) -> dict[str, Any]:
        """Run work that saves on its own and is safe to repeat (a bank file's import) under an idempotency
        key: its outcome is kept with the key, and the same key and request again give that first outcome
        without running the work again."""
        return self._execute(lambda: ([], work()), idempotency)

    @staticmethod
    def retrying() -> bool:
        """Whether the command running in this thread lost a race before (checks that only a race can
        make fail, such as a bank transaction recorded meanwhile, are left to the store until then)."""
        return bool(getattr(_attempts, "retrying", False))

    def _replay(self, idempotency: Idempotency | None) -> dict[str, Any] | None:
        if idempotency is None:
            return None
        record_id = IdempotencyRecord.create_id(idempotency.scope, idempotency.key)
        # A record is never snapshotted, nor kept in the cache (``refresh`` caches only what was there):
        # its events alone answer, one round trip where the repository would ask the snapshot store first.
        record = project_aggregate(None, self.events.get(record_id))
        if record is None:
            return None
        if record.request_hash != idempotency.request_hash:
            raise IdempotencyKeyReused("this Idempotency-Key was used with another request")
        return dict(record.result)

    def exists(self, aggregate_id: UUID) -> bool:
        """Whether any event was recorded for an aggregate."""
        return next(iter(self.events.get(aggregate_id, limit=1)), None) is not None

    def _get(self, aggregate_id: UUID, kind: type, what: str) -> Any:
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"no {what} {aggregate_id}") from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"no {what} {aggregate_id}")
        return aggregate

    def _agreement(self, agreement_id: UUID) -> Agreement:
        return self._get(agreement_id, Agreement, "agreement")

    def _read(self, aggregate_id: UUID, kind: type, what: str) -> Any:
        """An aggregate for a query, which only reads it: the cached copy itself, not a deep copy of it.

        Commands get their own copy (``_get``) because they change it; a query must never change what
        it reads, so it can share the cache's copy and save copying the whole aggregate per request.
        """
        try:
            aggregate = self.repository.get(aggregate_id, deepcopy_from_cache=False)
        except AggregateNotFoundError:
            raise NotFound(f"no {what} {aggregate_id}") from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"no {what} {aggregate_id}")
        return aggregate



