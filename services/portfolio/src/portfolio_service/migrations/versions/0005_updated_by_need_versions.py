"""Who changed a PPA, assessment or need last (`updated_by`), and row versions of needs

A stale save then names the person ("changed by … since you opened it"); a need gets an ETag
and If-Match like PPAs and assessments. Expand-only: existing rows count their creator as the
last to change them and start at version 1; the previous release ignores the columns.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("ppas", "assessments", "needs")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("updated_by", sa.Uuid(), nullable=True))
        op.execute(f"UPDATE {table} SET updated_by = created_by")
    op.add_column(
        "needs", sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False)
    )


def downgrade() -> None:
    op.drop_column("needs", "version")
    for table in TABLES:
        op.drop_column(table, "updated_by")
