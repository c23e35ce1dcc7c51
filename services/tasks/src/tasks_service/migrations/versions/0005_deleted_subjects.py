"""deleted subjects: PPAs, assessments and events whose deletion the tasks service handled"""

import sqlalchemy as sa
from alembic import op

from obcms_platform.migration_ops import (
    enum_column,
    primary_key,
    timestamp_column,
)

revision: str = "0005"
down_revision: str | None = "0004"


def upgrade() -> None:
    op.create_table(
        "deleted_subjects",
        enum_column("subject_kind", "ppa", "assessment", "event"),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        timestamp_column("deleted_at"),
        primary_key("deleted_subjects", "subject_kind", "subject_id"),
    )


def downgrade() -> None:
    op.drop_table("deleted_subjects")
