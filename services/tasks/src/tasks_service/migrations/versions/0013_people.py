"""people: the accounts the gateway announces, so that exports name people (`obcms_platform.people`)

A new table. Expand-only: the previous release neither reads nor writes it.
"""

from obcms_platform.migration_ops import create_people_table, drop_people_table

revision: str = "0013"
down_revision: str | None = "0012"


def upgrade() -> None:
    create_people_table()


def downgrade() -> None:
    drop_people_table()
