"""split_from_id: the series an event continues, split off it by "this and following", so
that each half's page links the other

A nullable column (set null when that series is deleted) and its index. Expand-only: the
previous release neither reads nor writes it; series split before it stay unlinked.
"""

import sqlalchemy as sa
from alembic import op

from obcms_platform.migration_ops import create_set_values_index, drop_indexes

revision: str = "0008"
down_revision: str | None = "0007"


def upgrade() -> None:
    op.add_column("events", sa.Column("split_from_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_events__split_from_id"),
        "events",
        "events",
        ["split_from_id"],
        ["id"],
        ondelete="SET NULL",
    )
    create_set_values_index("events", "split_from_id")


def downgrade() -> None:
    drop_indexes("ix_events__split_from_id")
    op.drop_column("events", "split_from_id")
