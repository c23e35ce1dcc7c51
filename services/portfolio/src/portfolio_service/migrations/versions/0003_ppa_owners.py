"""PPA owners: a lead and team members beside the creator (who may change the PPA)

Expand-only: the previous release ignores the new columns.
"""

import sqlalchemy as sa
from alembic import op

from obcms_platform.migration_ops import uuid_array_column

revision: str = "0003"
down_revision: str | None = "0002"


def upgrade() -> None:
    op.add_column("ppas", sa.Column("lead_id", sa.Uuid(), nullable=True))
    op.add_column("ppas", uuid_array_column("member_ids"))


def downgrade() -> None:
    op.drop_column("ppas", "member_ids")
    op.drop_column("ppas", "lead_id")
