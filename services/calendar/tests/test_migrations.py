"""Alembic history of the calendar service: up, down, up again on data, and model drift."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import NullPool

from calendar_service.bookings.models import Booking, BookingStatus
from calendar_service.calendar_events.models import Event, EventOccurrence, EventType
from calendar_service.db import Base, load_models
from calendar_service.leaves.models import LeaveType, StaffLeave
from calendar_service.resources.models import Resource, ResourceType
from obcms_platform import migrations
from obcms_platform.db import Database, normalise_url
from obcms_platform.testing.migrations import (
    BUS_TABLES,
    EmptyDatabase,
    assert_models_match,
    assert_round_trip,
    empty_databases,
    row_count,
)

PACKAGE = "calendar_service"
SERVICE_TABLES = {
    "events",
    "event_occurrences",
    "resources",
    "bookings",
    "staff_leaves",
    *BUS_TABLES,
}


@pytest.fixture
def database_at(calendar_databases) -> Iterator[EmptyDatabase]:
    yield from empty_databases(calendar_databases)


def populate(database: Database) -> uuid.UUID:
    with database.session() as session:
        start = datetime(2026, 12, 7, 1, tzinfo=UTC)
        end = datetime(2026, 12, 7, 2, tzinfo=UTC)
        event = Event(
            title="Weekly",
            event_type=EventType.MEETING,
            start=start,
            end=end,
            recurrence={"freq": "weekly", "interval": 1},
            span_end=None,
        )
        event.overrides = [EventOccurrence(occurrence_date=date(2026, 12, 14), cancelled=True)]
        resource = Resource(name="Van", resource_type=ResourceType.VEHICLE)
        session.add_all([event, resource])
        session.flush()
        session.add(
            Booking(
                resource_id=resource.id,
                start=start,
                end=end,
                status=BookingStatus.APPROVED,
                booked_by=uuid.uuid4(),
            )
        )
        session.add(
            StaffLeave(
                user_id=uuid.uuid4(),
                leave_type=LeaveType.SICK,
                start_date=date(2026, 12, 1),
                end_date=date(2026, 12, 2),
            )
        )
        session.commit()
        return resource.id


def test_upgrade_downgrade_upgrade_with_data(database_at):
    url, database = database_at("mig_round_trip")
    resource_ids = []

    def with_data() -> None:
        resource_ids.append(populate(database))
        assert row_count(database, Event) == 1
        assert row_count(database, EventOccurrence) == 1

    assert_round_trip(PACKAGE, url, database.engine, SERVICE_TABLES, with_data)
    assert row_count(database, Event) == 0
    # The re-created schema works, constraint included.
    new_resource_id = populate(database)
    assert new_resource_id not in resource_ids
    with database.session() as session:
        session.add(
            Booking(
                resource_id=new_resource_id,
                start=datetime(2026, 12, 7, 1, 30, tzinfo=UTC),
                end=datetime(2026, 12, 7, 3, tzinfo=UTC),
                status=BookingStatus.PENDING,
                booked_by=uuid.uuid4(),
            )
        )
        with pytest.raises(IntegrityError):
            session.flush()


def test_models_match_migrated_schema(calendar_db_url):
    assert_models_match(calendar_db_url, Base.metadata, load_models)


def test_the_overlap_constraint_exists_after_migration(calendar_db_url):
    engine = create_engine(normalise_url(calendar_db_url), poolclass=NullPool)
    with engine.connect() as connection:
        definition = connection.scalar(
            text(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conname = 'ex_bookings__resource_id_during'"
            )
        )
    engine.dispose()
    assert definition is not None
    assert "EXCLUDE USING gist" in definition
    assert "during WITH &&" in definition
    assert "pending" in definition
    assert "approved" in definition


def test_bookings_event_id_is_expand_only(database_at):
    """0002 adds a nullable column: the previous release's inserts (without it) work before
    and after it, and its downgrade keeps every booking."""
    url, database = database_at("mig_booking_event")
    migrations.upgrade(PACKAGE, url, "0001")
    insert_as_before = text(
        'INSERT INTO bookings (id, resource_id, start, "end", status, booked_by, notes, version,'
        " created_at, updated_at) SELECT gen_random_uuid(), id, :start, :start + interval '1h',"
        " 'approved', gen_random_uuid(), '', 1, now(), now() FROM resources"
    )
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO resources (id, name, resource_type, location, is_available,"
                " booking_requires_approval, version, created_at, updated_at) VALUES"
                " (gen_random_uuid(), 'Van', 'vehicle', '', true, false, 1, now(), now())"
            )
        )
        connection.execute(insert_as_before, {"start": datetime(2027, 1, 4, 1, tzinfo=UTC)})
    migrations.upgrade(PACKAGE, url)
    with database.engine.begin() as connection:
        connection.execute(insert_as_before, {"start": datetime(2027, 1, 5, 1, tzinfo=UTC)})
        linked = connection.scalars(text("SELECT event_id FROM bookings")).all()
    assert linked == [None, None]
    migrations.downgrade(PACKAGE, url, "0001")
    database.engine.dispose()
    with database.engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM bookings")) == 2
    assert "event_id" not in {c["name"] for c in inspect(database.engine).get_columns("bookings")}


def test_single_events_recurrence_becomes_sql_null(database_at):
    """0006: the JSON null a single event was stored with before becomes SQL NULL, so the
    single-event check holds it to its own span; a series keeps its rule."""
    url, database = database_at("mig_recurrence_null")
    migrations.upgrade(PACKAGE, url, "0005")
    start = datetime(2026, 12, 7, 1, tzinfo=UTC)
    end = datetime(2026, 12, 7, 2, tzinfo=UTC)
    with database.engine.begin() as connection:
        # As that release wrote them (the models today have columns it had not), a single
        # event's recurrence as JSON null.
        connection.execute(
            text(
                'INSERT INTO events (id, title, description, event_type, status, start, "end",'
                " all_day, venue, participant_ids, timezone, recurrence, span_end, version,"
                " created_at, updated_at) VALUES"
                " (gen_random_uuid(), 'Single', '', 'meeting', 'planned', :start, :end, false,"
                "  '', '{}', 'Asia/Manila', 'null'::jsonb, :end, 1, now(), now()),"
                " (gen_random_uuid(), 'Weekly', '', 'meeting', 'planned', :start, :end, false,"
                "  '', '{}', 'Asia/Manila', '{\"freq\": \"weekly\", \"interval\": 1}', NULL,"
                "  1, now(), now())"
            ),
            {"start": start, "end": end},
        )
    migrations.upgrade(PACKAGE, url)
    with database.engine.begin() as connection:
        stored = dict(
            connection.execute(
                text("SELECT title, jsonb_typeof(recurrence) FROM events ORDER BY title")
            ).all()
        )
    assert stored == {"Single": None, "Weekly": "object"}
    with (
        pytest.raises(IntegrityError, match="single_event_span"),
        database.engine.begin() as connection,
    ):
        connection.execute(
            text("UPDATE events SET span_end = span_end + interval '1 day' WHERE title = 'Single'")
        )
