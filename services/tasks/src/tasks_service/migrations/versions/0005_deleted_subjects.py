"""deleted subjects: PPAs, assessments and events whose deletion the tasks service handled

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deleted_subjects",
        sa.Column(
            "subject_kind",
            sa.Enum(
                "ppa",
                "assessment",
                "event",
                name="subject_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column(
            "deleted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("subject_kind", "subject_id", name=op.f("pk_deleted_subjects")),
    )


def downgrade() -> None:
    op.drop_table("deleted_subjects")
