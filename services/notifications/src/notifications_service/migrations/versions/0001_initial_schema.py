"""initial schema: recipients, preferences, notifications, outgoing email, the scheduled
jobs' runs and digests, the projections of tasks, events, PPAs and waiting requests, and
the event bus tables"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from obcms_platform.bus.migration_ops import create_bus_tables, drop_bus_tables
from obcms_platform.migration_ops import (
    create_indexes,
    create_named_index,
    drop_tables,
    enum_column,
    id_column,
    primary_key,
    timestamp_column,
    timestamp_columns,
    user_identity_columns,
    versioned_columns,
)

revision: str = "0001"
down_revision: str | None = None

KINDS = (
    "task_assigned",
    "task_due_changed",
    "tasks_generated",
    "task_due_soon",
    "task_due_today",
    "task_overdue",
    "leave_decided",
    "booking_decided",
    "decision_needed",
    "approval_moved",
    "event_invited",
    "event_changed",
    "event_cancelled",
    "event_reminder",
    "manager_queue",
)


def _uuid_array(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.ARRAY(sa.Uuid()), nullable=False)


def _create_watched_table(
    table: str, key: str, *columns: sa.Column[Any], people: str, versioned: bool = True
) -> None:
    """A projection of another service's record: its id, title, `columns`, its people and
    (if `versioned`) the version last announced."""
    version = [sa.Column("version", sa.Integer(), nullable=False)] if versioned else []
    op.create_table(
        table,
        sa.Column(key, sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        *columns,
        _uuid_array(people),
        *version,
        primary_key(table, key),
    )


def upgrade() -> None:
    create_bus_tables()
    op.create_table(
        "recipients",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        *user_identity_columns(),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        enum_column("role", "staff", "manager", "admin"),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("source_version", sa.Integer(), nullable=False),
        *timestamp_columns(),
        primary_key("recipients", "user_id"),
    )
    op.create_table(
        "delivery_settings",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("digest_time", sa.Time(), nullable=False),
        sa.Column("quiet_start", sa.Time(), nullable=True),
        sa.Column("quiet_end", sa.Time(), nullable=True),
        sa.Column("event_lead_minutes", sa.Integer(), nullable=False),
        *versioned_columns(authored=False),
        primary_key("delivery_settings", "user_id"),
    )
    op.create_table(
        "kind_preferences",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        enum_column("kind", *KINDS),
        enum_column("channel", "both", "in_app", "email", "digest", "off"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["delivery_settings.user_id"],
            name=op.f("fk_kind_preferences__user_id"),
            ondelete="CASCADE",
        ),
        primary_key("kind_preferences", "user_id", "kind"),
    )
    op.create_table(
        "notifications",
        id_column(),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        enum_column("kind", *KINDS),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("dedup_key", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("in_app", sa.Boolean(), nullable=False),
        sa.Column("in_digest", sa.Boolean(), nullable=False),
        timestamp_column("created_at"),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        primary_key("notifications", "id"),
        sa.UniqueConstraint("recipient_id", "dedup_key", name="uq_notifications__recipient_key"),
    )
    create_indexes("notifications", ("recipient_id", "created_at"))
    create_named_index(
        "notifications", "unread", ["recipient_id"], where="read_at IS NULL AND in_app"
    )
    create_named_index("notifications", "digest", ["recipient_id"], where="in_digest")
    op.create_table(
        "outgoing_emails",
        id_column(),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("dedup_key", sa.String(length=200), nullable=False),
        enum_column("state", "pending", "sent", "failed"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        timestamp_column("created_at"),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        primary_key("outgoing_emails", "id"),
        sa.UniqueConstraint("recipient_id", "dedup_key", name="uq_outgoing_emails__recipient_key"),
    )
    create_named_index("outgoing_emails", "due", ["next_attempt_at"], where="state = 'pending'")
    op.create_table(
        "job_runs",
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=64), nullable=False),
        sa.Column("runner", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notified", sa.Integer(), nullable=False),
        primary_key("job_runs", "job", "period"),
    )
    op.create_table(
        "digest_days",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        primary_key("digest_days", "user_id", "day"),
    )
    _create_watched_table(
        "watched_tasks",
        "task_id",
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        people="assignee_ids",
    )
    create_indexes("watched_tasks", "due_date")
    _create_watched_table(
        "watched_events",
        "event_id",
        sa.Column("start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("all_day", sa.Boolean(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        people="attendee_ids",
    )
    create_indexes("watched_events", "start")
    _create_watched_table("watched_ppas", "ppa_id", people="owner_ids", versioned=False)
    op.create_table(
        "pending_requests",
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        primary_key("pending_requests", "subject_type", "subject_id"),
    )


def downgrade() -> None:
    drop_tables(
        "pending_requests",
        "watched_ppas",
        "watched_events",
        "watched_tasks",
        "digest_days",
        "job_runs",
        "outgoing_emails",
        "notifications",
        "kind_preferences",
        "delivery_settings",
        "recipients",
    )
    drop_bus_tables()
