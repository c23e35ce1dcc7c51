"""The people notifications go to, as the gateway announces them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications_service.recipients.models import Recipient
from obcms_platform.auth import Role
from obcms_platform.contracts import UserChanged
from obcms_platform.people import keep_announced


def record(session: Session, user: UserChanged) -> None:
    """Keep the announced state of a user; an announcement older than the one kept is
    ignored (events may arrive out of order)."""
    keep_announced(
        session,
        Recipient,
        {
            "user_id": user.user_id,
            "username": user.username,
            "full_name": user.full_name,
            "email": user.email,
            "time_zone": user.time_zone,
            "role": user.role,
            "active": user.active,
            "source_version": user.version,
        },
    )


def active(session: Session, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Recipient]:
    """The active people among `user_ids` (an unknown or deactivated user gets nothing)."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    rows = session.scalars(select(Recipient).where(Recipient.user_id.in_(ids), Recipient.active))
    return {row.user_id: row for row in rows}


def deciders(session: Session, *, admins_only: bool = False) -> list[uuid.UUID]:
    """Who decides requests: managers and admins (admins only for the last approval step)."""
    roles = [Role.ADMIN] if admins_only else [Role.MANAGER, Role.ADMIN]
    return list(
        session.scalars(
            select(Recipient.user_id).where(Recipient.active, Recipient.role.in_(roles))
        )
    )


def zone(recipient: Recipient, default: str) -> ZoneInfo:
    """The person's time zone, the office's when they have none (or an unknown one)."""
    try:
        return ZoneInfo(recipient.time_zone or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)
