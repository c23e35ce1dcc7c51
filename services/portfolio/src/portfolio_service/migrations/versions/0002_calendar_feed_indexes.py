"""calendar feed indexes: PPA, milestone, workflow stage and assessment dates

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAGES_DUE = sa.text("due_date IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_ppas__start_date", "ppas", ["start_date"], unique=False)
    op.create_index("ix_ppas__target_end_date", "ppas", ["target_end_date"], unique=False)
    op.create_index("ix_milestones__date", "milestones", ["date"], unique=False)
    op.create_index(
        "ix_budget_workflow_stages__due_date",
        "budget_workflow_stages",
        ["due_date"],
        unique=False,
        postgresql_where=STAGES_DUE,
    )
    op.create_index(
        "ix_assessments__planned_end_date", "assessments", ["planned_end_date"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_assessments__planned_end_date", table_name="assessments")
    op.drop_index(
        "ix_budget_workflow_stages__due_date",
        table_name="budget_workflow_stages",
        postgresql_where=STAGES_DUE,
    )
    op.drop_index("ix_milestones__date", table_name="milestones")
    op.drop_index("ix_ppas__target_end_date", table_name="ppas")
    op.drop_index("ix_ppas__start_date", table_name="ppas")
