"""calendar subscriptions: each user's ICS token (its digest, and the token sealed)

Expand-only: the previous release ignores the new columns.
"""

import sqlalchemy as sa
from alembic import op

from obcms_platform.migration_ops import (
    add_unique_constraint,
    drop_columns,
    drop_unique_constraint,
)

revision: str = "0004"
down_revision: str | None = "0003"


def upgrade() -> None:
    op.add_column("users", sa.Column("calendar_token_digest", sa.String(length=64), nullable=True))
    op.add_column("users", sa.Column("calendar_token_sealed", sa.Text(), nullable=True))
    add_unique_constraint("users", "calendar_token_digest")


def downgrade() -> None:
    drop_unique_constraint("users", "calendar_token_digest")
    drop_columns("users", "calendar_token_sealed", "calendar_token_digest")
