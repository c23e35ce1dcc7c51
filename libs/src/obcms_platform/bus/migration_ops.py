"""Alembic operations that create and drop the bus tables (`tables.bus_tables`).

Every service's migration history calls these instead of repeating the DDL. They are the
first version of the tables' schema: a later change to the tables gets its own operations
here, called from a new migration, so that existing migrations keep their meaning.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


def create_bus_tables() -> None:
    """Create bus_outbox, bus_inbox and bus_dead_letters with their indexes."""
    op.create_table(
        "bus_dead_letters",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "failed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bus_dead_letters")),
        sa.UniqueConstraint(
            "consumer", "event_id", name=op.f("uq_bus_dead_letters__consumer_event_id")
        ),
    )
    op.create_table(
        "bus_inbox",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column(
            "handled_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_bus_inbox")),
    )
    op.create_index("ix_bus_inbox__handled_at", "bus_inbox", ["handled_at"], unique=False)
    op.create_table(
        "bus_outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bus_outbox")),
    )
    op.create_index("ix_bus_outbox__created_at", "bus_outbox", ["created_at"], unique=False)
    op.create_index(
        "ix_bus_outbox__unpublished",
        "bus_outbox",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("published_at IS NULL"),
    )


def drop_bus_tables() -> None:
    """Drop what `create_bus_tables` created."""
    op.drop_index(
        "ix_bus_outbox__unpublished",
        table_name="bus_outbox",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.drop_index("ix_bus_outbox__created_at", table_name="bus_outbox")
    op.drop_table("bus_outbox")
    op.drop_index("ix_bus_inbox__handled_at", table_name="bus_inbox")
    op.drop_table("bus_inbox")
    op.drop_table("bus_dead_letters")
