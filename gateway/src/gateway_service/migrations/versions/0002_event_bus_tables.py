"""event bus tables (the gateway consumes events to invalidate its feed cache)"""

from obcms_platform.bus.migration_ops import create_bus_tables, drop_bus_tables

revision: str = "0002"
down_revision: str | None = "0001"


def upgrade() -> None:
    create_bus_tables()


def downgrade() -> None:
    drop_bus_tables()
