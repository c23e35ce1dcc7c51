"""deleted_subjects: the shared tombstones (`obcms_platform.bus.tombstones`), of any event
family

The table is already the shared one's but for the CHECK of its three kinds (ppa,
assessment, event); the kinds are now the families of the deletions the worker guards, named
where it guards them. Expand-only: dropping a CHECK refuses nothing the previous release
writes.
"""

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"

CHECK = "ck_deleted_subjects__subject_kind"


def upgrade() -> None:
    op.drop_constraint(op.f(CHECK), "deleted_subjects", type_="check")


def downgrade() -> None:
    # The previous release generates nothing for these three kinds only.
    op.execute(
        "DELETE FROM deleted_subjects WHERE subject_kind NOT IN ('ppa', 'assessment', 'event')"
    )
    op.create_check_constraint(
        op.f(CHECK), "deleted_subjects", "subject_kind IN ('ppa', 'assessment', 'event')"
    )
