"""attachments: the files attached to PPAs and assessments (their rows; the files are in the
storage)

A new table. Expand-only: the previous release neither reads nor writes it.
"""

from obcms_platform.migration_ops import create_attachments_table, drop_attachments_table

revision: str = "0008"
down_revision: str | None = "0007"


def upgrade() -> None:
    create_attachments_table()


def downgrade() -> None:
    drop_attachments_table()
