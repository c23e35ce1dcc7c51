"""Alembic operations that create and drop the bus tables (`tables.bus_tables`) and a
consumer's tombstones (`tombstones.tombstone_table`).

Every service's migration history calls these instead of repeating the DDL. They are the
first version of the tables' schema: a later change to the tables gets its own operations
here, called from a new migration, so that existing migrations keep their meaning.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from obcms_platform.migration_ops import (
    create_indexes,
    create_named_index,
    drop_tables,
    id_column,
    primary_key,
    timestamp_column,
    unique_constraint,
)


def create_bus_tables() -> None:
    """Create bus_outbox, bus_inbox and bus_dead_letters with their indexes."""
    op.create_table(
        "bus_dead_letters",
        id_column(),
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        timestamp_column("failed_at"),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True),
        primary_key("bus_dead_letters", "id"),
        unique_constraint("bus_dead_letters", "consumer", "event_id"),
    )
    op.create_table(
        "bus_inbox",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        timestamp_column("handled_at"),
        primary_key("bus_inbox", "consumer", "event_id"),
    )
    create_indexes("bus_inbox", "handled_at")
    op.create_table(
        "bus_outbox",
        id_column(),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        timestamp_column("created_at"),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        primary_key("bus_outbox", "id"),
    )
    create_indexes("bus_outbox", "created_at")
    create_named_index("bus_outbox", "unpublished", ["created_at"], where="published_at IS NULL")


def drop_bus_tables() -> None:
    """Drop what `create_bus_tables` created."""
    drop_tables("bus_outbox", "bus_inbox", "bus_dead_letters")


def create_tombstone_table() -> None:
    """Create `tombstones.tombstone_table`'s deleted_subjects."""
    op.create_table(
        "deleted_subjects",
        sa.Column("subject_kind", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        timestamp_column("deleted_at"),
        primary_key("deleted_subjects", "subject_kind", "subject_id"),
    )


def drop_tombstone_table() -> None:
    """Drop what `create_tombstone_table` created."""
    drop_tables("deleted_subjects")
