"""Idempotency: a caller's key with the hash of its request, and the record of the first outcome.

Every write may carry an idempotency key; its record is saved in the same transaction as the write,
so the same key and request give the first response and change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.kernel.identifiers import idempotency_id


@dataclass(frozen=True)
class Idempotency:
    """An idempotency key of one caller, with the hash of the request it first came with."""

    scope: str
    key: str
    request_hash: str


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
