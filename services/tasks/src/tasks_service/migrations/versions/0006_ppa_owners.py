"""ppa owners: who owns each PPA, projected from portfolio events (for the task rules)

Expand-only: the previous release ignores the new table. PPAs announced before this release
are filled by their next ppa.updated, or all at once by `obcms-portfolio ppas announce` (new
events). Not by `obcms-portfolio bus republish`: the tasks worker's inbox skips the events it
has already handled, and every ppa.created was (it generated the PPA's tasks).
"""

import sqlalchemy as sa
from alembic import op

from obcms_platform.migration_ops import (
    primary_key,
    uuid_array_column,
)

revision: str = "0006"
down_revision: str | None = "0005"


def upgrade() -> None:
    op.create_table(
        "ppa_owners",
        sa.Column("ppa_id", sa.Uuid(), nullable=False),
        uuid_array_column("owner_ids"),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        primary_key("ppa_owners", "ppa_id"),
    )


def downgrade() -> None:
    op.drop_table("ppa_owners")
