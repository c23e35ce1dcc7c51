"""who last changed an event: `updated_by` on events (the event page names them when a save
meets a newer version)

Expand-only: the previous release ignores the new column. Existing events start with their
creator.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("events", sa.Column("updated_by", sa.Uuid(), nullable=True))
    op.execute("UPDATE events SET updated_by = created_by")


def downgrade() -> None:
    op.drop_column("events", "updated_by")
