"""export_jobs: the portfolio lists' background exports (their rows; the files are in the
storage)

A new table. Expand-only: the previous release neither reads nor writes it.
"""

from obcms_platform.migration_ops import create_export_jobs_table, drop_export_jobs_table

revision: str = "0014"
down_revision: str | None = "0013"


def upgrade() -> None:
    create_export_jobs_table()


def downgrade() -> None:
    drop_export_jobs_table()
