"""record history: who changed which field of which user account, when and why (never a
password's hash or a token)

A new append-only table (`obcms_platform.history`). Expand-only: the previous release
neither reads nor writes it.
"""

from obcms_platform.migration_ops import create_history_table, drop_history_table

revision: str = "0005"
down_revision: str | None = "0004"


def upgrade() -> None:
    create_history_table()


def downgrade() -> None:
    drop_history_table()
