"""bookings of an event: an optional `event_id` on bookings (the event page lists them)

Expand-only: the previous release ignores the new column. Deleting an event keeps its
bookings (the resource stays held until someone cancels it) and unlinks them.
"""

import sqlalchemy as sa
from alembic import op

from obcms_platform.migration_ops import create_set_values_index, drop_indexes

revision: str = "0002"
down_revision: str | None = "0001"


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
    create_set_values_index("bookings", "event_id")


def downgrade() -> None:
    drop_indexes("ix_bookings__event_id")
    op.drop_constraint(op.f("fk_bookings__event_id"), "bookings", type_="foreignkey")
    op.drop_column("bookings", "event_id")
