"""event bus tables"""

from obcms_platform.bus.migration_ops import create_bus_tables, drop_bus_tables

revision: str = "0003"
down_revision: str | None = "0002"


def upgrade() -> None:
    create_bus_tables()


def downgrade() -> None:
    drop_bus_tables()
