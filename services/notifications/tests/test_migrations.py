"""Alembic history of the notifications service: up, down, up again on data, and no drift
between the models and the migrated schema."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from notifications_service.db import Base, load_models
from notifications_service.kinds import Kind
from notifications_service.notifications.models import Notification
from obcms_platform.testing.migrations import (
    BUS_TABLES,
    EmptyDatabase,
    assert_models_match,
    assert_round_trip,
    empty_databases,
    row_count,
)

PACKAGE = "notifications_service"
SERVICE_TABLES = {
    "recipients",
    "delivery_settings",
    "kind_preferences",
    "notifications",
    "outgoing_emails",
    "job_runs",
    "digest_days",
    "watched_tasks",
    "watched_events",
    "watched_ppas",
    "pending_requests",
    *BUS_TABLES,
}


@pytest.fixture
def database_at(notifications_databases) -> Iterator[EmptyDatabase]:
    yield from empty_databases(notifications_databases)


def test_upgrade_downgrade_upgrade_with_data(database_at) -> None:
    load_models()
    url, database = database_at("mig_round_trip")

    def with_data() -> None:
        with database.session() as session:
            session.add(
                Notification(
                    recipient_id=uuid.uuid4(),
                    kind=Kind.TASK_ASSIGNED,
                    title="Assigned",
                    dedup_key="task_assigned:1",
                )
            )
            session.commit()
        assert row_count(database, Notification) == 1

    assert_round_trip(PACKAGE, url, database.engine, SERVICE_TABLES, with_data)
    assert row_count(database, Notification) == 0


def test_models_match_migrated_schema(notifications_db_url: str) -> None:
    assert_models_match(notifications_db_url, Base.metadata, load_models)
