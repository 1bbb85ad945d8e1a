"""An auditor's export: events, journal and checkpoints as JSON Lines with a manifest, and its offline check.

``events.jsonl`` holds one canonical JSON object per line: ``{"event", "hash", "prev_hash"}`` where
``event`` is the content the chain covers. Every export first seals the log and signs a checkpoint at
its head. ``verify_export`` needs nothing but the files: it recomputes the chain line by line, checks
each line is in canonical form, that the checkpoints meet the chain and their Ed25519 signatures hold
(with trusted keys given: made with a key valid when it signed), that the chain passes through a known
head if one is given, and that every file's SHA-256 matches the manifest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from domain.records.audit import GENESIS, canonical, link, plain
from projections.audit.chain import AuditChain
from projections.audit.trust import KnownHead, TrustedKeys
from projections.journal.queries import START, lines
from projections.journal.runner import JournalRunner

FORMAT = 1
FILES = ("events.jsonl", "journal.jsonl", "checkpoints.jsonl")
MAX_LINE_BYTES = 1_048_576  # an event state is far smaller; a longer line is not ours
PAGE = 1_000
# What a line that is not ours raises when read: invalid UTF-8 or JSON, a missing key, a wrong type, or
# nesting too deep to parse or render.
UNREADABLE = (ValueError, KeyError, TypeError, AttributeError, RecursionError)


@dataclass(frozen=True)
class ExportVerdict:
    """What an offline check found: the first bad file and line (1-based), if any."""

    ok: bool
    events_checked: int
    file: str | None = None
    line: int | None = None
    reason: str | None = None
    first_bad_position: int | None = None
    failed: str | None = None  # one of domain.records.audit.CHECKS, or "file" (form, manifest, SHA-256)

    def as_dict(self) -> dict[str, Any]:
        """The verdict as plain data."""
        return asdict(self)


def export(chain: AuditChain, runner: JournalRunner, directory: Path) -> dict[str, Any]:
    """Write the export of everything chained so far into ``directory``; returns the manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    if chain.signer is not None:
        chain.checkpoint()  # seal, then sign the head: every export ends at a signed checkpoint
    else:
        chain.catch_up()
    runner.catch_up()
    head_position, head_hash = chain.store.head()
    counts = {"events": 0, "journal_lines": 0, "checkpoints": 0}
    with open(directory / "events.jsonl", "wb") as out:
        hashes = chain.store.iter_chain()
        prev = GENESIS
        for record in chain.iter_records():
            if record.position > head_position:
                break
            stored = next(hashes, None)
            # Export what is stored, even if it was tampered with: the offline check must see it too.
            while stored is not None and stored[0] < record.position:
                stored = next(hashes, None)
            digest = stored[1] if stored is not None and stored[0] == record.position else "missing"
            out.write(canonical({"event": record.content, "hash": digest, "prev_hash": prev}) + b"\n")
            prev = digest
            counts["events"] += 1
    with open(directory / "journal.jsonl", "wb") as out:
        for agreement_id in chain.app.agreement_ids():  # type: ignore[attr-defined]
            for line in _journal(runner, agreement_id):
                out.write(canonical(plain(asdict(line))) + b"\n")
                counts["journal_lines"] += 1
    with open(directory / "checkpoints.jsonl", "wb") as out:
        for position, digest, signature, public_key, signed_at in chain.store.iter_checkpoints():
            if position > head_position:
                break
            out.write(canonical({"position": position, "hash": digest, "signature": signature,
                                 "public_key": public_key, "signed_at": signed_at}) + b"\n")
            counts["checkpoints"] += 1
    manifest = {"format": FORMAT, "chain": "sha256(prev_hash + canonical JSON of event), genesis 64 zeros",
                **counts, "head_position": head_position, "head_hash": head_hash,
                "files": {name: _sha256(directory / name) for name in FILES}}
    (directory / "manifest.json").write_bytes(canonical(manifest) + b"\n")
    return manifest


