"""Who may change what in the notifications service (the rules of `obcms_platform.authz`).

A notification belongs to the person it was sent to: only they mark it read or unread (no
role reads or marks anyone else's). Everyone changes their own preferences and their own
inbox, and nobody else's: those routes name no other person.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from notifications_service.notifications.models import Notification
from obcms_platform.auth import Role
from obcms_platform.authz import Ownership, Rule
from obcms_platform.records import columns_or_404


def _recipient(session: Session, params: Mapping[str, Any]) -> Ownership:
    notification_id = uuid.UUID(str(params["notification_id"]))
    row = columns_or_404(
        session, Notification, notification_id, Notification.recipient_id, what="notification"
    )
    return Ownership.of(row.recipient_id)


NOTIFICATION_MARK = Rule(
    "notification.mark",
    "Mark a notification read or unread",
    role=None,
    owners=True,
    loader=_recipient,
    owners_are="the person it was sent to",
)
INBOX_MARK_ALL = Rule("inbox.mark_all", "Mark all of one's own notifications read", role=Role.STAFF)
PREFERENCES_UPDATE = Rule(
    "preferences.update", "Change one's own notification preferences", role=Role.STAFF
)

RULES = (NOTIFICATION_MARK, INBOX_MARK_ALL, PREFERENCES_UPDATE)
