"""Identifiers: checked Finnish business ids and deterministic aggregate ids."""

from __future__ import annotations

from uuid import UUID, uuid5

from stdnum.exceptions import ValidationError
from stdnum.fi import ytunnus

from domain.kernel.errors import InvalidInput, NotFound

# Namespace of every deterministic id in this ledger; never change it, stored ids depend on it.
LEDGER_NAMESPACE = UUID("6f1c1c0e-9f4e-5a51-9a55-1f0d3c3c2e10")


def business_id(text: str) -> str:
    """Validate a Finnish business id (Y-tunnus) and return it as 1234567-8."""
    if not isinstance(text, str) or len(text) > 20:
        raise InvalidInput("business id must be a short string", code="invalid_business_id")
    try:
        return ytunnus.format(ytunnus.validate(text))
    except ValidationError as exc:
        raise InvalidInput(f"{text!r} is not a valid Finnish business id: {exc}",
                           code="invalid_business_id") from exc


def agreement_id(code: str) -> UUID:
    """The id of the agreement with this code (so a code can be used only once)."""
    return uuid5(LEDGER_NAMESPACE, f"agreement:{code}")


def party_id(agreement: UUID, business: str) -> UUID:
    """The id of a business's party in one agreement (so it can accede only once)."""
    return uuid5(agreement, f"party:{business}")


def token_id(token_hash: str) -> UUID:
    """The id of the API token whose SHA-256 hash is given."""
    return uuid5(LEDGER_NAMESPACE, f"token:{token_hash}")


def idempotency_id(scope: str, key: str) -> UUID:
    """The id of the record of one idempotency key used by one caller."""
    return uuid5(LEDGER_NAMESPACE, f"idempotency:{scope}:{key}")


def parse_uuid(text: str, what: str) -> UUID:
    """Parse an id from a path or body; a malformed id names nothing, so it is 'not found'."""
    try:
        return UUID(str(text))
    except ValueError as exc:
        raise NotFound(f"no {what} {text!r}") from exc
