"""Access: API tokens by role, known only by their hashes, and who a token stands for."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event

from domain.kernel.errors import InvalidInput
from domain.kernel.identifiers import business_id as check_business_id
from domain.kernel.identifiers import token_id

if TYPE_CHECKING:
    from eventsourcing.application import Repository

ROLES = ("coordinator", "finance", "scheduler", "auditor", "party")


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


MAX_TOKEN_CHARS = 200


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's id, its role and, for a party, its business id."""

    token_id: UUID
    role: str
    business_id: str | None


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


class AccessCommands:
    """Issue, revoke and check bearer tokens; mixed into the Ledger."""

    if TYPE_CHECKING:
        repository: Repository

        def save(self, *objs: Any, **kwargs: Any) -> Any: ...
        def _get(self, aggregate_id: UUID, kind: type, what: str) -> Any: ...

    def issue_token(self, *, role: str, business_id: str | None, label: str, issued_on: date
                    ) -> tuple[UUID, str]:
        """Create a bearer token for a role (a party token names its business id); returns (id, token)."""
        if role not in ROLES:
            raise InvalidInput(f"role must be one of {', '.join(ROLES)}", code="invalid_role")
        if (role == "party") != (business_id is not None):
            raise InvalidInput("a party token, and only a party token, names a business id",
                               code="invalid_role")
        bid = None if business_id is None else check_business_id(business_id)
        token = "clt_" + secrets.token_urlsafe(32)
        record = ApiToken(token_hash=hash_token(token), role=role, business_id=bid,
                          label=label[:100], issued_on=issued_on)
        self.save(record)
        return record.id, token

    def revoke_token(self, token_id: UUID, *, revoked_on: date) -> None:
        """Revoke a token by its id."""
        record = self._get(token_id, ApiToken, "token")
        if record.revoked_on is None:
            record.revoke(revoked_on=revoked_on)
            self.save(record)

    def authenticate(self, token: str) -> Principal | None:
        """The caller a bearer token stands for, or None if it is unknown or revoked."""
        if not token or len(token) > MAX_TOKEN_CHARS:
            return None
        return self.principal_of_hash(hash_token(token))

    def principal_of_hash(self, token_hash: str) -> Principal | None:
        """The caller of the token stored under this hash, or None if it is unknown or revoked; a web
        session keeps only the hash of the token it was opened with."""
        try:
            record = self.repository.get(ApiToken.create_id(token_hash), deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return None
        if not isinstance(record, ApiToken) or record.revoked_on is not None:
            return None
        return Principal(record.id, record.role, record.business_id)
