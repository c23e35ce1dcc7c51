"""calendar feed index: tasks by the days they cover

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


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
    op.drop_index(
        "ix_tasks__calendar_span",
        table_name="tasks",
        postgresql_using="gist",
        postgresql_where=sa.text("due_date IS NOT NULL AND related_event_id IS NULL"),
    )
