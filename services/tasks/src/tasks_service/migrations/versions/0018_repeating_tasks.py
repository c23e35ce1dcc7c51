"""Repeating tasks: tasks.repeats, repeat_interval, repeat_until, repeat_anchor and the
occurrences' links previous_task_id / next_task_id

New columns, nullable or with a default. Expand-only: the previous release neither reads nor
writes them, and its tasks (none repeats) stay as they are.
"""

import sqlalchemy as sa
from alembic import op

from obcms_platform.migration_ops import drop_columns, enum_column

revision: str = "0018"
down_revision: str | None = "0017"

FREQUENCIES = ("daily", "weekly", "monthly", "yearly")


def upgrade() -> None:
    op.add_column("tasks", enum_column("repeats", *FREQUENCIES, nullable=True))
    op.add_column(
        "tasks",
        sa.Column("repeat_interval", sa.SmallInteger(), server_default="1", nullable=False),
    )
    for name in ("repeat_until", "repeat_anchor"):
        op.add_column("tasks", sa.Column(name, sa.Date(), nullable=True))
    for name in ("previous_task_id", "next_task_id"):
        op.add_column("tasks", sa.Column(name, sa.Uuid(), nullable=True))
    op.create_check_constraint(
        op.f("ck_tasks__repeat_interval"), "tasks", "repeat_interval BETWEEN 1 AND 99"
    )
    op.create_check_constraint(
        op.f("ck_tasks__repeats_due_date"), "tasks", "repeats IS NULL OR due_date IS NOT NULL"
    )


def downgrade() -> None:
    drop_columns(
        "tasks",
        "repeats",
        "repeat_interval",
        "repeat_until",
        "repeat_anchor",
        "previous_task_id",
        "next_task_id",
    )
