"""Keeps and checks the audit hash chain over the raw event table, in notification order.

Catching up is a pull loop like the journal's: read the notifications after the chain's head straight
from the event table, decode each state with the application's mapper (decrypt, decompress,
transcode), hash it onto the chain, and store the batch's hashes in one transaction that checks the
head did not move. Verifying reads every raw event again from the first, recomputes the chain from
GENESIS and compares it with the stored hashes and the signed checkpoints.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, Mapper, Notification

from domain.records.audit import GENESIS, Verdict, canonical, compare, content, link
from projections.audit.store import AuditStore, ChainMoved

DEFAULT_BATCH = 500
MAX_BATCH = 5_000
MAX_PAGE = 500
MAX_RETRIES = 20

log = structlog.get_logger("audit")


class Signer(Protocol):
    """Signs chain heads (see projections.audit.signing)."""

    checkpoint_every: int

    def sign(self, position: int, digest: str) -> tuple[str, str]:
        """(signature, public key), both base64."""
        ...

    def check(self, position: int, digest: str, signature: str, public_key: str) -> bool:
        """Whether a stored checkpoint's signature is good and made with the configured key."""
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
    return mapper.transcoder.decode(state)


class AuditChain:
    """The hash chain of one application: catch up, verify, and read events with their hashes."""

    def __init__(self, app: Application[Any], *, signer: Signer | None = None,
                 batch_size: int = DEFAULT_BATCH) -> None:
        assert 0 < batch_size <= MAX_BATCH
        self.app = app
        self.store = AuditStore(app)
        self.signer = signer
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
        """Chain every event recorded after the head; returns how many were added."""
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
        self.store.append(rows, after)
        self._checkpoint_crossed(after, rows)
        return len(rows)

    def _checkpoint_crossed(self, after: int, rows: list[tuple[int, str]]) -> None:
        # A checkpoint every N events: sign the head of the batch that reaches the next multiple.
        if self.signer is None:
            return
        every = self.signer.checkpoint_every
        signed = self.store.checkpoints()
        last = signed[-1][0] if signed else 0
        chained = self._count_since(last)
        if chained >= every:
            self.checkpoint(rows[-1])

    def _count_since(self, position: int) -> int:
        rows = self.store.fetch(f"SELECT COUNT(*) FROM {self.store.chain_table} WHERE position > "
                                f"{self.store.p}", (position,))
        return int(rows[0][0])

    def checkpoint(self, head: tuple[int, str] | None = None) -> tuple[int, str] | None:
        """Sign and store the chain's head (after catching up); returns it, or None if nothing is chained."""
        assert self.signer is not None, "no signing key configured"
        if head is None:
            self.catch_up()
            head = self.store.head()
        if head[0] == 0 or any(c[0] == head[0] for c in self.store.checkpoints()):
            return None if head[0] == 0 else head
        signature, public_key = self.signer.sign(*head)
        self.store.add_checkpoint(head[0], head[1], signature, public_key)
        log.info("audit_checkpoint", position=head[0])
        return head

    # Verifying ---------------------------------------------------------------------------------

    def recomputed(self) -> Iterator[tuple[int, str]]:
        """(position, hash) recomputed from GENESIS over the raw events."""
        prev = GENESIS
        for record in self.iter_records():
            prev = link(prev, record.canonical)
            yield record.position, prev

    def verify(self) -> Verdict:
        """Recompute the chain from the raw events and compare it with the stored hashes and checkpoints."""
        signed: dict[int, str] = {}
        for position, digest, signature, public_key in self.store.checkpoints():
            if self.signer is not None and not self.signer.check(position, digest, signature, public_key):
                return Verdict(0, False, position, "a checkpoint's signature does not verify")
            signed[position] = digest
        verdict = compare(self.recomputed(), self.store.iter_chain(), signed)
        log.info("audit_verified", ok=verdict.ok, events_checked=verdict.events_checked,
                 first_bad_position=verdict.first_bad_position)
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
