"""Who changed a PPA, assessment or need last (`updated_by`), and row versions of needs

A stale save then names the person ("changed by … since you opened it"); a need gets an ETag
and If-Match like PPAs and assessments. Expand-only: existing rows count their creator as the
last to change them and start at version 1; the previous release ignores the columns.
"""

from alembic import op

from obcms_platform.migration_ops import add_updated_by_column, add_version_column

revision: str = "0005"
down_revision: str | None = "0004"

TABLES = ("ppas", "assessments", "needs")


def upgrade() -> None:
    for table in TABLES:
        add_updated_by_column(table)
    add_version_column("needs")


def downgrade() -> None:
    op.drop_column("needs", "version")
    for table in TABLES:
        op.drop_column(table, "updated_by")
