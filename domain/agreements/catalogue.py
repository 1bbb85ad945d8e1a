"""The catalogue of agreements in the order they were created, for paging through them."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.kernel.identifiers import LEDGER_NAMESPACE

CATALOGUE_ID = uuid5(LEDGER_NAMESPACE, "catalogue:agreements")
MAX_AGREEMENTS = 10_000


class AgreementCatalogue(Aggregate):
    """The list of agreements in the order they were created, for paging through them."""

    @staticmethod
    def create_id() -> UUID:
        return CATALOGUE_ID

    @event("Opened")
    def __init__(self) -> None:
        self.entries: list[list[Any]] = []

    @event("AgreementListed")
    def list_agreement(self, *, agreement_id: UUID, code: str) -> None:
        """Add a newly created agreement to the catalogue."""
        assert len(self.entries) < MAX_AGREEMENTS, "catalogue is full"
        self.entries.append([agreement_id, code])
