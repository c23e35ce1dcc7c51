"""a need's manual rank on the prioritisation board: 1, 2, … unique among the needs that have
one (checked at the end of each statement, so one UPDATE shifts a run of ranks)

Expand-only: the column is nullable (no need is ranked yet), so the previous release, which
ignores it, still inserts and updates needs.
"""

import sqlalchemy as sa
from alembic import op

from obcms_platform.migration_ops import drop_columns

revision: str = "0012"
down_revision: str | None = "0011"


def upgrade() -> None:
    op.add_column("needs", sa.Column("priority_rank", sa.Integer(), nullable=True))
    op.create_check_constraint(op.f("ck_needs__priority_rank"), "needs", "priority_rank >= 1")
    op.create_unique_constraint(
        op.f("uq_needs__priority_rank"),
        "needs",
        ["priority_rank"],
        deferrable=True,
        initially="IMMEDIATE",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("uq_needs__priority_rank"), "needs", type_="unique")
    drop_columns("needs", "priority_rank")