def _journal(runner: JournalRunner, agreement_id: Any) -> Iterator[Any]:
    cursor = START
    while page := lines(runner.store, agreement_id, after=cursor, limit=PAGE):
        yield from page
        cursor = page[-1].cursor


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def verify_export(directory: Path, public_key: str | None = None, trusted: TrustedKeys | None = None,
                  known: KnownHead | None = None) -> ExportVerdict:
    """Check an export with no database: the chain line by line, checkpoints, the known head, then the
    manifest. ``public_key`` is a shorthand for ``trusted`` keys of one key valid at any time."""
    if public_key is not None and trusted is None:
        trusted = TrustedKeys.only(public_key)
    try:
        manifest = json.loads((directory / "manifest.json").read_bytes())
    except (OSError, ValueError) as exc:
        return ExportVerdict(False, 0, "manifest.json", None, f"unreadable: {exc}", failed="file")
    checked, prev, by_position, last = 0, GENESIS, {}, 0
    for number, raw in _lines(directory / "events.jsonl"):
        try:
            if raw is None:
                raise ValueError(f"longer than {MAX_LINE_BYTES} bytes")
            item = json.loads(raw)
            event, prev_hash, digest = item["event"], item["prev_hash"], item["hash"]
            ok_form = canonical(item) == raw
            position = int(event["position"])
        except UNREADABLE as exc:
            return ExportVerdict(False, checked, "events.jsonl", number, f"not an event line: {exc}",
                                 failed="file")
        reason = ("not in canonical form" if not ok_form
                  else "prev_hash does not follow the chain" if prev_hash != prev
                  else "hash does not match the event" if link(prev, canonical(event)) != digest else None)
        if reason:
            return ExportVerdict(False, checked, "events.jsonl", number, reason, position,
                                 "file" if not ok_form else "chain")
        prev = item["hash"]
        by_position[position], last = prev, position
        checked += 1
    for number, line in _lines(directory / "checkpoints.jsonl"):
        problem = _check_checkpoint(line, by_position, trusted)
        if problem:
            return ExportVerdict(False, checked, "checkpoints.jsonl", number, problem[2], problem[0], problem[1])
    problem = known.problem(by_position.get(known.position), last) if known is not None else None
    if problem:
        return ExportVerdict(False, checked, "events.jsonl", None, problem[2], problem[0], problem[1])
    if checked != manifest.get("events") or prev != (manifest.get("head_hash") if checked else GENESIS):
        return ExportVerdict(False, checked, "manifest.json", None, "event count or head hash differs",
                             failed="file")
    for name in FILES:
        if _sha256(directory / name) != manifest.get("files", {}).get(name):
            return ExportVerdict(False, checked, name, None, "SHA-256 differs from the manifest", failed="file")
    return ExportVerdict(True, checked)


def _lines(path: Path) -> Iterator[tuple[int, bytes | None]]:
    """Numbered lines without their newline; None for a line longer than MAX_LINE_BYTES."""
    with open(path, "rb") as source:
        for number, raw in enumerate(source, start=1):
            yield number, None if len(raw) > MAX_LINE_BYTES else raw.rstrip(b"\n")


def _check_checkpoint(raw: bytes | None, by_position: dict[int, str], trusted: TrustedKeys | None
                      ) -> tuple[int | None, str, str] | None:
    """(position, check, reason) if a checkpoint line fails, else None."""
    from projections.audit.signing import signature_holds

    try:
        if raw is None:
            raise ValueError(f"longer than {MAX_LINE_BYTES} bytes")
        item = json.loads(raw)
        position, digest, signature, key = item["position"], item["hash"], item["signature"], item["public_key"]
        signed_at = item.get("signed_at")
        if not isinstance(position, int) or not all(isinstance(v, str) for v in (digest, signature, key)):
            raise TypeError("position must be a number, hash, signature and public_key text")
    except UNREADABLE as exc:
        return None, "file", f"not a checkpoint line: {exc}"
    if by_position.get(position) != digest:
        return position, "checkpoint", f"the chain does not meet the checkpoint at position {position}"
    if trusted is not None:
        problem = trusted.problem(position, digest, signature, key, signed_at)
        return None if problem is None else (position, *problem)
    if not (signature_holds(position, digest, signature, key, signed_at)
            or signature_holds(position, digest, signature, key)):
        return position, "signature", "the signature does not verify"
    return None
