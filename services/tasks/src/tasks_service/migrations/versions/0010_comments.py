"""comments on records: Markdown, mentions, soft deletion (`obcms_platform.comments`)

A new table. Expand-only: the previous release neither reads nor writes it.
"""

from obcms_platform.migration_ops import create_comments_table, drop_comments_table

revision: str = "0010"
down_revision: str | None = "0009"


def upgrade() -> None:
    create_comments_table()


def downgrade() -> None:
    drop_comments_table()
