"""users"""

import sqlalchemy as sa
from alembic import op

from obcms_platform.migration_ops import (
    enum_column,
    id_column,
    primary_key,
    timestamp_columns,
    unique_constraint,
    user_identity_columns,
)

revision: str = "0001"
down_revision: str | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        id_column(),
        *user_identity_columns(),
        enum_column("role", "staff", "manager", "admin"),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        *timestamp_columns(),
        primary_key("users", "id"),
        unique_constraint("users", "username"),
    )


def downgrade() -> None:
    op.drop_table("users")
