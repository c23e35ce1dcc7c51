"""What a person can be notified of, and how: declared once (the preferences API offers
these with their labels; the gateway shows what the API says)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Channel(StrEnum):
    """How one kind of notification reaches a person."""

    BOTH = "both"  # in the inbox and by email at once
    IN_APP = "in_app"  # in the inbox only
    EMAIL = "email"  # by email only
    DIGEST = "digest"  # in the inbox, and by email in the daily digest
    OFF = "off"

    @property
    def in_app(self) -> bool:
        return self in {Channel.BOTH, Channel.IN_APP, Channel.DIGEST}

    @property
    def email_now(self) -> bool:
        return self in {Channel.BOTH, Channel.EMAIL}


class Kind(StrEnum):
    TASK_ASSIGNED = "task_assigned"
    TASK_DUE_CHANGED = "task_due_changed"
    TASKS_GENERATED = "tasks_generated"
    TASK_DUE_SOON = "task_due_soon"
    TASK_DUE_TODAY = "task_due_today"
    TASK_OVERDUE = "task_overdue"
    LEAVE_DECIDED = "leave_decided"
    BOOKING_DECIDED = "booking_decided"
    DECISION_NEEDED = "decision_needed"
    APPROVAL_MOVED = "approval_moved"
    EVENT_INVITED = "event_invited"
    EVENT_CHANGED = "event_changed"
    EVENT_CANCELLED = "event_cancelled"
    EVENT_REMINDER = "event_reminder"
    MANAGER_QUEUE = "manager_queue"


@dataclass(frozen=True)
class KindInfo:
    label: str
    default: Channel


# Assignments and decisions reach people at once; reminders wait for the digest.
KINDS: dict[Kind, KindInfo] = {
    Kind.TASK_ASSIGNED: KindInfo("A task is assigned to me", Channel.BOTH),
    Kind.TASK_DUE_CHANGED: KindInfo("The due date of my task changes", Channel.IN_APP),
    Kind.TASKS_GENERATED: KindInfo("Tasks are generated for my record", Channel.IN_APP),
    Kind.TASK_DUE_SOON: KindInfo("My task is due in 2 days", Channel.DIGEST),
    Kind.TASK_DUE_TODAY: KindInfo("My task is due today", Channel.DIGEST),
    Kind.TASK_OVERDUE: KindInfo("My task is overdue", Channel.DIGEST),
    Kind.LEAVE_DECIDED: KindInfo("My leave is approved or rejected", Channel.BOTH),
    Kind.BOOKING_DECIDED: KindInfo("My booking is approved or rejected", Channel.BOTH),
    Kind.DECISION_NEEDED: KindInfo("A request waits for my decision", Channel.BOTH),
    Kind.APPROVAL_MOVED: KindInfo("My PPA moves in its approval", Channel.BOTH),
    Kind.EVENT_INVITED: KindInfo("I am invited to an event", Channel.BOTH),
    Kind.EVENT_CHANGED: KindInfo("An event I attend changes", Channel.BOTH),
    Kind.EVENT_CANCELLED: KindInfo("An event I attend is cancelled", Channel.BOTH),
    Kind.EVENT_REMINDER: KindInfo("An event I attend is about to start", Channel.EMAIL),
    Kind.MANAGER_QUEUE: KindInfo("Requests have waited long for a decision", Channel.DIGEST),
}
