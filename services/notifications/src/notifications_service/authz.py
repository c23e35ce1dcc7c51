"""Who may change what in the notifications service (the rules of `obcms_platform.authz`).

A notification belongs to the person it was sent to: only they mark it read or unread (no
role reads or marks anyone else's). Everyone changes their own preferences and their own
inbox, and nobody else's: those routes name no other person.
"""

from __future__ import annotations

from notifications_service.notifications.models import Notification
from obcms_platform.auth import Role
from obcms_platform.authz import Rule, owned_by

NOTIFICATION_MARK = Rule.owned(
    "notification.mark",
    "Mark a notification read or unread",
    role=None,
    loader=owned_by(Notification.recipient_id, param="notification_id", what="notification"),
    owners_are="the person it was sent to",
)
INBOX_MARK_ALL = Rule("inbox.mark_all", "Mark all of one's own notifications read", role=Role.STAFF)
PREFERENCES_UPDATE = Rule(
    "preferences.update", "Change one's own notification preferences", role=Role.STAFF
)

RULES = (NOTIFICATION_MARK, INBOX_MARK_ALL, PREFERENCES_UPDATE)
