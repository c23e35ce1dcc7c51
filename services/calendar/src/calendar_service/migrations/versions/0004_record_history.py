"""record history: who changed which field of which event, booking, leave or resource, when
and why

A new append-only table (`obcms_platform.history`). Expand-only: the previous release
neither reads nor writes it.
"""

from obcms_platform.migration_ops import create_history_table, drop_history_table

revision: str = "0004"
down_revision: str | None = "0003"


def upgrade() -> None:
    create_history_table()


def downgrade() -> None:
    drop_history_table()
