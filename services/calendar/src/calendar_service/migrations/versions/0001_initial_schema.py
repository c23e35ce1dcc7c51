"""initial schema: events and occurrence overrides, resources, bookings (with the
no-overlap exclusion constraint), staff leave, and the event bus tables

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Downgrade drops every table but leaves the btree_gist extension installed: other objects
of the database may use it, and re-upgrading creates it only if it is missing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from obcms_platform.bus.migration_ops import create_bus_tables, drop_bus_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_bus_tables()
    # The bookings' exclusion constraint compares resource_id (a uuid) with "=" in GiST.
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "event_type",
            sa.Enum(
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
                name="event_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "planned",
                "scheduled",
                "confirmed",
                "in_progress",
                "completed",
                "cancelled",
                "postponed",
                "rescheduled",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("all_day", sa.Boolean(), nullable=False),
        sa.Column("venue", sa.String(length=300), nullable=False),
        sa.Column("organizer_id", sa.Uuid(), nullable=True),
        sa.Column(
            "participant_ids",
            postgresql.ARRAY(sa.Uuid()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
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
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint('"end" > start', name=op.f("ck_events__end")),
        sa.CheckConstraint(
            'recurrence IS NOT NULL OR span_end = "end"', name=op.f("ck_events__single_event_span")
        ),
        sa.CheckConstraint(
            'span_end IS NULL OR span_end >= "end"', name=op.f("ck_events__span_end")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index("ix_events__organizer_id", "events", ["organizer_id"], unique=False)
    op.create_index(
        "ix_events__participant_ids",
        "events",
        ["participant_ids"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index("ix_events__span", "events", ["span"], unique=False, postgresql_using="gist")
    op.create_index("ix_events__start_id", "events", ["start", "id"], unique=False)
    op.create_table(
        "resources",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "resource_type",
            sa.Enum(
                "vehicle",
                "equipment",
                "room",
                "facilitator",
                name="resource_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("location", sa.String(length=300), nullable=False),
        sa.Column("is_available", sa.Boolean(), nullable=False),
        sa.Column("booking_requires_approval", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("capacity >= 0", name=op.f("ck_resources__capacity")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resources")),
        sa.UniqueConstraint("name", name=op.f("uq_resources__name")),
    )
    op.create_table(
        "staff_leaves",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "leave_type",
            sa.Enum(
                "vacation",
                "sick",
                "emergency",
                "official",
                name="leave_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("approved_by", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("start_date <= end_date", name=op.f("ck_staff_leaves__end_date")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_leaves")),
    )
    op.create_index(
        "ix_staff_leaves__start_date_end_date",
        "staff_leaves",
        ["start_date", "end_date"],
        unique=False,
    )
    op.create_index(
        "ix_staff_leaves__user_id_start_date",
        "staff_leaves",
        ["user_id", "start_date"],
        unique=False,
    )
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
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                "cancelled",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("booked_by", sa.Uuid(), nullable=False),
        sa.Column("approved_by", sa.Uuid(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        postgresql.ExcludeConstraint(
            (sa.column("resource_id"), "="),
            (sa.column("during"), "&&"),
            where=sa.text("status IN ('pending', 'approved')"),
            using="gist",
            name="ex_bookings__resource_id_during",
        ),
        sa.CheckConstraint('"end" > start', name=op.f("ck_bookings__end")),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_bookings__resource_id"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
    )
    op.create_index(
        "ix_bookings__booked_by_start", "bookings", ["booked_by", "start"], unique=False
    )
    op.create_index(
        "ix_bookings__holding_during",
        "bookings",
        ["during"],
        unique=False,
        postgresql_using="gist",
        postgresql_where=sa.text("status IN ('pending', 'approved')"),
    )
    op.create_index(
        "ix_bookings__resource_id_start", "bookings", ["resource_id", "start"], unique=False
    )
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
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            'cancelled OR (start IS NOT NULL AND "end" IS NOT NULL AND "end" > start)',
            name=op.f("ck_event_occurrences__moved_times"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_occurrences__event_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_occurrences")),
        sa.UniqueConstraint(
            "event_id",
            "occurrence_date",
            name=op.f("uq_event_occurrences__event_id_occurrence_date"),
        ),
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
    op.drop_index(
        "ix_event_occurrences__moved_start",
        table_name="event_occurrences",
        postgresql_where=sa.text("NOT cancelled"),
    )
    op.drop_table("event_occurrences")
    op.drop_index("ix_bookings__resource_id_start", table_name="bookings")
    op.drop_index(
        "ix_bookings__holding_during",
        table_name="bookings",
        postgresql_using="gist",
        postgresql_where=sa.text("status IN ('pending', 'approved')"),
    )
    op.drop_index("ix_bookings__booked_by_start", table_name="bookings")
    op.drop_table("bookings")
    op.drop_index("ix_staff_leaves__user_id_start_date", table_name="staff_leaves")
    op.drop_index("ix_staff_leaves__start_date_end_date", table_name="staff_leaves")
    op.drop_table("staff_leaves")
    op.drop_table("resources")
    op.drop_index("ix_events__start_id", table_name="events")
    op.drop_index("ix_events__span", table_name="events", postgresql_using="gist")
    op.drop_index("ix_events__participant_ids", table_name="events", postgresql_using="gin")
    op.drop_index("ix_events__organizer_id", table_name="events")
    op.drop_table("events")
