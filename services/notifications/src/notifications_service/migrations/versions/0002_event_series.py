"""calendar series in the events' projection: `recurrence` and `time_zone` on
watched_events, so that each occurrence of a recurring event is reminded

Expand-only: the previous release ignores the new columns. Series kept before stay
unreminded until the calendar announces them again.
"""

import sqlalchemy as sa
from alembic import op

from obcms_platform.migration_ops import drop_columns

revision: str = "0002"
down_revision: str | None = "0001"


def upgrade() -> None:
    op.add_column("watched_events", sa.Column("recurrence", sa.Text(), nullable=True))
    op.add_column("watched_events", sa.Column("time_zone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    drop_columns("watched_events", "time_zone", "recurrence")
