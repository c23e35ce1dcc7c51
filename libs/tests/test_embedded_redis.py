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
VALUE = b"x" * 1_000  # 100 MB in all: a file that takes a while to read back


def test_redis_is_waited_for_until_it_has_read_its_file_back(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "redis").start()
    try:
        with redis.Redis(port=server.port, retry=Retry(NoBackoff(), 0)) as client:
            for batch in range(KEYS // 10_000):
                client.mset({f"key:{batch}:{number}": VALUE for number in range(10_000)})
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
