"""An agreement's register of documents as one command sees it: numbers handed out, what each party was
billed, and the aggregates to save with the documents.

It stands where the invoice book stood (``Invoice.issue`` and ``Invoice.credit`` number through it the
same way) but reads only what the command needs: the number series, the block the next number falls in
and the parties invoiced. An agreement whose invoice book was kept by an earlier version goes on from it:
its numbers continue the book's series, and what the book says a party was billed still counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, project_aggregate
from eventsourcing.domain import Aggregate

from domain.agreements.catalogue import AgreementCatalogue
from domain.invoicing.invoices import MAX_SEQUENCE, InvoiceBook
from domain.invoicing.numbering import BLOCK, NumberBlock, NumberSeries, PartyInvoices, ReferencePrefix, block_index
from domain.invoicing.payments import ArchiveClaim, PaymentIndex, UnmatchedPage, bank_payment_id, duplicate
from domain.kernel.errors import Conflict, InvalidInput
from domain.kernel.references import national, normalise

Fetch = Callable[[UUID], Any]  # an aggregate by id, or None
FetchMany = Callable[[list[UUID]], dict[UUID, Any]]  # aggregates by id (None for those not found), in one read
PARTIES_PER_READ = 500  # parties' lists of invoices read in one query
MAX_UNMATCHED_PAGES = 100_000  # a bound on any walk over an agreement's pages of unmatched payments


class Register:
    """Numbers and billing of one agreement within one command (see the module docstring)."""

    def __init__(self, *, agreement_id: UUID, series: NumberSeries, legacy: InvoiceBook | None,
                 fetch: Fetch, new: list[Aggregate], fetch_many: FetchMany | None = None) -> None:
        self.agreement_id = agreement_id
        self.series = series
        self.legacy = legacy
        self._fetch = fetch
        self._fetch_many = fetch_many
        self._new = new  # the series and its prefix's claim, when this command opens them
        self._numbered: dict[int, list[dict[str, Any]]] = {}  # year → documents numbered by this command
        self._parties: dict[UUID, PartyInvoices | None] = {}
        self._billed: dict[UUID, tuple[list[dict[str, Any]], list[int]]] = {}
        self._legacy_ids: dict[UUID, set[UUID]] = {}

    # Numbering (the invoice book's interface) -------------------------------------------------

    def next_number(self, year: int) -> tuple[int, str, str]:
        """The next sequence, document number and Finnish reference of a year's series."""
        sequence = self.series.used.get(str(year), 0) + len(self._numbered.get(year, [])) + 1
        if sequence > MAX_SEQUENCE:
            raise Conflict(f"{self.series.code} has used all {MAX_SEQUENCE} numbers of {year}",
                           code="invoice_numbers_exhausted")
        number = f"{self.series.code}-{year}-{sequence:05d}"
        return sequence, number, national(f"{self.series.reference_prefix}{year}{sequence:05d}")

    def number_document(self, *, document_id: UUID, kind: str, year: int, sequence: int,
                        party_id: UUID, instalments: list[int]) -> None:
        """Record a document under the next number of its year's series."""
        entries = self._numbered.setdefault(year, [])
        assert sequence == self.series.used.get(str(year), 0) + len(entries) + 1, "numbers run without gaps"
        entries.append({"id": document_id, "kind": kind, "party_id": party_id})
        if kind != "credit_note":
            invoices, billed = self._billed.setdefault(party_id, ([], []))
            invoices.append({"id": document_id, "year": year, "sequence": sequence})
            billed.extend(instalments)

    # What a party was billed -------------------------------------------------------------------

    def party(self, party_id: UUID) -> PartyInvoices | None:
        """The party's invoices as recorded (a copy this command may change), or None before its first."""
        if party_id not in self._parties:
            self._parties[party_id] = self._fetch(PartyInvoices.create_id(self.agreement_id, party_id))
        return self._parties[party_id]

    def read_parties(self, party_ids: Iterable[UUID]) -> None:
        """Read the invoices of these parties (as ``party`` would, one by one) in one read of the store."""
        wanted = [pid for pid in dict.fromkeys(party_ids) if pid not in self._parties]
        if self._fetch_many is None or len(wanted) < 2:
            return
        for start in range(0, len(wanted), PARTIES_PER_READ):
            ids = {PartyInvoices.create_id(self.agreement_id, pid): pid
                   for pid in wanted[start:start + PARTIES_PER_READ]}
            found = self._fetch_many(list(ids))
            for aggregate_id, pid in ids.items():
                self._parties[pid] = found[aggregate_id]

    def issued_ids(self, party_id: UUID) -> set[UUID]:
        """Every invoice of a party: the invoice book's, the recorded ones and this command's."""
        party = self.party(party_id)
        if party_id not in self._legacy_ids:
            self._legacy_ids[party_id] = set(self.legacy.ids(party_id)) if self.legacy is not None else set()
        found = set(self._legacy_ids[party_id])
        found |= {entry["id"] for entry in party.invoices} if party is not None else set()
        return found | {entry["id"] for entry in self._billed.get(party_id, ([], []))[0]}

    def billed_instalments(self, party_id: UUID) -> list[int]:
        """The instalments a party was billed (R-INV-3)."""
        party = self.party(party_id)
        return [*(self.legacy.instalments.get(str(party_id), []) if self.legacy is not None else []),
                *(party.instalments if party is not None else []),
                *self._billed.get(party_id, ([], []))[1]]

    def ids(self, party_id: UUID) -> list[UUID]:
        """A party's invoices in number order (the book's first)."""
        party = self.party(party_id)
        return [*(self.legacy.ids(party_id) if self.legacy is not None else []),
                *(party.ids() if party is not None else [])]

    # Saving ------------------------------------------------------------------------------------

    def aggregates(self) -> list[Aggregate]:
        """The series, blocks and parties' lists this command changed, each with one event (none if it
        numbered nothing)."""
        changed: list[Aggregate] = list(self._new) if self._numbered else []
        for year, entries in sorted(self._numbered.items()):
            first = self.series.used.get(str(year), 0) + 1
            self.series.numbered(year=year, count=len(entries))
            by_block: dict[int, list[dict[str, Any]]] = {}
            for offset, entry in enumerate(entries):
                by_block.setdefault(block_index(first + offset), []).append(entry)
            for index, block_entries in by_block.items():
                block = self._fetch(NumberBlock.create_id(self.agreement_id, year, index)) or NumberBlock(
                    agreement_id=self.agreement_id, year=year, index=index,
                    first=max(first, index * BLOCK + 1))
                block.add(entries=block_entries)
                changed.append(block)
        if self._numbered and self.series not in changed:
            changed.append(self.series)
        for party_id, (invoices, billed) in self._billed.items():
            party = self.party(party_id) or PartyInvoices(agreement_id=self.agreement_id, party_id=party_id)
            party.add(invoices=invoices, instalments=billed)
            changed.append(party)
        self._numbered, self._billed = {}, {}
        return changed


