"""who last changed an event: `updated_by` on events (the event page names them when a save
meets a newer version)

Expand-only: the previous release ignores the new column. Existing events start with their
creator.
"""

from alembic import op

from obcms_platform.migration_ops import add_updated_by_column

revision: str = "0003"
down_revision: str | None = "0002"


def upgrade() -> None:
    add_updated_by_column("events")


def downgrade() -> None:
    op.drop_column("events", "updated_by")
