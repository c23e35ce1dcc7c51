"""bookings of an event: an optional `event_id` on bookings (the event page lists them)

Expand-only: the previous release ignores the new column. Deleting an event keeps its
bookings (the resource stays held until someone cancels it) and unlinks them.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("bookings", sa.Column("event_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_bookings__event_id"),
        "bookings",
        "events",
        ["event_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index(
        "ix_bookings__event_id",
        "bookings",
        ["event_id"],
        unique=False,
        postgresql_where=sa.text("event_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_bookings__event_id",
        table_name="bookings",
        postgresql_where=sa.text("event_id IS NOT NULL"),
    )
    op.drop_constraint(op.f("fk_bookings__event_id"), "bookings", type_="foreignkey")
    op.drop_column("bookings", "event_id")
