"""Opaque credentials in Redis: browser sessions (cookie ``sessionid``) and API bearer tokens.

Both are 256-bit random strings handed to the client once. Redis keeps only their SHA-256
(``gateway:<kind>:<hash>`` -> user id, with a TTL), so a Redis dump holds no usable credential
and logging out or revoking is a DEL that every gateway replica sees at once.

Each user's credentials are indexed too (``gateway:<kind>-index:<user id>``, a sorted set of
their hashes scored by their absolute expiry time), so that a deactivation, a role change or
a new password ends all of them at once (`revoke_user`).

Sessions also end after `idle_seconds` without a request: their key's TTL is the idle time,
renewed by a request at most once a minute (each request reads the TTL with the GET, in one
round trip; only a request finding it more than a minute old writes). A renewal checks the
absolute expiry in the index, so a session in use outlives its maximum age by a minute at
most (and its cookie expires in the browser at that age).
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

import redis.asyncio as aioredis

if TYPE_CHECKING:
    from gateway_service.settings import GatewaySettings

RENEW_AFTER_SECONDS = 60


def _text(raw: object) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def _user_id(raw: bytes | str | None) -> uuid.UUID | None:
    if raw is None:
        return None
    try:
        return uuid.UUID(_text(raw))
    except ValueError:
        return None


def secret_digest(secret: str) -> str:
    """The SHA-256 (hex) a secret is stored and looked up by (never the secret itself)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


class CredentialStore:
    def __init__(
        self,
        redis: aioredis.Redis,
        kind: str,
        ttl_seconds: int,
        *,
        idle_seconds: int | None = None,
    ) -> None:
        self.redis = redis
        self.kind = kind
        self.ttl_seconds = ttl_seconds
        # An idle time as long as the maximum age would never end anything sooner.
        self.idle_seconds = idle_seconds if idle_seconds and idle_seconds < ttl_seconds else None

    _digest = staticmethod(secret_digest)

    def _key_of(self, digest: str) -> str:
        return f"gateway:{self.kind}:{digest}"

    def key(self, secret: str) -> str:
        """The Redis key of `secret` (also names the credential in the identity cache)."""
        return self._key_of(self._digest(secret))

    def _index(self, user_id: uuid.UUID) -> str:
        return f"gateway:{self.kind}-index:{user_id}"

    async def issue(self, user_id: uuid.UUID) -> str:
        secret = secrets.token_urlsafe(32)
        digest = self._digest(secret)
        now = time.time()
        index = self._index(user_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key_of(digest), str(user_id), ex=self.idle_seconds or self.ttl_seconds)
            pipe.zremrangebyscore(index, "-inf", now)  # the user's expired credentials
            pipe.zadd(index, {digest: now + self.ttl_seconds})
            pipe.expire(index, self.ttl_seconds)  # no credential in it lives longer
            await pipe.execute()
        return secret

    async def resolve(self, secret: str) -> uuid.UUID | None:
        if not secret or len(secret) > 256:
            return None
        key = self.key(secret)
        if self.idle_seconds is None:
            return _user_id(await self.redis.get(key))
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(key)
            pipe.ttl(key)
            raw, ttl = await pipe.execute()
        user_id = _user_id(raw)
        if user_id is None:
            return None
        if self.idle_seconds - RENEW_AFTER_SECONDS <= ttl <= self.idle_seconds:
            return user_id  # renewed less than a minute ago
        return user_id if await self._renew(secret, user_id, ttl) else None

    async def _renew(self, secret: str, user_id: uuid.UUID, ttl: int) -> bool:
        """Give the session another idle period unless it is past its maximum age."""
        assert self.idle_seconds is not None
        digest = self._digest(secret)
        index = self._index(user_id)
        now = time.time()
        expires_at = await self.redis.zscore(index, digest)
        if expires_at is None and ttl > self.idle_seconds:
            # Issued before sessions had an idle time (its TTL is what remains of its
            # maximum age): index it, so that revoking the user's credentials ends it too.
            expires_at = now + ttl
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.zadd(index, {digest: expires_at})
                pipe.expire(index, self.ttl_seconds)
                await pipe.execute()
        if expires_at is None or expires_at <= now:
            await self.redis.delete(self._key_of(digest))
            return False
        await self.redis.expire(self._key_of(digest), self.idle_seconds)
        return True

    async def revoke(self, secret: str) -> None:
        if secret and len(secret) <= 256:
            await self.redis.delete(self.key(secret))

    async def revoke_user(self, user_id: uuid.UUID, *, keep: str | None = None) -> int:
        """End every credential of `user_id` but `keep`; returns how many there were."""
        index = self._index(user_id)
        kept = self._digest(keep) if keep else None
        digests = [
            digest
            for digest in (_text(raw) for raw in await self.redis.zrange(index, 0, -1))
            if digest != kept
        ]
        if not digests:
            return 0
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(*(self._key_of(digest) for digest in digests))
            pipe.zrem(index, *digests)
            deleted, _ = await pipe.execute()
        return int(deleted)


@dataclass(frozen=True)
class Credentials:
    """The two credential stores of the gateway."""

    sessions: CredentialStore
    tokens: CredentialStore

    @classmethod
    def for_settings(cls, redis: aioredis.Redis, settings: GatewaySettings) -> Credentials:
        return cls(
            sessions=CredentialStore(
                redis,
                "session",
                settings.session_max_age_seconds,
                idle_seconds=settings.session_idle_seconds,
            ),
            tokens=CredentialStore(redis, "token", settings.token_ttl_seconds),
        )

    async def revoke_user(self, user_id: uuid.UUID, *, keep: str | None = None) -> int:
        """End every session and token of `user_id` (but the credential `keep`)."""
        ended = await self.sessions.revoke_user(user_id, keep=keep)
        return ended + await self.tokens.revoke_user(user_id, keep=keep)
