"""What a verifier trusts: a list of public keys with the period each may sign in, and a known head.

A key list is JSON, either a list or ``{"keys": [...]}``, of ``{"public_key": BASE64, "valid_from":
"2026-01-01T00:00:00Z", "valid_until": "2027-01-01T00:00:00Z"}`` (either date may be left out or null:
open-ended). A checkpoint holds when its signature holds for a listed key that was valid at the
checkpoint's signed time. After a rotation the list keeps the old key with a ``valid_until``, so the
checkpoints it signed keep verifying, and a checkpoint signed by it later is refused.

A known head is a position and its hash that the verifier got earlier from outside the database: an
export's ``manifest.json`` (``head_position``, ``head_hash``) or a published checkpoint (``position``,
``hash``). The recomputed chain must pass through it: if it does not, history up to it was changed and
the chain sealed again; if the log ends before it, the log was truncated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from projections.audit.signing import signature_holds

MAX_FILE_BYTES = 65_536
MAX_KEYS = 100
_HEX64 = re.compile(r"[0-9a-f]{64}")


def _moment(value: Any, what: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError(f"{what} is not an ISO 8601 date-time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{what} {value!r} is not an ISO 8601 date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _read_json(path: Path) -> Any:
    raw = path.read_bytes()
    if len(raw) > MAX_FILE_BYTES:
        raise ValueError(f"{path} is larger than {MAX_FILE_BYTES} bytes")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"{path} is not JSON: {exc}") from None


@dataclass(frozen=True)
class TrustedKey:
    """One public key and the period in which it may sign."""

    public_key: str
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    def valid_at(self, moment: datetime | None) -> bool:
        """Whether the key may sign at ``moment`` (an unknown moment passes only an open-ended key)."""
        if moment is None:
            return self.valid_from is None and self.valid_until is None
        return ((self.valid_from is None or self.valid_from <= moment)
                and (self.valid_until is None or moment < self.valid_until))


class TrustedKeys:
    """The keys a verifier accepts checkpoints from."""

    def __init__(self, keys: Iterable[TrustedKey]) -> None:
        self.keys = list(keys)
        if not 0 < len(self.keys) <= MAX_KEYS:
            raise ValueError(f"a key list holds 1 to {MAX_KEYS} keys")

    @classmethod
    def only(cls, public_key: str) -> TrustedKeys:
        """One key, valid at any time."""
        return cls([TrustedKey(public_key)])

    @classmethod
    def load(cls, path: Path) -> TrustedKeys:
        """A key list from a JSON file."""
        data = _read_json(path)
        items = data.get("keys") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise ValueError(f"{path} holds no list of keys")
        keys = []
        for number, item in enumerate(items, start=1):
            key = item.get("public_key") if isinstance(item, dict) else None
            if not isinstance(key, str) or not 40 <= len(key) <= 60:
                raise ValueError(f"{path}: key {number} has no base64 public_key")
            keys.append(TrustedKey(key, _moment(item.get("valid_from"), f"key {number} valid_from"),
                                   _moment(item.get("valid_until"), f"key {number} valid_until")))
        return cls(keys)

    def public_keys(self) -> set[str]:
        """Every listed public key."""
        return {key.public_key for key in self.keys}

    def problem(self, position: int, digest: str, signature: str, public_key: str,
                signed_at: str | None) -> tuple[str, str] | None:
        """(check, reason) if a checkpoint does not hold with these keys, else None."""
        if not signature_holds(position, digest, signature, public_key, signed_at) and not (
                signature_holds(position, digest, signature, public_key)):
            return "signature", f"the checkpoint at position {position}: the signature does not verify"
        listed = [key for key in self.keys if key.public_key == public_key]
        if not listed:
            return "untrusted_key", f"the checkpoint at position {position} is signed with an untrusted key"
        try:
            moment = _moment(signed_at, "signed_at")
        except ValueError:
            moment = None
        if not any(key.valid_at(moment) for key in listed):
            return "untrusted_key", (f"the checkpoint at position {position} is signed at {signed_at} with a "
                                     "key not valid then")
        return None


@dataclass(frozen=True)
class KnownHead:
    """A position and its hash known from outside the database."""

    position: int
    hash: str

    @classmethod
    def load(cls, path: Path) -> KnownHead:
        """From an export's manifest.json or a published checkpoint (JSON)."""
        data = _read_json(path)
        if not isinstance(data, dict):
            raise ValueError(f"{path} is not a JSON object")
        position = data.get("position", data.get("head_position"))
        digest = data.get("hash", data.get("head_hash"))
        if not isinstance(position, int) or isinstance(position, bool) or not 0 < position <= 2**62:
            raise ValueError(f"{path} has no head position (position or head_position)")
        if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
            raise ValueError(f"{path} has no head hash of 64 hex characters (hash or head_hash)")
        return cls(position, digest)

    def problem(self, found: str | None, last: int) -> tuple[int, str, str] | None:
        """(first bad position, check, reason) if a chain whose hash at this position is ``found`` (None:
        no event there) and whose last event is at ``last`` misses this head, else None."""
        if found == self.hash:
            return None
        if found is None and last < self.position:
            return last + 1, "truncated", (f"the log ends at position {last}, before the known head at "
                                           f"position {self.position}: the log was truncated")
        if found is None:
            return self.position, "known_head", f"the known head's event at position {self.position} is missing"
        return self.position, "known_head", (f"the chain does not meet the known head at position "
                                             f"{self.position}: an event at or before it was changed and the "
                                             "chain sealed again")


class Watch:
    """Passes (position, hash) pairs through, noting the last position and the hash at one position."""

    def __init__(self, pairs: Iterable[tuple[int, str]], position: int | None) -> None:
        self._pairs = iter(pairs)
        self.position = position
        self.found: str | None = None
        self.last = 0

    def __iter__(self) -> Iterator[tuple[int, str]]:
        return self

    def __next__(self) -> tuple[int, str]:
        position, digest = next(self._pairs)
        self.last = position
        if position == self.position:
            self.found = digest
        return position, digest

    def drain(self) -> None:
        """Read on until the watched position is passed or the pairs end."""
        while self.position is not None and self.last < self.position:
            try:
                next(self)
            except StopIteration:
                return
