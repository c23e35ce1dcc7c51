"""Alembic history of the notifications service: up, down, up again on data, and no drift
between the models and the migrated schema."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from notifications_service.db import Base, load_models
from notifications_service.kinds import Kind
from notifications_service.notifications.models import Notification
from obcms_platform import migrations
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
    "deleted_subjects",
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


def test_going_down_past_a_new_kind_deletes_only_its_notifications(database_at) -> None:
    load_models()
    url, database = database_at("mig_new_kind")
    migrations.upgrade(PACKAGE, url)
    with database.session() as session:
        for kind in (Kind.EXPORT_FAILED, Kind.EXPORT_READY, Kind.TASK_ASSIGNED):
            session.add(
                Notification(
                    recipient_id=uuid.uuid4(), kind=kind, title=kind.value, dedup_key=kind.value
                )
            )
        session.commit()

    migrations.downgrade(PACKAGE, url, "0004")
    with database.session() as session:
        kept = session.scalars(text("SELECT kind FROM notifications ORDER BY kind")).all()
        assert kept == ["export_ready", "task_assigned"]
        refused = Notification(
            recipient_id=uuid.uuid4(), kind=Kind.EXPORT_FAILED, title="x", dedup_key="again"
        )
        session.add(refused)
        with pytest.raises(IntegrityError, match="ck_notifications__kind"):
            session.flush()
        session.rollback()

    migrations.upgrade(PACKAGE, url)
    assert row_count(database, Notification) == 2
