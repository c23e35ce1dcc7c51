"""calendar subscriptions: each user's ICS token (its digest, and the token sealed)

Expand-only: the previous release ignores the new columns.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"


def upgrade() -> None:
    op.add_column("users", sa.Column("calendar_token_digest", sa.String(length=64), nullable=True))
    op.add_column("users", sa.Column("calendar_token_sealed", sa.Text(), nullable=True))
    op.create_unique_constraint(
        op.f("uq_users__calendar_token_digest"), "users", ["calendar_token_digest"]
    )


def downgrade() -> None:
    op.drop_constraint(op.f("uq_users__calendar_token_digest"), "users", type_="unique")
    op.drop_column("users", "calendar_token_sealed")
    op.drop_column("users", "calendar_token_digest")
