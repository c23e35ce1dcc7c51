"""The bench's "after a change" rows change a source's feed as its event does: the
gateway's generation of that source moves, the others' stay."""

from __future__ import annotations

from pathlib import Path

import redis

from gateway_service.feed.cache import generation_key
from gateway_service.feed.sources import SOURCES
from obcms_bench.measure import changing
from obcms_platform.devstack.embedded import EmbeddedRedis


def test_changing_a_source_moves_its_feed_generation_and_no_other(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "redis", persistent=False).start()
    try:
        with redis.Redis.from_url(server.url) as client:
            assert changing(client, None) is None
            change = changing(client, "tasks")
            assert change is not None
            change()
            change()
            generations = {source: client.get(generation_key(source)) for source in SOURCES}
            assert generations == {
                source: (b"2" if source == "tasks" else None) for source in SOURCES
            }
    finally:
        server.stop()
