"""deleted_subjects: the PPAs and leave whose deletion the worker handled
(`obcms_platform.bus.tombstones`), so that their events handled later change nothing

A new table. Expand-only: the previous release neither reads nor writes it. A PPA or leave
deleted before this release has none: the rows its deletion removed may still come back by a
late event of it, as they could before.
"""

from obcms_platform.bus.migration_ops import create_tombstone_table, drop_tombstone_table

revision: str = "0011"
down_revision: str | None = "0010"


def upgrade() -> None:
    create_tombstone_table()


def downgrade() -> None:
    drop_tombstone_table()
