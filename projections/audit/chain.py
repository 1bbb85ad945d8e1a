"""Keeps and checks the audit hash chain over the raw event table, in notification order.

Sealing (``catch_up``) is the service's job: a pull loop like the journal's reads the notifications
after the chain's head straight from the event table, decodes each state with the application's mapper
(decrypt, decompress, transcode), hashes it onto the chain, and stores the batch's hashes in one
transaction that checks the head did not move; it signs a checkpoint every ``checkpoint_every`` events
and, when the last one is older than ``checkpoint_minutes``, at the head. Verifying only reads: it
recomputes the chain from GENESIS over every raw event and compares it with the stored hashes, the
signed checkpoints (with the trusted keys) and, if given, a head known from outside the database.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol

import structlog
from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, Mapper, Notification

from domain.records.audit import GENESIS, UNDECODABLE, Verdict, canonical, compare, content, failure, link
from projections.audit.signing import stamp
from projections.audit.store import AuditStore, ChainMoved
from projections.audit.trust import KnownHead, TrustedKeys, Watch

DEFAULT_BATCH = 500
MAX_BATCH = 5_000
MAX_PAGE = 500
MAX_RETRIES = 20

log = structlog.get_logger("audit")


class Signer(Protocol):
    """Signs chain heads (see projections.audit.signing)."""

    checkpoint_every: int
    checkpoint_minutes: float
    public_key: str

    def sign(self, position: int, digest: str, signed_at: str) -> tuple[str, str]:
        """(signature, public key), both base64."""
        ...


@dataclass(frozen=True)
class Record:
    """One raw event as the chain covers it."""

    position: int
    content: dict[str, Any]
    canonical: bytes


def decode_state(mapper: Mapper[Any], state: bytes) -> dict[str, Any]:
    """A stored state as the domain sees it, whatever the cipher or compressor in use."""
    if mapper.cipher:
        state = mapper.cipher.decrypt(state)
    if mapper.compressor:
        state = mapper.compressor.decompress(state)
    decoded = mapper.transcoder.decode(state)
    if not isinstance(decoded, dict):  # an event's state is always an object
        raise TypeError(f"an event's state is a JSON object, not {type(decoded).__name__}")
    return decoded


# What a stored state that cannot be read raises: invalid JSON or UTF-8, a cipher or compressor refusing it,
# a transcoded value of an unknown type or form, or nesting too deep to render.
DECODE_ERRORS = (ValueError, TypeError, KeyError, LookupError, AttributeError, zlib.error, RecursionError)


class AuditChain:
    """The hash chain of one application: seal (catch up), verify, and read events with their hashes.

    ``trusted`` are the keys verify accepts checkpoints from (by default the signer's own, at any time).
    """

    def __init__(self, app: Application[Any], *, signer: Signer | None = None,
                 trusted: TrustedKeys | None = None, batch_size: int = DEFAULT_BATCH) -> None:
        assert 0 < batch_size <= MAX_BATCH
        self.app = app
        self.store = AuditStore(app)
        self.signer = signer
        self.trusted = trusted or (TrustedKeys.only(signer.public_key) if signer is not None else None)
        self.batch_size = batch_size

    def record(self, notification: Notification) -> Record:
        """The chain's view of one stored event."""
        state = decode_state(self.app.mapper, notification.state)
        body = content(notification.id, notification.topic, notification.originator_id,
                       notification.originator_version, state)
        return Record(notification.id, body, canonical(body))

    def records(self, after: int, limit: int) -> list[Record]:
        """Raw events after a position, ascending, at most ``limit``."""
        assert 0 < limit <= MAX_BATCH
        notes = self.app.recorder.select_notifications(start=after, limit=limit, inclusive_of_start=False)
        return [self.record(n) for n in notes]

    def iter_records(self) -> Iterator[Record]:
        """Every raw event from the first, read a batch at a time."""
        after = 0
        while batch := self.records(after, self.batch_size):
            yield from batch
            after = batch[-1].position

    # Catching up -------------------------------------------------------------------------------

    def catch_up(self) -> int:
        """Seal every event recorded after the head, signing checkpoints as due; returns how many."""
        added, retries = 0, 0
        while True:
            try:
                count = self._pull()
            except (ChainMoved, IntegrityError):
                retries += 1  # another process extended the chain first; go on from its head
                if retries > MAX_RETRIES:
                    raise
                continue
            added += count
            if count < self.batch_size:
                break
        if self.signer is not None:
            last = self.store.last_checkpoint()
            head = self.store.head()
            if head[0] and (last is None or (head[0] > last[0]
                                             and last[1] >= self.signer.checkpoint_minutes * 60)):
                self.checkpoint(head)
        return added

    def _pull(self) -> int:
        after, prev = self.store.head()
        batch = self.records(after, self.batch_size)
        if not batch:
            return 0
        rows = []
        for record in batch:
            prev = link(prev, record.canonical)
            rows.append((record.position, prev))
        due = self._due(rows)
        self.store.append(rows, after)
        for row in due:
            self.checkpoint(row)
        return len(rows)

    def _due(self, rows: list[tuple[int, str]]) -> list[tuple[int, str]]:
        """The rows of a batch to sign: each that completes ``checkpoint_every`` events since the last."""
        if self.signer is None:
            return []
        every = self.signer.checkpoint_every
        last = self.store.last_checkpoint()
        since = self._count_since(last[0] if last else 0, every)
        due = []
        for row in rows:
            since += 1
            if since >= every:
                due.append(row)
                since = 0
        return due

    def _count_since(self, position: int, at_most: int) -> int:
        """Chained positions after ``position``, counted up to ``at_most`` (all that ``_due`` needs): an
        ordered, limited read of the primary key, whatever the planner's statistics say, where a plain
        COUNT over ``position >`` was planned as a scan of the whole chain on a table never analysed."""
        rows = self.store.fetch(f"SELECT COUNT(*) FROM (SELECT position FROM {self.store.chain_table} WHERE position > "
                                f"{self.store.p} ORDER BY position LIMIT {self.store.p}) AS since", (position, at_most))
        return int(rows[0][0])

    def checkpoint(self, head: tuple[int, str] | None = None) -> tuple[int, str] | None:
        """Sign and store a head of the chain (by default: seal, then the head); returns it, or None if
        nothing is chained. A head at or before the last checkpoint is not signed again."""
        assert self.signer is not None, "no signing key configured"
        if head is None:
            self.catch_up()
            head = self.store.head()
        if head[0] == 0:
            return None
        signed_at = datetime.now(timezone.utc).replace(microsecond=0)
        signature, public_key = self.signer.sign(head[0], head[1], stamp(signed_at))
        if self.store.add_checkpoint(head[0], head[1], signature, public_key, signed_at):
            log.info("audit_checkpoint", position=head[0])
        return head

    # Verifying (reads only) ---------------------------------------------------------------------

    def recomputed(self) -> Iterator[tuple[int, str]]:
        """(position, hash) recomputed from GENESIS over the raw events; an event whose state cannot be
        decoded (tampered with, after which nothing can be recomputed) ends it as (position, UNDECODABLE)."""
        prev, after = GENESIS, 0
        while notes := self.app.recorder.select_notifications(start=after, limit=self.batch_size,
                                                              inclusive_of_start=False):
            for note in notes:
                try:
                    record = self.record(note)
                except DECODE_ERRORS:
                    yield note.id, UNDECODABLE
                    return
                prev = link(prev, record.canonical)
                yield record.position, prev
            after = notes[-1].id

    def verify(self, trusted: TrustedKeys | None = None, known: KnownHead | None = None) -> Verdict:
        """Recompute the chain from the raw events and compare it with the stored hashes, the checkpoints
        (signed with ``trusted`` keys, by default the chain's own) and ``known``, a head known from
        outside the database. Writes nothing."""
        trusted = trusted or self.trusted
        signed: dict[int, str] = {}
        for position, digest, signature, public_key, signed_at in self.store.iter_checkpoints():
            problem = trusted.problem(position, digest, signature, public_key, signed_at) if trusted else None
            if problem is not None:
                return failure(0, position, problem[1], problem[0], (0, GENESIS))
            signed[position] = digest
        watch = Watch(self.recomputed(), known.position if known else None)
        verdict = compare(watch, self.store.iter_chain(), signed)
        if verdict.ok and known is not None:
            watch.drain()
            problem = known.problem(watch.found, watch.last)
            if problem is not None:
                verdict = failure(verdict.events_checked, problem[0], problem[2], problem[1],
                                  (verdict.head_position, verdict.head_hash))
        log.info("audit_verified", ok=verdict.ok, events_checked=verdict.events_checked,
                 first_bad_position=verdict.first_bad_position, failed=verdict.failed)
        return verdict

    # Reading -----------------------------------------------------------------------------------

    def events(self, after: int, limit: int) -> list[dict[str, Any]]:
        """Chained events after a position with their hashes, as the audit API lists them."""
        assert 0 < limit <= MAX_PAGE, f"limit must be 1 to {MAX_PAGE}"
        hashes = dict(self.store.chain(after, limit))
        batch = [r for r in self.records(after, limit) if r.position in hashes]
        prev = self.store.hash_before(batch[0].position) if batch else GENESIS
        items = []
        for record in batch:
            items.append(event_item(record.content, hashes[record.position], prev))
            prev = hashes[record.position]
        return items


def event_item(body: dict[str, Any], digest: str, prev_hash: str) -> dict[str, Any]:
    """An event's content in the audit API's shape."""
    state = dict(body["state"])
    recorded_at = state.pop("timestamp", None)
    return {"position": body["position"], "recorded_at": recorded_at,
            "type": body["topic"].rpartition(":")[2], "topic": body["topic"],
            "aggregate_id": body["originator_id"], "version": body["originator_version"],
            "payload": state, "hash": digest, "prev_hash": prev_hash}


class ChainFollower:
    """Extends the chain in a background thread every ``interval_s``, so new events are sealed promptly."""

    def __init__(self, chain: AuditChain, interval_s: float) -> None:
        assert 0 < interval_s <= 3_600
        self.chain = chain
        self.interval_s = interval_s
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audit-chain", daemon=True)

    def start(self) -> None:
        """Start following."""
        self._thread.start()

    def stop(self) -> None:
        """Stop after the batch in hand."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(10.0)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.chain.catch_up()
            except Exception as exc:  # the database may be briefly away; the next round resumes
                log.error("audit_chain_failed", error=repr(exc))
            self._stopping.wait(self.interval_s)
