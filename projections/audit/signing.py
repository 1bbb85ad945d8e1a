"""Ed25519 signatures over chain heads: the key from configuration, or in development a file under var/.

A checkpoint signs ``ledger-audit-checkpoint:<position>:<hash>:<signed_at>`` (UTC, to the second, as
``2026-11-29T15:04:05Z``), so a key list can say in which period each key may sign (see
projections.audit.trust); checkpoints made before the time was signed sign
``ledger-audit-checkpoint:<position>:<hash>``. Someone who can rewrite the event table and recompute
the whole chain still cannot sign the new head without the private key, so a signed checkpoint that no
longer meets the recomputed chain shows the edit.
"""

from __future__ import annotations

import base64
import binascii
import os
from datetime import datetime, timezone
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

DEFAULT_CHECKPOINT_EVERY = 100
DEFAULT_CHECKPOINT_MINUTES = 5.0
STAMP = "%Y-%m-%dT%H:%M:%SZ"


def stamp(moment: datetime) -> str:
    """A signing time as it is signed: UTC, to the second."""
    return moment.astimezone(timezone.utc).strftime(STAMP)


def message(position: int, digest: str, signed_at: str | None = None) -> bytes:
    """The bytes a checkpoint signs (without ``signed_at``: a checkpoint of the first format)."""
    head = f"ledger-audit-checkpoint:{int(position)}:{digest}"
    return (head if signed_at is None else f"{head}:{signed_at}").encode("ascii")


def signature_holds(position: int, digest: str, signature: str, public_key: str,
                    signed_at: str | None = None) -> bool:
    """Whether a base64 Ed25519 signature over a head holds for a base64 raw public key."""
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
        key.verify(base64.b64decode(signature, validate=True), message(position, digest, signed_at))
    except (InvalidSignature, ValueError, UnicodeEncodeError, binascii.Error):
        return False
    return True


class Ed25519Signer:
    """Signs chain heads with one private key, at least every ``checkpoint_every`` events or
    ``checkpoint_minutes`` minutes while events are being sealed."""

    def __init__(self, private_key: Ed25519PrivateKey, checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY,
                 checkpoint_minutes: float = DEFAULT_CHECKPOINT_MINUTES) -> None:
        assert 0 < checkpoint_every <= 1_000_000 and 0 < checkpoint_minutes <= 1_440
        self._key = private_key
        self.checkpoint_every = checkpoint_every
        self.checkpoint_minutes = checkpoint_minutes
        raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public_key = base64.b64encode(raw).decode("ascii")

    @classmethod
    def from_base64(cls, encoded: str, checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY,
                    checkpoint_minutes: float = DEFAULT_CHECKPOINT_MINUTES) -> Ed25519Signer:
        """A signer from a base64 raw 32-byte private key."""
        try:
            raw = base64.b64decode(encoded.strip(), validate=True)
            key = Ed25519PrivateKey.from_private_bytes(raw)
        except (ValueError, binascii.Error):
            raise ValueError("LEDGER_AUDIT_SIGNING_KEY is not a base64 raw Ed25519 private key") from None
        return cls(key, checkpoint_every, checkpoint_minutes)

    @classmethod
    def development(cls, path: Path, checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY,
                    checkpoint_minutes: float = DEFAULT_CHECKPOINT_MINUTES) -> Ed25519Signer:
        """The development key in a file, generated on first use and readable by its owner only."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            raw = Ed25519PrivateKey.generate().private_bytes_raw()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(base64.b64encode(raw).decode("ascii") + "\n")
        return cls.from_base64(path.read_text(), checkpoint_every, checkpoint_minutes)

    def sign(self, position: int, digest: str, signed_at: str) -> tuple[str, str]:
        """(signature, public key) of a head signed at ``signed_at`` (see :func:`stamp`), base64."""
        signature = self._key.sign(message(position, digest, signed_at))
        return base64.b64encode(signature).decode("ascii"), self.public_key
