"""Short-lived internal tokens: the gateway signs (Ed25519), services only verify."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import jwt
from cachetools import TTLCache

ALGORITHM = "EdDSA"
AUDIENCE = "obcms-services"
DEFAULT_TTL = timedelta(seconds=60)
CLOCK_LEEWAY_SECONDS = 5
# Verified tokens remembered per process; the gateway reuses a token for half its life.
VERIFIED_TOKENS_KEPT = 1_000


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
    """Checks internal tokens; a token seen before costs a lookup, not a signature check.

    A remembered token is still refused once its ``exp`` (plus the clock leeway) has passed.
    """

    def __init__(self, public_key_pem: str, issuer: str = "obcms-gateway") -> None:
        self._key = public_key_pem
        self._issuer = issuer
        self._verified: TTLCache[str, tuple[Principal, float]] = TTLCache(
            maxsize=VERIFIED_TOKENS_KEPT, ttl=DEFAULT_TTL.total_seconds()
        )

    def verify(self, token: str) -> Principal:
        if (known := self._verified.get(token)) is not None:
            principal, expires_at = known
            if time.time() <= expires_at + CLOCK_LEEWAY_SECONDS:
                return principal
            del self._verified[token]
        principal, expires_at = self._check(token)
        self._verified[token] = (principal, expires_at)
        return principal

    def _check(self, token: str) -> tuple[Principal, float]:
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
            principal = Principal(
                user_id=uuid.UUID(claims["sub"]),
                roles=frozenset(Role(r) for r in claims.get("roles", [])),
            )
            return principal, float(claims["exp"])
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise InvalidTokenError(str(exc)) from exc
