"""event bus tables

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

from obcms_platform.bus.migration_ops import create_bus_tables, drop_bus_tables

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_bus_tables()


def downgrade() -> None:
    drop_bus_tables()
