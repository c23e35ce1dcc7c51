"""Argon2id password hashing (argon2-cffi).

The cost parameters are settings (defaults: argon2-cffi's, RFC 9106 low-memory profile);
``check-deploy`` refuses weaker ones in production. Tests turn them down to stay fast.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
_dummy_hash = _hasher.hash("obcms-no-such-user")


def configure(*, time_cost: int, memory_cost_kib: int, parallelism: int) -> None:
    """Set the process-wide hashing cost (called by the app factory and the CLI)."""
    global _hasher, _dummy_hash
    hasher = PasswordHasher(
        time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=parallelism
    )
    if (hasher.time_cost, hasher.memory_cost, hasher.parallelism) != (
        _hasher.time_cost,
        _hasher.memory_cost,
        _hasher.parallelism,
    ):
        _hasher = hasher
        # Verified when the username is unknown, so a miss costs as much as a wrong password.
        _dummy_hash = hasher.hash("obcms-no-such-user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        matched = _hasher.verify(password_hash or _dummy_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    return matched and password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
