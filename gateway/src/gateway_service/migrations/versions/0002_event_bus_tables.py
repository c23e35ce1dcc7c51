"""event bus tables (the gateway consumes events to invalidate its feed cache)

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from obcms_platform.bus.migration_ops import create_bus_tables, drop_bus_tables

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_bus_tables()


def downgrade() -> None:
    drop_bus_tables()
