"""calendar feed indexes: PPA, milestone, workflow stage and assessment dates"""

from obcms_platform.migration_ops import (
    create_indexes,
    create_set_values_index,
    drop_indexes,
)

revision: str = "0002"
down_revision: str | None = "0001"


def upgrade() -> None:
    create_indexes("ppas", "start_date", "target_end_date")
    create_indexes("milestones", "date")
    create_set_values_index("budget_workflow_stages", "due_date")
    create_indexes("assessments", "planned_end_date")


def downgrade() -> None:
    drop_indexes(
        "ix_assessments__planned_end_date",
        "ix_budget_workflow_stages__due_date",
        "ix_milestones__date",
        "ix_ppas__target_end_date",
        "ix_ppas__start_date",
    )
