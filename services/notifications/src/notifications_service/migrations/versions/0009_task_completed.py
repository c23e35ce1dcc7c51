"""a new kind of notification: `task_completed` (someone else completed my task)

Expand-only: the previous release never writes the new kind. Going down deletes the
notifications and preferences of it, which the previous release could not read.
"""

from obcms_platform.migration_ops import add_enum_value, remove_enum_value

revision: str = "0009"
down_revision: str | None = "0008"

KINDS = (
    "task_assigned",
    "task_due_changed",
    "tasks_generated",
    "task_due_soon",
    "task_due_today",
    "task_overdue",
    "leave_decided",
    "booking_decided",
    "decision_needed",
    "approval_moved",
    "event_invited",
    "event_changed",
    "event_cancelled",
    "event_reminder",
    "manager_queue",
    "mentioned",
    "export_ready",
    "export_failed",
)
NEW_KIND = "task_completed"
TABLES = ("notifications", "kind_preferences")


def upgrade() -> None:
    add_enum_value(TABLES, "kind", KINDS, NEW_KIND)


def downgrade() -> None:
    remove_enum_value(TABLES, "kind", KINDS, NEW_KIND)
