"""Row versions of milestones, budget workflow stages and assessments

The calendar shows each entry's version (the ETag a move by drag sends as If-Match, the ICS
SEQUENCE). Expand-only: the server default numbers existing rows 1, and the previous release
ignores the column.

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

TABLES = ("milestones", "budget_workflow_stages", "assessments")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table,
            sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "version")