def open_series(agreement_id: UUID, code: str, prefix: str, legacy: InvoiceBook | None) -> list[Aggregate]:
    """A new number series, going on from an invoice book's counts, and the claim of its prefix."""
    used = {year: len(entries) for year, entries in legacy.series.items()} if legacy is not None else {}
    series = NumberSeries(agreement_id=agreement_id, code=legacy.code if legacy else code,
                          reference_prefix=legacy.reference_prefix if legacy else prefix, used=used)
    return [series, ReferencePrefix(prefix=series.reference_prefix, agreement_id=agreement_id)]


def documents(series: NumberSeries | None, legacy: InvoiceBook | None, fetch: Fetch,
              start: tuple[int, int] = (0, 0)) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """Every document of an agreement as ``(year, sequence, entry)`` in number order, after ``start``."""
    years = set(legacy.series) if legacy is not None else set()
    years |= set(series.used) if series is not None else set()
    for year in sorted(int(y) for y in years):
        if year < start[0]:
            continue
        old = legacy.series.get(str(year), []) if legacy is not None else []
        after = start[1] if year == start[0] else 0
        for sequence in range(after + 1, len(old) + 1):
            yield year, sequence, old[sequence - 1]
        last = series.used.get(str(year), 0) if series is not None else 0
        sequence = max(after, len(old)) + 1
        while sequence <= last:
            block = fetch(NumberBlock.create_id(series.agreement_id, year, block_index(sequence)))  # type: ignore[union-attr]
            entry = None if block is None else block.entry(sequence)
            if entry is None:
                break  # a block not yet readable: the documents after it are listed once it is
            yield year, sequence, entry
            sequence += 1


