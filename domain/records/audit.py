"""The audit hash chain: canonical JSON of an event's content and the chained SHA-256 over it.

Pure code: no database and no clock, so an auditor's offline check and the service's check share it.
``hash(n) = sha256(prev_hash + canonical(event n))`` where ``prev_hash`` is the previous event's hash
as 64 lower-case hex characters (ASCII) and the first event's ``prev_hash`` is :data:`GENESIS`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

GENESIS = "0" * 64
UNDECODABLE = "undecodable"  # in place of a recomputed hash: the stored state could not be decoded
MAX_DEPTH = 64  # event states are shallow; a deeper one is a bug or an attack, not a record


def canonical(value: Any) -> bytes:
    """RFC 8785-style canonical JSON: keys sorted by UTF-16 code units, no whitespace, UTF-8."""
    return _render(value, 0).encode("utf-8")


def _render(value: Any, depth: int) -> str:
    if depth > MAX_DEPTH:
        raise ValueError("value nested too deeply for the audit chain")
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("NaN and infinities have no canonical JSON form")
        return json.dumps(int(value) if value.is_integer() and abs(value) < 2**53 else value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (Decimal, UUID)):
        return json.dumps(str(value))
    if isinstance(value, (date, datetime, time)):
        return json.dumps(value.isoformat())
    if isinstance(value, Mapping):
        # RFC 8785 orders members by the UTF-16 code units of their names.
        items = sorted(((str(k), v) for k, v in value.items()), key=lambda kv: kv[0].encode("utf-16-be"))
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + _render(v, depth + 1)
                              for k, v in items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_render(v, depth + 1) for v in value) + "]"
    if isinstance(value, (set, frozenset)):
        return _render(sorted(value, key=lambda v: _render(v, depth + 1)), depth)
    raise TypeError(f"{type(value).__name__} has no canonical JSON form in the audit chain")


def plain(value: Any) -> Any:
    """A decoded value as plain JSON data (Decimal, UUID and dates as strings), for export and the API."""
    return json.loads(canonical(value))


def content(position: int, topic: str, originator_id: Any, version: int, state: Mapping[str, Any]
            ) -> dict[str, Any]:
    """The domain content of a stored event that the chain covers."""
    return {"position": int(position), "topic": topic, "originator_id": normal_id(originator_id),
            "originator_version": int(version), "state": plain(state)}


def normal_id(originator_id: Any) -> str:
    """An originator id in one form on every database (SQLite stores UUIDs as bare hex)."""
    try:
        return str(originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id)))
    except ValueError:
        return str(originator_id)


def link(prev_hash: str, canonical_bytes: bytes) -> str:
    """The chain hash of one event after ``prev_hash``."""
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_bytes).hexdigest()


@dataclass(frozen=True)
class Verdict:
    """What a verification found: events compared, and the first position that fails, if any."""

    events_checked: int
    ok: bool
    first_bad_position: int | None
    reason: str | None = None
    head_hash: str = GENESIS
    head_position: int = 0
    failed: str | None = None  # which check failed: one of CHECKS

    def as_dict(self) -> dict[str, Any]:
        """The verdict as the API and the command line give it."""
        return {"events_checked": self.events_checked, "ok": self.ok,
                "first_bad_position": self.first_bad_position, "reason": self.reason, "failed": self.failed,
                "head_position": self.head_position, "head_hash": self.head_hash}


# What a failed verification names: the stored chain, a checkpoint the recomputed chain does not meet, a
# checkpoint's signature, its key (not trusted, or not valid when it signed), the known head, a log
# that ends before the known head, or an event whose stored state cannot be decoded.
CHECKS = ("chain", "checkpoint", "signature", "untrusted_key", "known_head", "truncated", "undecodable")


def failure(checked: int, position: int, reason: str, failed: str, head: tuple[int, str]) -> Verdict:
    """A failed verdict after ``checked`` good events, the last good one being ``head``."""
    assert failed in CHECKS
    return Verdict(checked, False, position, reason, head[1], head[0], failed)


def compare(recomputed: Iterable[tuple[int, str]], stored: Iterator[tuple[int, str]],
            checkpoints: Mapping[int, str] | None = None) -> Verdict:
    """Compare recomputed (position, hash) with stored chain heads, both ascending by position.

    A stored position missing from the events is a deleted event; an event at or before the stored
    head with no stored hash is an inserted one; a differing hash is an edit or a swap. Events after
    the stored head are not yet chained and are not counted. ``checkpoints`` (position → hash) are
    signed heads the recomputed chain must also meet.
    """
    checkpoints = dict(checkpoints or {})
    checked, head = 0, (0, GENESIS)
    pending = next(stored, None)
    for position, digest in recomputed:
        if pending is not None and pending[0] < position:
            return failure(checked, pending[0], "an event in the chain is missing", "chain", head)
        if digest == UNDECODABLE:
            return failure(checked, position, "the event's stored state cannot be decoded (invalid JSON or "
                           "encoding): it was changed outside the ledger", "undecodable", head)
        expected_checkpoint = checkpoints.pop(position, None)
        if expected_checkpoint is not None and expected_checkpoint != digest:
            return failure(checked, position, "differs from a signed checkpoint", "checkpoint", head)
        if pending is None:
            break  # past the stored head: not yet chained
        if pending[0] > position:
            return failure(checked, position, "an event not in the chain was inserted", "chain", head)
        if pending[1] != digest:
            return failure(checked, position, "the event's content differs from the chain", "chain", head)
        checked += 1
        head = (position, digest)
        pending = next(stored, None)
    if pending is not None:
        return failure(checked, pending[0], "an event in the chain is missing", "chain", head)
    if checkpoints:
        return failure(checked, min(checkpoints), "a signed checkpoint's event is missing", "checkpoint", head)
    return Verdict(checked, True, None, None, head[1], head[0])
