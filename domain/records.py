"""Small aggregates that keep the ledger's own records: API tokens, idempotency keys, the catalogue."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.identifiers import LEDGER_NAMESPACE, idempotency_id, token_id

ROLES = ("coordinator", "finance", "scheduler", "auditor", "party")
CATALOGUE_ID = uuid5(LEDGER_NAMESPACE, "catalogue:agreements")
MAX_AGREEMENTS = 10_000


class ApiToken(Aggregate):
    """A bearer token, known only by its SHA-256 hash; the token itself is never stored."""

    @staticmethod
    def create_id(token_hash: str) -> UUID:
        return token_id(token_hash)

    @event("Issued")
    def __init__(self, *, token_hash: str, role: str, business_id: str | None, label: str,
                 issued_on: date) -> None:
        self.token_hash = token_hash
        self.role = role
        self.business_id = business_id
        self.label = label
        self.issued_on = issued_on
        self.revoked_on: date | None = None

    @event("Revoked")
    def revoke(self, *, revoked_on: date) -> None:
        """The token no longer opens anything."""
        self.revoked_on = revoked_on


class IdempotencyRecord(Aggregate):
    """The outcome of a write made under an idempotency key, saved atomically with the write."""

    @staticmethod
    def create_id(scope: str, key: str) -> UUID:
        return idempotency_id(scope, key)

    @event("Recorded")
    def __init__(self, *, scope: str, key: str, request_hash: str, result: dict[str, Any]) -> None:
        self.scope = scope
        self.key = key
        self.request_hash = request_hash
        self.result = result


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
