"""export_jobs.requester_time_zone: a background export writes its moments, and names its file,
in its requester's time zone, as their download would

A new nullable column. Expand-only: the previous release neither reads nor writes it.
"""

from obcms_platform.migration_ops import add_export_job_time_zone, drop_export_job_time_zone

revision: str = "0015"
down_revision: str | None = "0014"


def upgrade() -> None:
    add_export_job_time_zone()


def downgrade() -> None:
    drop_export_job_time_zone()
