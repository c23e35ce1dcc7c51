"""What a person can be notified of, and how: declared once (the preferences API offers
these with their labels; the gateway shows what the API says)."""

from __future__ import annotations

from dataclasses import dataclass

from obcms_platform.vocabulary import NotificationChannel as Channel
from obcms_platform.vocabulary import NotificationKind as Kind

__all__ = ["EMAIL_AT_ONCE", "IN_APP", "KINDS", "Channel", "Kind", "KindInfo"]

# The inbox shows these; these email at once (the digest channel emails in the digest).
IN_APP = frozenset({Channel.BOTH, Channel.IN_APP, Channel.DIGEST})
EMAIL_AT_ONCE = frozenset({Channel.BOTH, Channel.EMAIL})


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
    Kind.TASK_COMPLETED: KindInfo("Someone else completes my task", Channel.BOTH),
    Kind.LEAVE_DECIDED: KindInfo("My leave is approved or rejected", Channel.BOTH),
    Kind.BOOKING_DECIDED: KindInfo("My booking is approved or rejected", Channel.BOTH),
    Kind.DECISION_NEEDED: KindInfo("A request waits for my decision", Channel.BOTH),
    Kind.APPROVAL_MOVED: KindInfo("My PPA moves in its approval", Channel.BOTH),
    Kind.EVENT_INVITED: KindInfo("I am invited to an event", Channel.BOTH),
    Kind.EVENT_CHANGED: KindInfo("An event I attend changes", Channel.BOTH),
    Kind.EVENT_CANCELLED: KindInfo("An event I attend is cancelled", Channel.BOTH),
    Kind.EVENT_REMINDER: KindInfo("An event I attend is about to start", Channel.EMAIL),
    Kind.MANAGER_QUEUE: KindInfo("Requests have waited long for a decision", Channel.DIGEST),
    Kind.MENTIONED: KindInfo("Someone mentions me in a comment", Channel.BOTH),
    Kind.EXPORT_READY: KindInfo("My export is ready to download", Channel.IN_APP),
    Kind.EXPORT_FAILED: KindInfo("My export could not be made", Channel.IN_APP),
}
