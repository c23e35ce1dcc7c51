"""Opaque credentials in Redis: browser sessions (cookie ``sessionid``) and API bearer tokens.

Both are 256-bit random strings handed to the client once. Redis keeps only their SHA-256
(``gateway:<kind>:<hash>`` -> user id, with a TTL), so a Redis dump holds no usable credential
and logging out or revoking is a DEL that every gateway replica sees at once.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid

import redis.asyncio as aioredis


class CredentialStore:
    def __init__(self, redis: aioredis.Redis, kind: str, ttl_seconds: int) -> None:
        self.redis = redis
        self.kind = kind
        self.ttl_seconds = ttl_seconds

    def _key(self, secret: str) -> str:
        digest = hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()
        return f"gateway:{self.kind}:{digest}"

    async def issue(self, user_id: uuid.UUID) -> str:
        secret = secrets.token_urlsafe(32)
        await self.redis.set(self._key(secret), str(user_id), ex=self.ttl_seconds)
        return secret

    async def resolve(self, secret: str) -> uuid.UUID | None:
        if not secret or len(secret) > 256:
            return None
        raw = await self.redis.get(self._key(secret))
        if raw is None:
            return None
        try:
            return uuid.UUID(raw.decode() if isinstance(raw, bytes) else str(raw))
        except ValueError:
            return None

    async def revoke(self, secret: str) -> None:
        if secret and len(secret) <= 256:
            await self.redis.delete(self._key(secret))
