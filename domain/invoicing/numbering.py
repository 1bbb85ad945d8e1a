"""Bounded aggregates that number an agreement's documents and remember what each party was billed.

An agreement's invoice book (``InvoiceBook``) held every document it ever numbered: each invoice and
credit note read and copied it, and its snapshots grew with the square of its size. Its work is now done
by aggregates whose size does not grow with the agreement:

- ``NumberSeries``: per agreement, the last sequence used in each year (a few numbers), its code and
  reference prefix; every numbering command updates it, so two commands can never take one number.
- ``NumberBlock``: the documents numbered 1-100, 101-200, … of one year, for listings in number order
  and for finding the document a reference names; a block holds at most ``BLOCK`` documents.
- ``PartyInvoices``: one party's invoices and the instalments billed to it (what R-INV-3's "already
  issued" check needs), growing with that party's invoices, not the agreement's.
- ``ReferencePrefix``: which agreement a reference prefix belongs to, so a reference is looked up across
  the ledger without reading any agreement's register.

All are saved in the same transaction as the documents they number, so a failed save leaves no gap.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.kernel.identifiers import LEDGER_NAMESPACE

BLOCK = 100  # documents per number block


def block_index(sequence: int) -> int:
    """The block that holds a year's document of this sequence (numbered from 1)."""
    return (sequence - 1) // BLOCK


class NumberSeries(Aggregate):
    """An agreement's document series: the last sequence used per year (the gap-free counter)."""

    @staticmethod
    def create_id(agreement_id: UUID) -> UUID:
        return uuid5(agreement_id, "number-series")

    @event("Opened")
    def __init__(self, *, agreement_id: UUID, code: str, reference_prefix: str, used: dict[str, int]) -> None:
        self.agreement_id = agreement_id
        self.code = code
        self.reference_prefix = reference_prefix
        self.used = dict(used)  # year → last sequence used (an agreement's invoice book's count to start)

    @event("Numbered")
    def numbered(self, *, year: int, count: int) -> None:
        """``count`` more documents of a year were numbered, after the last one."""
        self.used[str(year)] = self.used.get(str(year), 0) + count


class NumberBlock(Aggregate):
    """Up to ``BLOCK`` consecutive documents of one year's series, in number order."""

    @staticmethod
    def create_id(agreement_id: UUID, year: int, index: int) -> UUID:
        return uuid5(agreement_id, f"numbers:{year}:{index}")

    @event("Opened")
    def __init__(self, *, agreement_id: UUID, year: int, index: int, first: int) -> None:
        self.agreement_id = agreement_id
        self.year = year
        self.index = index
        self.first = first  # the sequence of its first document
        self.entries: list[dict[str, Any]] = []

    @event("DocumentsNumbered")
    def add(self, *, entries: list[dict[str, Any]]) -> None:
        """Documents numbered in one save, in number order (each ``{"id", "kind", "party_id"}``)."""
        assert len(self.entries) + len(entries) <= BLOCK, "a block holds at most BLOCK documents"
        self.entries.extend(entries)

    def entry(self, sequence: int) -> dict[str, Any] | None:
        """The document of a sequence, if this block holds it."""
        position = sequence - self.first
        return self.entries[position] if 0 <= position < len(self.entries) else None


class PartyInvoices(Aggregate):
    """One party's invoices in an agreement, and the instalments they bill (R-INV-3)."""

    @staticmethod
    def create_id(agreement_id: UUID, party_id: UUID) -> UUID:
        return uuid5(agreement_id, f"party-invoices:{party_id}")

    @event("Opened")
    def __init__(self, *, agreement_id: UUID, party_id: UUID) -> None:
        self.agreement_id = agreement_id
        self.party_id = party_id
        self.invoices: list[dict[str, Any]] = []  # {"id", "year", "sequence"}
        self.instalments: list[int] = []

    @event("InvoicesAdded")
    def add(self, *, invoices: list[dict[str, Any]], instalments: list[int]) -> None:
        """Invoices issued to the party in one save, and the instalments they bill."""
        self.invoices.extend(invoices)
        self.instalments.extend(instalments)

    def ids(self) -> list[UUID]:
        """The party's invoices in number order."""
        return [entry["id"] for entry in sorted(self.invoices, key=lambda e: (e["year"], e["sequence"]))]


class ReferencePrefix(Aggregate):
    """The agreement whose references start with a prefix: one per prefix, so prefixes never repeat."""

    @staticmethod
    def create_id(prefix: str) -> UUID:
        return uuid5(LEDGER_NAMESPACE, f"reference-prefix:{prefix}")

    @event("Claimed")
    def __init__(self, *, prefix: str, agreement_id: UUID) -> None:
        self.prefix = prefix
        self.agreement_id = agreement_id
