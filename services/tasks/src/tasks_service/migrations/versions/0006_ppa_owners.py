"""ppa owners: who owns each PPA, projected from portfolio events (for the task rules)

Expand-only: the previous release ignores the new table. PPAs announced before this release
are filled by their next ppa.updated (or `obcms-portfolio bus republish --type ppa.created`).

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ppa_owners",
        sa.Column("ppa_id", sa.Uuid(), nullable=False),
        sa.Column(
            "owner_ids",
            postgresql.ARRAY(sa.Uuid()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ppa_id", name=op.f("pk_ppa_owners")),
    )


def downgrade() -> None:
    op.drop_table("ppa_owners")
