"""Bus tables in a service's own database: outbox, inbox and dead letters.

Core tables (the bus uses set-based SQL, not the ORM), added to the service's metadata so
its Alembic history creates them like any other table.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB


@dataclass(frozen=True)
class BusTables:
    outbox: Table
    inbox: Table
    dead_letters: Table


def bus_tables(metadata: MetaData) -> BusTables:
    outbox = Table(
        "bus_outbox",
        metadata,
        Column("id", Uuid, primary_key=True),  # the event id
        Column("event_type", String(100), nullable=False),
        Column("payload", JSONB, nullable=False),  # the whole envelope
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text),
        Index(
            "ix_bus_outbox__unpublished",
            "created_at",
            postgresql_where=text("published_at IS NULL"),
        ),
        Index("ix_bus_outbox__created_at", "created_at"),
    )
    inbox = Table(
        "bus_inbox",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", Uuid, primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("handled_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Index("ix_bus_inbox__handled_at", "handled_at"),
    )
    dead_letters = Table(
        "bus_dead_letters",
        metadata,
        Column("id", Uuid, primary_key=True),
        Column("consumer", String(100), nullable=False),
        Column("event_id", Uuid, nullable=False),
        Column("event_type", String(100), nullable=False),
        Column("payload", JSONB, nullable=False),
        Column("error", Text, nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("failed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("replayed_at", DateTime(timezone=True)),
        UniqueConstraint("consumer", "event_id"),
    )
    return BusTables(outbox=outbox, inbox=inbox, dead_letters=dead_letters)
