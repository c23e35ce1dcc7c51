"""Between stacks the bench empties Redis, but keeps what a production restart keeps: the
relays' sweep marks."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import redis

from obcms_bench.stack import Servers
from obcms_platform.bus.sweeper import MARK_KEY
from obcms_platform.devstack.embedded import EmbeddedRedis


def test_a_flush_empties_redis_but_keeps_the_sweep_marks_and_their_expiry(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "redis", persistent=False).start()
    try:
        with redis.Redis.from_url(server.url) as client:
            client.set("obcms:feed:cached", "page")
            client.lpush("tasks.events", "message")
            mark = MARK_KEY.format(source="tasks")
            client.set(mark, "position", ex=3600)

            Servers.flush_redis(SimpleNamespace(redis=server))  # type: ignore[arg-type]

            assert sorted(client.keys()) == [mark.encode()]
            assert client.get(mark) == b"position"
            assert 3500 < client.ttl(mark) <= 3600
    finally:
        server.stop()
