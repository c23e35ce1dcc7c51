"""Short-lived internal tokens: the gateway signs (Ed25519), services only verify.

Each token names the one service it is for (``aud``): a token seen on its way to the tasks
service opens nothing at the portfolio service. Its lifetime (``exp - iat``) is bounded,
so a token that leaks (a log line, a proxy) is worthless within the hour, however it was
signed.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import jwt
from cachetools import TTLCache

from obcms_platform.registry import SERVICES
from obcms_platform.zones import zone_named

ALGORITHM = "EdDSA"
# The services behind the gateway; each accepts only tokens whose audience names it.
SERVICE_AUDIENCES: tuple[str, ...] = tuple(service.name for service in SERVICES)
DEFAULT_TTL = timedelta(seconds=60)
# The longest lifetime (exp - iat) a service accepts, and so the longest the gateway signs.
MAX_TOKEN_LIFETIME = timedelta(seconds=3600)
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
    # The person's IANA time zone (None: the office's): what "today" is for them, and the
    # zone a refusal names a time in.
    time_zone: str | None = None

    def has_role(self, role: Role) -> bool:
        return any(_RANK[held] >= _RANK[role] for held in self.roles)

    @property
    def zone(self) -> ZoneInfo:
        return zone_named(self.time_zone)

    def today(self) -> date:
        return datetime.now(self.zone).date()


class InvalidTokenError(Exception):
    """The internal token is missing, expired, forged, malformed or not for this service."""


def sign_internal_token(
    private_key_pem: str,
    user_id: uuid.UUID,
    roles: frozenset[Role] | set[Role] | list[Role],
    *,
    audience: str | Sequence[str],
    issuer: str = "obcms-gateway",
    ttl: timedelta = DEFAULT_TTL,
    now: datetime | None = None,
    time_zone: str | None = None,
) -> str:
    """A token for the service(s) named by `audience` (the gateway names exactly one), of a
    person in `time_zone` (an IANA name; None: the office's)."""
    issued = now or datetime.now(UTC)
    claims: dict[str, object] = {
        "iss": issuer,
        "aud": audience if isinstance(audience, str) else list(audience),
        "sub": str(user_id),
        "roles": sorted(Role(r).value for r in roles),
        "iat": issued,
        "exp": issued + ttl,
        "jti": uuid.uuid4().hex,
    }
    if time_zone:
        claims["tz"] = time_zone
    return jwt.encode(claims, private_key_pem, algorithm=ALGORITHM)


class InternalTokenVerifier:
    """Checks the internal tokens of the service `audience`; a token seen before costs a
    lookup, not a signature check.

    A remembered token is still refused once its ``exp`` (plus the clock leeway) has passed.
    """

    def __init__(
        self, public_key_pem: str, *, audience: str, issuer: str = "obcms-gateway"
    ) -> None:
        self._key = public_key_pem
        self._audience = audience
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
            # PyJWT also refuses an `iat` later than now plus the leeway.
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                leeway=CLOCK_LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
            lifetime = float(claims["exp"]) - float(claims["iat"])
            longest = MAX_TOKEN_LIFETIME.total_seconds()
            if lifetime > longest + CLOCK_LEEWAY_SECONDS:
                raise InvalidTokenError(f"lifetime {lifetime:.0f} s is over {longest:.0f} s")
            principal = Principal(
                user_id=uuid.UUID(claims["sub"]),
                roles=frozenset(Role(r) for r in claims.get("roles", [])),
                time_zone=claims.get("tz"),
            )
            return principal, float(claims["exp"])
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise InvalidTokenError(str(exc)) from exc
