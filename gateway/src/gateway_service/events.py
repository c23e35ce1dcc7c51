"""What the gateway does with other services' events: invalidate the feed cache.

The gateway's queue is bound to every event family that can change the calendar feed
(``task.*``, ``event.*``, ``ppa.*`` ...: the families the registry's feed sources publish or
are changed by, ``obcms_platform.registry.feed_invalidation``). Each event bumps the
feed-cache generation of the sources it can affect (`feed.cache.EVENT_SOURCES`), so the next
feed load asks those services again. Handlers match by event family, so an event type
added later (``booking.cancelled``) invalidates too without a change here.

The consumer records the event id in the gateway's inbox in the same transaction; a bump
is idempotent in effect anyway (a redelivery only costs one extra cache miss). A Redis
error raises, so the event is retried and, after the last retry, dead-lettered.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import redis
from sqlalchemy.orm import Session

from gateway_service.feed.cache import EVENT_SOURCES, bump_sync
from obcms_platform.bus import Event
from obcms_platform.bus.consumer import Handler


class FeedInvalidationHandlers(Mapping[str, Handler]):
    """``handlers[event_type]``: the invalidating handler of the event's family."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def _handler(self, sources: tuple[str, ...]) -> Handler:
        def invalidate(session: Session, event: Event) -> None:
            bump_sync(self.client, sources)

        return invalidate

    def __getitem__(self, event_type: str) -> Handler:
        family, dot, _ = event_type.partition(".")
        if not dot or family not in EVENT_SOURCES:
            raise KeyError(event_type)
        return self._handler(EVENT_SOURCES[family])

    def __iter__(self) -> Iterator[str]:
        return (f"{family}.*" for family in EVENT_SOURCES)

    def __len__(self) -> int:
        return len(EVENT_SOURCES)


def handlers(redis_url: str) -> FeedInvalidationHandlers:
    return FeedInvalidationHandlers(
        redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
    )
