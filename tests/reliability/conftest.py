"""Fixtures of the reliability suite (faults: killed workers, Redis, PostgreSQL, services).

The bus stack itself (`make_stack`, `BusStack`) comes from tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from obcms_platform.devstack.embedded import EmbeddedPostgres
from obcms_platform.testing.devstack import state_folder

# A killed worker's messages come back after the visibility timeout, and a message kombu
# lost in the kill (popped, not yet recorded as unacknowledged) is sent again by the
# relay's sweeper; both short, so recovery happens within the test.
FAULT_BUS_ENV = {
    "OBCMS_BUS_VISIBILITY_TIMEOUT": "5",
    "OBCMS_RELAY_SWEEP_INTERVAL": "2",
    "OBCMS_RELAY_SWEEP_AFTER_SECONDS": "10",
    "OBCMS_WORKER_CONCURRENCY": "4",
}


@pytest.fixture
def fault_bus(make_stack: Callable[..., object]) -> object:
    """A bus stack tuned for fault injection; processes are started by the test."""
    return make_stack(env=FAULT_BUS_ENV)


@pytest.fixture
def private_postgres() -> Iterator[EmbeddedPostgres]:
    """A PostgreSQL server of the test's own, which it may stop and start: the session's
    server is shared with the tests running beside it."""
    with state_folder() as folder:
        server = EmbeddedPostgres(folder / "postgres").start()
        try:
            yield server
        finally:
            server.stop()
