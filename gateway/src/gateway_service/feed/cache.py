"""The feed cache in Redis: one entry per (source, generation, request shape).

Correctness first. Each source (calendar, tasks, portfolio) has a *generation* counter
``gateway:feed:generation:<source>``; a cached part lives under a key that contains the
generation it was read at, so bumping the counter makes every older part unreachable at once
(they expire by TTL). The counter is bumped

- by the gateway's bus worker for every event that can change what a source shows
  (``task.*``, ``event.*``, ``ppa.*`` … see `sources_for_event`), and
- by the gateway itself when it forwards a successful write (`WriteInvalidationMiddleware`),
  before the response leaves, so a user's own change shows on their very next load even
  before its event arrives.

A fetch reads the generation *before* asking the service and stores under that generation,
so a change that lands during the fetch bumps the counter and the possibly stale part is
never read. Failed or timed-out parts are never cached.

The key also holds the backend's base URL, the window, the source's requested modules and
the caller's roles. The feed payload is the same for every signed-in user today (the
services do not filter by user); the roles are in the key so that a service that starts
filtering by role cannot leak one role's view to another. The user id is not: per-user
entries would multiply the cache without a reason.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence

import redis
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from gateway_service.feed.sources import SOURCES
from obcms_platform import registry

logger = logging.getLogger(__name__)

PREFIX = "gateway:feed"

# Event type prefix -> the sources whose feed it can change (the registry's `publishes` and
# `feed_changed_by`: deleting an event also unlinks its tasks). Unknown types bump all.
EVENT_SOURCES: dict[str, tuple[str, ...]] = registry.feed_invalidation()


def sources_for_event(event_type: str) -> tuple[str, ...]:
    return EVENT_SOURCES.get(event_type.split(".", 1)[0], SOURCES)


def generation_key(source: str) -> str:
    return f"{PREFIX}:generation:{source}"


def part_key(
    source: str,
    generation: int,
    *,
    backend_url: str,
    start: str,
    end: str,
    modules: Sequence[str],
    roles: Iterable[str],
) -> str:
    shape = json.dumps(
        [backend_url, start, end, sorted(modules), sorted(roles)], separators=(",", ":")
    )
    digest = hashlib.sha256(shape.encode()).hexdigest()[:32]
    return f"{PREFIX}:part:{source}:{generation}:{digest}"


def bump_sync(client: redis.Redis, sources: Iterable[str]) -> None:
    """Invalidate the cached parts of `sources` (the bus worker; raises on Redis errors so
    the event is retried)."""
    with client.pipeline(transaction=False) as pipe:
        for source in sources:
            pipe.incr(generation_key(source))
        pipe.execute()


class FeedCache:
    """Async access for the gateway's request handlers; Redis trouble never fails a feed
    (it is served uncached), and a failed invalidation is logged loudly."""

    def __init__(self, client: aioredis.Redis, ttl_seconds: int) -> None:
        self.client = client
        self.ttl = ttl_seconds

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    async def generations(self, sources: Sequence[str]) -> dict[str, int] | None:
        if not self.enabled or not sources:
            return None
        try:
            values = await self.client.mget([generation_key(source) for source in sources])
        except RedisError as exc:
            logger.warning("feed cache unavailable: %s", exc)
            return None
        return {source: int(value or 0) for source, value in zip(sources, values, strict=True)}

    async def get_many(self, keys: Sequence[str]) -> list[bytes | str | None]:
        """The cached parts (a source's feed body, as it answered) under `keys`; None where
        there is none."""
        if not keys:
            return []
        try:
            values: list[bytes | str | None] = await self.client.mget(list(keys))
        except RedisError as exc:
            logger.warning("feed cache unavailable: %s", exc)
            return [None] * len(keys)
        return values

    async def put_many(self, parts: dict[str, bytes]) -> None:
        if not parts:
            return
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for key, body in parts.items():
                    pipe.set(key, body, ex=self.ttl)
                await pipe.execute()
        except RedisError as exc:
            logger.warning("feed cache unavailable: %s", exc)

    async def bump(self, sources: Iterable[str]) -> None:
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for source in sources:
                    pipe.incr(generation_key(source))
                await pipe.execute()
        except RedisError as exc:
            logger.error("feed cache invalidation failed: %s", exc)
