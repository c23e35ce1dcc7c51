"""accounts announced: which consumers of ``user.changed`` have had every account (a release
that adds a consumer announces them all once, `users.service.announce_to_new_consumers`)

A new table. Expand-only: the previous release neither reads nor writes it.
"""

import sqlalchemy as sa
from alembic import op

from obcms_platform.migration_ops import primary_key, timestamp_column

revision: str = "0006"
down_revision: str | None = "0005"


def upgrade() -> None:
    op.create_table(
        "accounts_announced",
        sa.Column("consumers", sa.String(length=500), nullable=False),
        timestamp_column("announced_at"),
        primary_key("accounts_announced", "consumers"),
    )


def downgrade() -> None:
    op.drop_table("accounts_announced")
