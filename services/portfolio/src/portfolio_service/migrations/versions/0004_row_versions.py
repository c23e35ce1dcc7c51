"""Row versions of milestones, budget workflow stages and assessments

The calendar shows each entry's version (the ETag a move by drag sends as If-Match, the ICS
SEQUENCE). Expand-only: the server default numbers existing rows 1, and the previous release
ignores the column.
"""

from alembic import op

from obcms_platform.migration_ops import add_version_column

revision: str = "0004"
down_revision: str | None = "0003"

TABLES = ("milestones", "budget_workflow_stages", "assessments")


def upgrade() -> None:
    for table in TABLES:
        add_version_column(table)


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "version")
