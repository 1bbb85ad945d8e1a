"""Domain errors, each with the stable code the HTTP contract names."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused a command; nothing was changed."""

    code = "domain_error"

    def __init__(self, detail: str, *, code: str | None = None, extra: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = dict(extra or {})  # members the problem response carries beside the detail
        if code is not None:
            self.code = code


class InvalidInput(DomainError):
    """A value is malformed or out of range (HTTP 422)."""

    code = "invalid_input"


class NotFound(DomainError):
    """The object does not exist, or the caller may not know that it does (HTTP 404)."""

    code = "not_found"


class Withheld(DomainError):
    """The caller may know the object exists but may not see this of it (HTTP 403)."""

    code = "withheld"


class Conflict(DomainError):
    """The command contradicts the recorded state (HTTP 409)."""

    code = "conflict"


class Gone(DomainError):
    """What was asked for existed but has been removed for good, lawfully (HTTP 410)."""

    code = "gone"


class VersionConflict(Conflict):
    """A concurrent write won twice in a row; the caller may retry."""

    code = "version_conflict"


class IdempotencyKeyReused(Conflict):
    """The idempotency key was used before with another request body."""

    code = "idempotency_key_reused"
