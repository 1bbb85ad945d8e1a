"""Ed25519 signatures over chain heads: the key from configuration, or in development a file under var/.

A checkpoint signs ``ledger-audit-checkpoint:<position>:<hash>``. Someone who can rewrite the event
table and recompute the whole chain still cannot sign the new head without the private key, so a
signed checkpoint that no longer meets the recomputed chain shows the edit.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

DEFAULT_CHECKPOINT_EVERY = 1_000


def message(position: int, digest: str) -> bytes:
    """The bytes a checkpoint signs."""
    return f"ledger-audit-checkpoint:{int(position)}:{digest}".encode("ascii")


def signature_holds(position: int, digest: str, signature: str, public_key: str) -> bool:
    """Whether a base64 Ed25519 signature over a head holds for a base64 raw public key."""
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
        key.verify(base64.b64decode(signature, validate=True), message(position, digest))
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


class Ed25519Signer:
    """Signs chain heads with one private key and checks stored checkpoints against its public key."""

    def __init__(self, private_key: Ed25519PrivateKey,
                 checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY) -> None:
        assert 0 < checkpoint_every <= 1_000_000
        self._key = private_key
        self.checkpoint_every = checkpoint_every
        raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public_key = base64.b64encode(raw).decode("ascii")

    @classmethod
    def from_base64(cls, encoded: str, checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY) -> Ed25519Signer:
        """A signer from a base64 raw 32-byte private key."""
        try:
            raw = base64.b64decode(encoded.strip(), validate=True)
            key = Ed25519PrivateKey.from_private_bytes(raw)
        except (ValueError, binascii.Error):
            raise ValueError("LEDGER_AUDIT_SIGNING_KEY is not a base64 raw Ed25519 private key") from None
        return cls(key, checkpoint_every)

    @classmethod
    def development(cls, path: Path, checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY) -> Ed25519Signer:
        """The development key in a file, generated on first use and readable by its owner only."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            raw = Ed25519PrivateKey.generate().private_bytes_raw()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(base64.b64encode(raw).decode("ascii") + "\n")
        return cls.from_base64(path.read_text(), checkpoint_every)

    def sign(self, position: int, digest: str) -> tuple[str, str]:
        """(signature, public key) of a head, base64."""
        signature = self._key.sign(message(position, digest))
        return base64.b64encode(signature).decode("ascii"), self.public_key

    def check(self, position: int, digest: str, signature: str, public_key: str) -> bool:
        """Whether a stored checkpoint holds and was made with this signer's key."""
        return public_key == self.public_key and signature_holds(position, digest, signature, public_key)
