"""task updated_by: who made a task's last change through the API

A nullable column: the id of the user whose request last wrote the task; NULL when the
service itself did (event handlers, generated tasks), so a page says "someone else". Existing
tasks take their creator (the best guess there is; generated tasks have none and stay NULL).

Expand-only: the previous release neither reads nor writes the column.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tasks", sa.Column("updated_by", sa.Uuid(), nullable=True))
    op.execute("UPDATE tasks SET updated_by = created_by WHERE created_by IS NOT NULL")


def downgrade() -> None:
    op.drop_column("tasks", "updated_by")
