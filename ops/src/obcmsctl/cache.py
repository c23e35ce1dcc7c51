"""``obcmsctl cache clear``: the gateway's feed cache, and nothing else, in Redis.

The same Redis holds the event bus (queued messages, bindings, unacknowledged deliveries),
the maintenance switch and login throttling, so FLUSHALL/FLUSHDB would lose events. This
walks ``gateway:feed:part:*`` with SCAN and deletes those keys in batches, and bumps each
``gateway:feed:generation:*`` counter instead of deleting it: a counter reset to zero could
make a part written at that generation during the clear reachable again, while a bump makes
every part written before it unreachable (see ``gateway_service.feed.cache``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import redis
import typer
from redis.exceptions import RedisError

from gateway_service.feed.cache import PREFIX
from obcmsctl.output import fail

PART_PATTERN = f"{PREFIX}:part:*"
GENERATION_PATTERN = f"{PREFIX}:generation:*"
BATCH = 500


@dataclass(frozen=True)
class Cleared:
    parts_deleted: int
    generations_bumped: int


def clear_feed_cache(client: redis.Redis) -> Cleared:
    deleted = 0
    batch: list[bytes] = []
    for key in client.scan_iter(match=PART_PATTERN, count=BATCH):
        batch.append(key)
        if len(batch) >= BATCH:
            deleted += int(client.delete(*batch))
            batch = []
    if batch:
        deleted += int(client.delete(*batch))
    bumped = 0
    for key in client.scan_iter(match=GENERATION_PATTERN, count=BATCH):
        client.incr(key)
        bumped += 1
    return Cleared(deleted, bumped)


cache_app = typer.Typer(help="The gateway's Redis caches", no_args_is_help=True)


@cache_app.command("clear")
def clear(
    redis_url: Annotated[
        str, typer.Option(envvar="OBCMS_REDIS_URL", help="Redis URL (default OBCMS_REDIS_URL)")
    ],
) -> None:
    """Delete the gateway feed-cache entries (SCAN + DEL; never FLUSHALL: queued bus
    messages live in the same Redis)."""
    client = redis.Redis.from_url(redis_url)
    try:
        result = clear_feed_cache(client)
    except RedisError as exc:
        raise fail(f"Redis: {exc}", 1) from exc
    finally:
        client.close()
    typer.echo(
        f"feed cache cleared: {result.parts_deleted} cached part(s) deleted, "
        f"{result.generations_bumped} generation counter(s) bumped"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(cache_app, name="cache")
