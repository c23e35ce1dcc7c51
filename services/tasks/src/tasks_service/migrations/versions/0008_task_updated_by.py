"""task updated_by: who made a task's last change through the API

A nullable column: the id of the user whose request last wrote the task; NULL when the
service itself did (event handlers, generated tasks), so a page says "someone else". Existing
tasks take their creator (the best guess there is; generated tasks have none and stay NULL).

Expand-only: the previous release neither reads nor writes the column.
"""

from alembic import op

from obcms_platform.migration_ops import add_updated_by_column

revision: str = "0008"
down_revision: str | None = "0007"


def upgrade() -> None:
    add_updated_by_column("tasks")


def downgrade() -> None:
    op.drop_column("tasks", "updated_by")
