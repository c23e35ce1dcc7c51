"""initial schema: events and occurrence overrides, resources, bookings (with the
no-overlap exclusion constraint), staff leave, and the event bus tables

Downgrade drops every table but leaves the btree_gist extension installed: other objects
of the database may use it, and re-upgrading creates it only if it is missing.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from obcms_platform.bus.migration_ops import create_bus_tables, drop_bus_tables
from obcms_platform.migration_ops import (
    create_indexes,
    create_named_index,
    drop_tables,
    enum_column,
    foreign_key,
    id_column,
    primary_key,
    range_column,
    timestamp_column,
    unique_constraint,
    uuid_array_column,
    versioned_columns,
)

revision: str = "0001"
down_revision: str | None = None

# The bookings that hold their resource: the no-overlap constraint and its index cover these.
HOLDING_STATUSES = "status IN ('pending', 'approved')"


def upgrade() -> None:
    create_bus_tables()
    # The bookings' exclusion constraint compares resource_id (a uuid) with "=" in GiST.
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "events",
        id_column(),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        enum_column(
            "event_type",
            "meeting",
            "consultation",
            "courtesy_call",
            "workshop",
            "forum",
            "conference",
            "seminar",
            "field_visit",
            "assessment",
            "validation",
            "orientation",
            "briefing",
            "planning",
            "review",
            "other",
        ),
        enum_column(
            "status",
            "draft",
            "planned",
            "scheduled",
            "confirmed",
            "in_progress",
            "completed",
            "cancelled",
            "postponed",
            "rescheduled",
        ),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("all_day", sa.Boolean(), nullable=False),
        sa.Column("venue", sa.String(length=300), nullable=False),
        sa.Column("organizer_id", sa.Uuid(), nullable=True),
        uuid_array_column("participant_ids"),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("recurrence", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("span_end", sa.DateTime(timezone=True), nullable=True),
        range_column("span", "tstzrange(start, span_end)"),
        *versioned_columns(authored=True),
        sa.CheckConstraint('"end" > start', name=op.f("ck_events__end")),
        sa.CheckConstraint(
            'recurrence IS NOT NULL OR span_end = "end"', name=op.f("ck_events__single_event_span")
        ),
        sa.CheckConstraint(
            'span_end IS NULL OR span_end >= "end"', name=op.f("ck_events__span_end")
        ),
        primary_key("events", "id"),
    )
    create_indexes("events", "organizer_id")
    create_named_index("events", "participant_ids", ["participant_ids"], using="gin")
    create_named_index("events", "span", ["span"], using="gist")
    create_indexes("events", ("start", "id"))
    op.create_table(
        "resources",
        id_column(),
        sa.Column("name", sa.String(length=200), nullable=False),
        enum_column("resource_type", "vehicle", "equipment", "room", "facilitator"),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("location", sa.String(length=300), nullable=False),
        sa.Column("is_available", sa.Boolean(), nullable=False),
        sa.Column("booking_requires_approval", sa.Boolean(), nullable=False),
        *versioned_columns(authored=False),
        sa.CheckConstraint("capacity >= 0", name=op.f("ck_resources__capacity")),
        primary_key("resources", "id"),
        unique_constraint("resources", "name"),
    )
    op.create_table(
        "staff_leaves",
        id_column(),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        enum_column("leave_type", "vacation", "sick", "emergency", "official"),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        enum_column("status", "pending", "approved", "rejected"),
        sa.Column("approved_by", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        *versioned_columns(authored=True),
        sa.CheckConstraint("start_date <= end_date", name=op.f("ck_staff_leaves__end_date")),
        primary_key("staff_leaves", "id"),
    )
    create_indexes("staff_leaves", ("start_date", "end_date"), ("user_id", "start_date"))
    op.create_table(
        "bookings",
        id_column(),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        range_column("during", 'tstzrange(start, "end")'),
        enum_column("status", "pending", "approved", "rejected", "cancelled"),
        sa.Column("booked_by", sa.Uuid(), nullable=False),
        sa.Column("approved_by", sa.Uuid(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        *versioned_columns(authored=False),
        postgresql.ExcludeConstraint(
            (sa.column("resource_id"), "="),
            (sa.column("during"), "&&"),
            where=sa.text(HOLDING_STATUSES),
            using="gist",
            name="ex_bookings__resource_id_during",
        ),
        sa.CheckConstraint('"end" > start', name=op.f("ck_bookings__end")),
        foreign_key("bookings", "resource_id", "resources", ondelete="RESTRICT"),
        primary_key("bookings", "id"),
    )
    create_indexes("bookings", ("booked_by", "start"))
    create_named_index(
        "bookings", "holding_during", ["during"], using="gist", where=HOLDING_STATUSES
    )
    create_indexes("bookings", ("resource_id", "start"))
    op.create_table(
        "event_occurrences",
        id_column(),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("occurrence_date", sa.Date(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("venue", sa.String(length=300), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        timestamp_column("updated_at"),
        sa.CheckConstraint(
            'cancelled OR (start IS NOT NULL AND "end" IS NOT NULL AND "end" > start)',
            name=op.f("ck_event_occurrences__moved_times"),
        ),
        foreign_key("event_occurrences", "event_id", "events", ondelete="CASCADE"),
        primary_key("event_occurrences", "id"),
        unique_constraint("event_occurrences", "event_id", "occurrence_date"),
    )
    create_named_index("event_occurrences", "moved_start", ["start"], where="NOT cancelled")


def downgrade() -> None:
    drop_bus_tables()
    drop_tables("event_occurrences", "bookings", "staff_leaves", "resources", "events")
