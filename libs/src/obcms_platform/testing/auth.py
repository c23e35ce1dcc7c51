"""Internal-token headers for tests, signed with the development key."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from obcms_platform.auth import Role, sign_internal_token
from obcms_platform.auth.dev_keys import DEV_INTERNAL_PRIVATE_KEY
from obcms_platform.auth.tokens import MAX_TOKEN_LIFETIME, SERVICE_AUDIENCES

# As long as a service accepts: headers made at import time outlive the gateway's 60 s
# production tokens while the suite runs for many minutes.
TEST_TOKEN_TTL = MAX_TOKEN_LIFETIME


def auth_headers(
    user_id: uuid.UUID,
    roles: Iterable[Role | str] = (Role.STAFF,),
    *,
    audience: str | Sequence[str] = SERVICE_AUDIENCES,
    time_zone: str | None = None,
) -> dict[str, str]:
    """Headers of a development-signed token; by default every service accepts it."""
    token = sign_internal_token(
        DEV_INTERNAL_PRIVATE_KEY,
        user_id,
        [Role(r) for r in roles],
        audience=audience,
        ttl=TEST_TOKEN_TTL,
        time_zone=time_zone,
    )
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Caller:
    """A test user: its id and the headers that authenticate its requests."""

    user_id: uuid.UUID
    headers: dict[str, str]


def make_caller(*roles: Role) -> Caller:
    """A new user with `roles` (staff when none)."""
    user_id = uuid.uuid4()
    return Caller(user_id, auth_headers(user_id, roles or (Role.STAFF,)))


def new_key_pair() -> tuple[str, str]:
    """A new Ed25519 key pair (PEM: private, public), not the development one."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def other_private_key() -> str:
    """A new Ed25519 private key (PEM) that no service trusts: signs forged tokens."""
    return new_key_pair()[0]
