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
    drop_tables,
    enum_column,
    foreign_key,
    primary_key,
    timestamp_column,
    timestamp_columns,
    unique_constraint,
    uuid_array_column,
)

revision: str = "0001"
down_revision: str | None = None


def upgrade() -> None:
    create_bus_tables()
    # The bookings' exclusion constraint compares resource_id (a uuid) with "=" in GiST.
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "events",
        sa.Column("id", sa.Uuid(), nullable=False),
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
        sa.Column(
            "span",
            postgresql.TSTZRANGE(),
            sa.Computed("tstzrange(start, span_end)", persisted=True),
            nullable=False,
        ),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        *timestamp_columns(),
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
    op.create_index(
        "ix_events__participant_ids",
        "events",
        ["participant_ids"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index("ix_events__span", "events", ["span"], unique=False, postgresql_using="gist")
    create_indexes("events", ("start", "id"))
    op.create_table(
        "resources",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        enum_column("resource_type", "vehicle", "equipment", "room", "facilitator"),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("location", sa.String(length=300), nullable=False),
        sa.Column("is_available", sa.Boolean(), nullable=False),
        sa.Column("booking_requires_approval", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        *timestamp_columns(),
        sa.CheckConstraint("capacity >= 0", name=op.f("ck_resources__capacity")),
        primary_key("resources", "id"),
        unique_constraint("resources", "name"),
    )
    op.create_table(
        "staff_leaves",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        enum_column("leave_type", "vacation", "sick", "emergency", "official"),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        enum_column("status", "pending", "approved", "rejected"),
        sa.Column("approved_by", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        *timestamp_columns(),
        sa.CheckConstraint("start_date <= end_date", name=op.f("ck_staff_leaves__end_date")),
        primary_key("staff_leaves", "id"),
    )
    create_indexes("staff_leaves", ("start_date", "end_date"), ("user_id", "start_date"))
    op.create_table(
        "bookings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "during",
            postgresql.TSTZRANGE(),
            sa.Computed('tstzrange(start, "end")', persisted=True),
            nullable=False,
        ),
        enum_column("status", "pending", "approved", "rejected", "cancelled"),
        sa.Column("booked_by", sa.Uuid(), nullable=False),
        sa.Column("approved_by", sa.Uuid(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        *timestamp_columns(),
        postgresql.ExcludeConstraint(
            (sa.column("resource_id"), "="),
            (sa.column("during"), "&&"),
            where=sa.text("status IN ('pending', 'approved')"),
            using="gist",
            name="ex_bookings__resource_id_during",
        ),
        sa.CheckConstraint('"end" > start', name=op.f("ck_bookings__end")),
        foreign_key("bookings", "resource_id", "resources", ondelete="RESTRICT"),
        primary_key("bookings", "id"),
    )
    create_indexes("bookings", ("booked_by", "start"))
    op.create_index(
        "ix_bookings__holding_during",
        "bookings",
        ["during"],
        unique=False,
        postgresql_using="gist",
        postgresql_where=sa.text("status IN ('pending', 'approved')"),
    )
    create_indexes("bookings", ("resource_id", "start"))
    op.create_table(
        "event_occurrences",
        sa.Column("id", sa.Uuid(), nullable=False),
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
    op.create_index(
        "ix_event_occurrences__moved_start",
        "event_occurrences",
        ["start"],
        unique=False,
        postgresql_where=sa.text("NOT cancelled"),
    )


def downgrade() -> None:
    drop_bus_tables()
    drop_tables("event_occurrences", "bookings", "staff_leaves", "resources", "events")
