"""Ed25519 keys in PEM text, compared by the key they hold, not by how the text is written.

A key pasted without its last newline, with CRLF line ends or indented is still the same
key to the token library, so "is this the development key?" compares the loaded key bytes.
"""

from __future__ import annotations

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)

from obcms_platform.auth.dev_keys import DEV_INTERNAL_PUBLIC_KEY

# What load_pem_* raise for text that is no PEM key, a key of another kind, or an encrypted one.
_UNREADABLE = (ValueError, TypeError, UnsupportedAlgorithm)


def public_key_bytes(pem: str) -> bytes:
    """The raw bytes of the Ed25519 public key in `pem`; ValueError when it holds none."""
    try:
        key = load_pem_public_key(pem.encode())
    except _UNREADABLE as exc:
        raise ValueError("not a PEM Ed25519 public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not a PEM Ed25519 public key")
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def private_key_public_bytes(pem: str) -> bytes:
    """The raw bytes of the public half of the Ed25519 private key in `pem` (unencrypted);
    ValueError when it holds none."""
    try:
        key = load_pem_private_key(pem.encode(), password=None)
    except _UNREADABLE as exc:
        raise ValueError("not a PEM Ed25519 private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not a PEM Ed25519 private key")
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


DEV_PUBLIC_KEY_BYTES = public_key_bytes(DEV_INTERNAL_PUBLIC_KEY)


def is_dev_public_key(pem: str) -> bool:
    return public_key_bytes(pem) == DEV_PUBLIC_KEY_BYTES


def is_dev_private_key(pem: str) -> bool:
    return private_key_public_bytes(pem) == DEV_PUBLIC_KEY_BYTES
