"""The embedded Redis (`make run`, the bench): started, it is ready for commands, even while
it still reads a large append-only file back (it listens at once, then answers LOADING)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from obcms_platform.devstack.embedded import EmbeddedRedis

KEYS = 100_000
VALUE = b"x" * 100
# Redis 6.2 answers other clients once every 1,000 commands it reads back from the file, so
# the file is written as one command per key: a hundred chances to be answered LOADING. (Ten
# commands of 10,000 keys each gave one chance, and a ping could miss it.)


def test_redis_is_waited_for_until_it_has_read_its_file_back(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "redis").start()
    try:
        with redis.Redis(port=server.port, retry=Retry(NoBackoff(), 0)) as client:
            # No rewrite of the file into a snapshot in between: the file stays commands.
            client.config_set("auto-aof-rewrite-percentage", 0)
            with client.pipeline(transaction=False) as pipeline:
                for number in range(KEYS):
                    pipeline.set(f"key:{number}", VALUE)
                pipeline.execute()
            # Read the file back, as a restarted Redis does, while another client asks.
            loader = threading.Thread(
                target=lambda: redis.Redis(port=server.port).execute_command("DEBUG", "LOADAOF")
            )
            loader.start()
            deadline = time.monotonic() + 10
            refused = False
            while not refused and time.monotonic() < deadline:
                try:
                    client.ping()
                except redis.BusyLoadingError:
                    refused = True  # what the first command after a start could get
            assert refused, "the file was read back too fast to see it loading"
            server._wait_loaded(30)
            assert client.dbsize() == KEYS
            loader.join()
    finally:
        server.stop()
