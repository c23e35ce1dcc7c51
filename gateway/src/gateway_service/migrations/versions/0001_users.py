"""users"""

import sqlalchemy as sa
from alembic import op

from obcms_platform.migration_ops import (
    enum_column,
    primary_key,
    timestamp_columns,
    unique_constraint,
)

revision: str = "0001"
down_revision: str | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("full_name", sa.String(length=300), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
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
