"""Short-lived internal tokens: the gateway signs (Ed25519), services only verify."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import jwt

ALGORITHM = "EdDSA"
AUDIENCE = "obcms-services"
DEFAULT_TTL = timedelta(seconds=60)
CLOCK_LEEWAY_SECONDS = 5


class Role(StrEnum):
    STAFF = "staff"
    MANAGER = "manager"
    ADMIN = "admin"


# A higher role can do whatever a lower one can.
_RANK = {Role.STAFF: 0, Role.MANAGER: 1, Role.ADMIN: 2}


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a service request."""

    user_id: uuid.UUID
    roles: frozenset[Role] = field(default_factory=frozenset)

    def has_role(self, role: Role) -> bool:
        return any(_RANK[held] >= _RANK[role] for held in self.roles)


class InvalidTokenError(Exception):
    """The internal token is missing, expired, forged or malformed."""


def sign_internal_token(
    private_key_pem: str,
    user_id: uuid.UUID,
    roles: frozenset[Role] | set[Role] | list[Role],
    *,
    issuer: str = "obcms-gateway",
    ttl: timedelta = DEFAULT_TTL,
    now: datetime | None = None,
) -> str:
    issued = now or datetime.now(UTC)
    claims = {
        "iss": issuer,
        "aud": AUDIENCE,
        "sub": str(user_id),
        "roles": sorted(Role(r).value for r in roles),
        "iat": issued,
        "exp": issued + ttl,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, private_key_pem, algorithm=ALGORITHM)


class InternalTokenVerifier:
    def __init__(self, public_key_pem: str, issuer: str = "obcms-gateway") -> None:
        self._key = public_key_pem
        self._issuer = issuer

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=self._issuer,
                leeway=CLOCK_LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
            return Principal(
                user_id=uuid.UUID(claims["sub"]),
                roles=frozenset(Role(r) for r in claims.get("roles", [])),
            )
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise InvalidTokenError(str(exc)) from exc
