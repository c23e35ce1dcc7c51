"""a series' overrides in the events' projection, so that its people are told what one
occurrence's change was (its new venue or title too, not only its new time)

Expand-only: the previous release ignores the new column. Series kept before get it with
their next announcement (until then their occurrences' changes are told from their times).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from obcms_platform.migration_ops import drop_columns

revision: str = "0007"
down_revision: str | None = "0006"


def upgrade() -> None:
    op.add_column(
        "watched_events",
        sa.Column("overrides", postgresql.JSONB(none_as_null=True), nullable=True),
    )


def downgrade() -> None:
    drop_columns("watched_events", "overrides")
