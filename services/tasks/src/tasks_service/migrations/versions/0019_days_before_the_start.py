"""task_template_items.days_from_start may be negative: a task before its record's start

The check widens from ``>= 0`` to ``>= -365``. Expand-only: every stored offset passes both;
the previous release reads a negative offset as any other (a due date before the start). The
downgrade refuses while a template holds one.
"""

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"

TABLE = "task_template_items"
CHECK = "ck_task_template_items__days_from_start"


def upgrade() -> None:
    op.drop_constraint(op.f(CHECK), TABLE, type_="check")
    op.create_check_constraint(op.f(CHECK), TABLE, "days_from_start >= -365")


def downgrade() -> None:
    op.drop_constraint(op.f(CHECK), TABLE, type_="check")
    op.create_check_constraint(op.f(CHECK), TABLE, "days_from_start >= 0")
