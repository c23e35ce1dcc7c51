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

On top of the parts, the *finished answer* (the bytes sent, gzip-compressed once when worth
it, with its ETag and headers) is kept under a key holding the generations of every source
it was built from, plus ``people`` (the gateway's users' names, which title leave entries:
bumped when a user's name may change) and the request's shape. A warm load then costs one
round trip for the generations and one for the answer, and a matching ``If-None-Match`` is
answered from the stored ETag without reading the body. A change to any source it was built
from makes it unreachable, like its parts; answers with a failed source are never stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import redis
import redis.asyncio as aioredis
from redis.exceptions import RedisError
from redis.typing import EncodableT, FieldT

from gateway_service.feed.sources import SOURCES
from obcms_platform import registry

logger = logging.getLogger(__name__)

PREFIX = "gateway:feed"
# The generation of the users' names the gateway titles leave entries with.
PEOPLE = "people"
# The fields of a stored answer (a Redis hash): its headers, and its body under its encoding.
_META = "meta"

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


def answer_key(generations: Mapping[str, int], shape: Sequence[str]) -> str:
    """The key of a finished answer built at `generations` for a request of `shape`."""
    built_from = json.dumps([sorted(generations.items()), list(shape)], separators=(",", ":"))
    digest = hashlib.sha256(built_from.encode()).hexdigest()[:32]
    return f"{PREFIX}:answer:{digest}"


@dataclass(frozen=True)
class StoredAnswer:
    """A finished answer as read back: its headers (JSON, as stored) and its body with the
    body's encoding (None when only the headers were read)."""

    meta: bytes
    body: bytes | None = None
    encoding: str | None = None


def _as_bytes(value: bytes | str | None) -> bytes | None:
    return value.encode() if isinstance(value, str) else value


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

    async def answer(
        self, key: str, encodings: Sequence[str], *, with_body: bool
    ) -> StoredAnswer | None:
        """The stored answer under `key` (with its body in the first of `encodings` it is
        stored in, when `with_body`); None when there is none."""
        if not self.enabled:
            return None
        try:
            fields = [_META, *encodings] if with_body else [_META]
            values: list[bytes | str | None] = await self.client.hmget(key, fields)
        except RedisError as exc:
            logger.warning("feed cache unavailable: %s", exc)
            return None
        meta = _as_bytes(values[0])
        if meta is None:
            return None
        for encoding, body in zip(fields[1:], values[1:], strict=True):
            if body is not None:
                return StoredAnswer(meta, _as_bytes(body), encoding)
        return StoredAnswer(meta)

    async def put_answer(self, key: str, meta: bytes, bodies: Mapping[str, bytes]) -> None:
        """Store an answer at once (a reader never sees its headers without its bodies)."""
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                fields: dict[FieldT, EncodableT] = {_META: meta}
                fields.update(bodies.items())
                pipe.hset(key, mapping=fields)
                pipe.expire(key, self.ttl)
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
