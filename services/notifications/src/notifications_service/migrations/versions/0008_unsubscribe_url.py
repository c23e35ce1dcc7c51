"""each queued email keeps its one-click unsubscribe address (List-Unsubscribe header)

Expand-only: the previous release ignores the new column; emails it queued have none and
go out without the header.
"""

import sqlalchemy as sa
from alembic import op

from obcms_platform.migration_ops import drop_columns

revision: str = "0008"
down_revision: str | None = "0007"


def upgrade() -> None:
    op.add_column(
        "outgoing_emails",
        sa.Column("unsubscribe_url", sa.Text(), nullable=False, server_default=""),
    )


def downgrade() -> None:
    drop_columns("outgoing_emails", "unsubscribe_url")