def find_in(series: NumberSeries | None, legacy: InvoiceBook | None, fetch: Fetch, year: int,
            sequence: int) -> dict[str, Any] | None:
    """The document of a year's sequence, from the invoice book or the series' blocks."""
    old = legacy.series.get(str(year), []) if legacy is not None else []
    if 0 < sequence <= len(old):
        return old[sequence - 1]
    if series is None or not len(old) < sequence <= series.used.get(str(year), 0):
        return None
    block = fetch(NumberBlock.create_id(series.agreement_id, year, block_index(sequence)))
    return None if block is None else block.entry(sequence)


class RegisterAccess:
    """Mixed into the Ledger: registers for commands, and reads of numbers and references without copies.

    The invoice books and payment indexes of earlier versions are read once per process: no version
    writes them any more, so whether an agreement has one, and what it holds, never changes.
    """

    repository: Any
    recorder: Any
    mapper: Any
    exists: Callable[[UUID], bool]
    retrying: Callable[[], bool]

    def _fetch_copy(self, aggregate_id: UUID) -> Any:
        """An aggregate a command may change (its own copy), or None."""
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def _fetch_copies(self, aggregate_ids: list[UUID]) -> dict[UUID, Any]:
        """Aggregates a command may change (its own copies), None for those not found: from one read of
        their events where the store offers it, else one by one."""
        select = getattr(self.recorder, "select_events_of", None)
        if select is None:
            return {aggregate_id: self._fetch_copy(aggregate_id) for aggregate_id in aggregate_ids}
        stored = select(aggregate_ids)
        return {aggregate_id: project_aggregate(None, map(self.mapper.to_domain_event, stored[aggregate_id]))
                if aggregate_id in stored else None for aggregate_id in aggregate_ids}

    def _fetch_read(self, aggregate_id: UUID) -> Any:
        """An aggregate to read only (the cached object itself, never to be changed), or None."""
        try:
            return self.repository.get(aggregate_id, deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return None

    def _fetch_settled(self, aggregate_id: UUID, settled: Callable[[Any], bool]) -> Any:
        """An aggregate to read only, from the cache without asking the store for newer events when what is
        cached already answers (``settled``): numbers, blocks and claims only ever grow, so an entry once
        there never changes. Otherwise as ``_fetch_read``."""
        cache = getattr(self.repository, "cache", None)
        if cache is not None:
            try:
                cached = cache.get(aggregate_id)
            except KeyError:
                cached = None
            if cached is not None and settled(cached):
                return cached
        return self._fetch_read(aggregate_id)

    def _kept(self, kind: type, aggregate_id: UUID) -> Any:
        memo: dict[UUID, Any] = self.__dict__.setdefault("_kept_from_earlier_versions", {})
        if aggregate_id not in memo:
            found = self._fetch_read(aggregate_id)
            memo[aggregate_id] = found if isinstance(found, kind) else None
        return memo[aggregate_id]

    def _catalogue_entries(self) -> list[list[Any]]:
        catalogue = self._fetch_read(AgreementCatalogue.create_id())
        return [] if catalogue is None else catalogue.entries  # type: ignore[no-any-return]

    def _legacy_book(self, agreement_id: UUID) -> InvoiceBook | None:
        return self._kept(InvoiceBook, InvoiceBook.create_id(agreement_id))  # type: ignore[no-any-return]

    def _legacy_index(self, agreement_id: UUID) -> PaymentIndex | None:
        return self._kept(PaymentIndex, PaymentIndex.create_id(agreement_id))  # type: ignore[no-any-return]

    def _book(self, agreement: Any) -> Register:
        """The register of an agreement for a command that numbers documents or issues invoices."""
        legacy = self._legacy_book(agreement.id)
        series = self._fetch_copy(NumberSeries.create_id(agreement.id))
        new: list[Aggregate] = []
        if series is None:
            ids = [entry[0] for entry in self._catalogue_entries()]
            ordinal = ids.index(agreement.id) + 1 if agreement.id in ids else len(ids) + 1
            new = open_series(agreement.id, agreement.code, str(ordinal), legacy)
            series = new[0]
        return Register(agreement_id=agreement.id, series=series, legacy=legacy, fetch=self._fetch_copy, new=new,
                        fetch_many=self._fetch_copies)

    def _documents(self, agreement_id: UUID, start: tuple[int, int] = (0, 0)
                   ) -> Iterator[tuple[int, int, dict[str, Any]]]:
        """An agreement's documents in number order, read without copies."""
        return documents(self._fetch_read(NumberSeries.create_id(agreement_id)), self._legacy_book(agreement_id),
                         self._fetch_read, start)

    def _party_invoice_ids(self, agreement_id: UUID, party_id: UUID) -> list[UUID]:
        legacy = self._legacy_book(agreement_id)
        party = self._fetch_read(PartyInvoices.create_id(agreement_id, party_id))
        return [*(legacy.ids(party_id) if legacy is not None else []), *(party.ids() if party is not None else [])]

    def find_invoice_by_reference(self, reference: str) -> UUID | None:
        """The invoice a Finnish or RF reference names, in any agreement of the ledger, or None (references
        are unique across the ledger: each agreement's prefix is its own)."""
        try:
            compact = normalise(reference)
        except InvalidInput:
            return None
        found = self._locate_reference(compact)
        return None if found is None else found[1]

    def _locate_reference(self, compact: str) -> tuple[UUID, UUID] | None:
        """The agreement and invoice of a compact, checked reference."""
        base = compact[:-1]
        prefix, year, sequence = base[:-9], base[-9:-5], base[-5:]
        if not prefix or len(year) != 4:
            return None
        agreement_id = self._prefix_owner(prefix)
        if agreement_id is None:
            return None
        number, position = int(year), int(sequence)
        series = self._fetch_settled(NumberSeries.create_id(agreement_id),
                                     lambda found: found.used.get(year, 0) >= position)
        entry = find_in(series, self._legacy_book(agreement_id),
                        lambda block_id: self._fetch_settled(block_id, lambda b: b.entry(position) is not None),
                        number, position)
        if entry is None or entry["kind"] == "credit_note":
            return None
        return agreement_id, entry["id"]

    def _prefix_owner(self, prefix: str) -> UUID | None:
        claim = self._fetch_settled(ReferencePrefix.create_id(prefix), lambda _claim: True)  # never changes
        if isinstance(claim, ReferencePrefix):
            return claim.agreement_id
        entries = self._catalogue_entries()  # an invoice book of an earlier version, numbered by ordinal
        ordinal = int(prefix)
        if not 0 < ordinal <= len(entries):
            return None
        legacy = self._legacy_book(entries[ordinal - 1][0])
        return legacy.agreement_id if legacy is not None and legacy.reference_prefix == prefix else None

    # Bank transactions and unmatched payments ----------------------------------------------------

    def _new_bank_transaction(self, agreement_id: UUID, bank_reference: str) -> tuple[UUID, ArchiveClaim]:
        """The payment id of a bank transaction not yet recorded, and the claim of its archive id across
        the ledger to save with it; refused when either is taken (duplicate_payment)."""
        legacy = self._legacy_index(agreement_id)
        if legacy is not None:
            legacy.check_new(bank_reference)
        payment_id = bank_payment_id(agreement_id, bank_reference)
        # The save creates aggregates under these ids, which the store refuses when they exist: only after
        # such a refusal (a retry) is it worth asking, so the first attempt costs no query for them.
        if self.retrying():
            if self.exists(payment_id):
                raise duplicate(bank_reference, payment_id)
            claimed = self._fetch_read(ArchiveClaim.create_id(bank_reference))
            if claimed is not None:
                raise claimed.refusal()
        return payment_id, ArchiveClaim(archive_id=bank_reference, agreement_id=agreement_id, payment_id=payment_id)

    def _unmatched_tail(self, agreement_id: UUID) -> UnmatchedPage:
        """The page of an agreement's unmatched payments that has room (a new one after a full one).

        A full page never changes, so full pages are passed over from the cache without a copy or a query,
        and the walk starts at the tail this process found last (pages only ever fill, so the tail only
        moves on): an unmatched payment costs the same after thousands of them as after the first."""
        tails: dict[UUID, int] = self.__dict__.setdefault("_unmatched_tails", {})
        number = tails.get(agreement_id, 0)
        while True:
            page_id = UnmatchedPage.create_id(agreement_id, number)
            page = self._fetch_settled(page_id, UnmatchedPage.full)
            if page is None:
                return UnmatchedPage(agreement_id=agreement_id, page=number)
            if not page.full():
                mine = self._fetch_copy(page_id)  # up to date: another command may have filled it meanwhile
                if not mine.full():
                    tails[agreement_id] = number
                    return mine  # type: ignore[no-any-return]
            number += 1

    def _unmatched_ids(self, agreement_id: UUID) -> list[UUID]:
        ids: list[UUID] = []
        for number in range(MAX_UNMATCHED_PAGES):  # full pages from the cache, unchanged since they filled
            page = self._fetch_settled(UnmatchedPage.create_id(agreement_id, number), UnmatchedPage.full)
            if page is None:
                break
            ids.extend(page.ids)
        return ids
