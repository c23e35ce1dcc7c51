"""PPA owners: a lead and team members beside the creator (who may change the PPA)

Expand-only: the previous release ignores the new columns.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("ppas", sa.Column("lead_id", sa.Uuid(), nullable=True))
    op.add_column(
        "ppas",
        sa.Column(
            "member_ids",
            postgresql.ARRAY(sa.Uuid()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("ppas", "member_ids")
    op.drop_column("ppas", "lead_id")
