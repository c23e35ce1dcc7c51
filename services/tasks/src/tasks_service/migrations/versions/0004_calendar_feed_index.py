"""calendar feed index: tasks by the days they cover"""

import sqlalchemy as sa
from alembic import op

from obcms_platform.migration_ops import drop_indexes

revision: str = "0004"
down_revision: str | None = "0003"


def upgrade() -> None:
    op.create_index(
        "ix_tasks__calendar_span",
        "tasks",
        [sa.literal_column("daterange(COALESCE(start_date, due_date), due_date, '[]'::text)")],
        unique=False,
        postgresql_using="gist",
        postgresql_where=sa.text("due_date IS NOT NULL AND related_event_id IS NULL"),
    )


def downgrade() -> None:
    drop_indexes("ix_tasks__calendar_span")
