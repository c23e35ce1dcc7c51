"""an event's end and venue in the events' projection, so that its people are told when its
length or its venue changes

Expand-only: the previous release ignores the new columns. Events kept before get them with
their next announcement.
"""

import sqlalchemy as sa
from alembic import op

from obcms_platform.migration_ops import drop_columns

revision: str = "0006"
down_revision: str | None = "0005"


def upgrade() -> None:
    op.add_column("watched_events", sa.Column("end", sa.DateTime(timezone=True), nullable=True))
    op.add_column("watched_events", sa.Column("venue", sa.String(length=300), nullable=True))


def downgrade() -> None:
    drop_columns("watched_events", "venue", "end")
