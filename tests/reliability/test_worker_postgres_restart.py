"""A bus worker's database restarted between two events. The worker takes connections from
its pool without testing them first (`Database(pre_ping=False)`: one round trip less per
event), so the first event after the restart meets a dead connection: it must fail with an
error the worker retries (never one it dead-letters), and its retry must apply it, once."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from sqlalchemy.exc import InterfaceError, OperationalError

from obcms_platform.bus import Event
from obcms_platform.bus.consumer import EventConsumer, Outcome
from obcms_platform.db import Database
from obcms_platform.devstack.embedded import EmbeddedPostgres
from obcms_platform.testing import PostgresServer, ServiceDatabases
from portfolio_service.db import bus
from portfolio_service.events import HANDLERS

pytestmark = pytest.mark.slow


def task_created(task_id: uuid.UUID) -> dict[str, object]:
    data = {"task_id": str(task_id), "title": "a task", "status": "not_started", "version": 1}
    event = Event(type="task.created", producer="tasks", subject_id=task_id, data=data)
    return event.model_dump(mode="json")


@pytest.mark.reliability
def test_a_worker_without_pre_ping_applies_the_first_event_after_a_restart_once(
    private_postgres: EmbeddedPostgres,
) -> None:
    url = ServiceDatabases(
        PostgresServer(admin_url=private_postgres.url()), "portfolio_service"
    ).fresh()
    database = Database(url, pool_size=1, max_overflow=0, pre_ping=False)
    consumer = EventConsumer("portfolio", database, bus, HANDLERS)
    try:
        assert consumer.handle(task_created(uuid.uuid4())) is Outcome.HANDLED

        private_postgres.stop()
        private_postgres.start()

        after = task_created(uuid.uuid4())
        with pytest.raises((OperationalError, InterfaceError)):  # what the worker retries
            consumer.handle(after)
        assert consumer.handle(after) is Outcome.HANDLED  # the retry
        assert consumer.handle(after) is Outcome.DUPLICATE
    finally:
        database.dispose()
    with psycopg.connect(private_postgres.dsn(url.rsplit("/", 1)[1])) as connection:
        recorded = connection.execute("SELECT count(*) FROM ppa_task_projection").fetchone()
    assert recorded == (2,)
