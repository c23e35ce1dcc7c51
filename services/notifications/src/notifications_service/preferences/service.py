"""Reading and changing a person's notification preferences."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from notifications_service.kinds import KINDS, Channel, Kind
from notifications_service.preferences.models import (
    DEFAULT_DIGEST_TIME,
    DEFAULT_EVENT_LEAD_MINUTES,
    DeliverySettings,
    KindPreference,
)
from notifications_service.preferences.schemas import PreferencesUpdate
from obcms_platform.errors import InvalidInputError, PreconditionFailedError


def delivery_settings(session: Session, user_id: uuid.UUID) -> DeliverySettings:
    """The person's settings; the defaults (version 0, not stored) when they never chose."""
    found = session.get(DeliverySettings, user_id)
    if found is not None:
        return found
    return DeliverySettings(
        user_id=user_id,
        digest_time=DEFAULT_DIGEST_TIME,
        event_lead_minutes=DEFAULT_EVENT_LEAD_MINUTES,
        version=0,
    )


def channels(
    session: Session, user_ids: Iterable[uuid.UUID], kind: Kind
) -> dict[uuid.UUID, Channel]:
    """Each person's channel for `kind`: their choice, else the kind's default."""
    ids = list(dict.fromkeys(user_ids))
    rows = session.execute(
        select(KindPreference.user_id, KindPreference.channel).where(
            KindPreference.user_id.in_(ids), KindPreference.kind == kind
        )
    )
    chosen = {user_id: channel for user_id, channel in rows}
    return {user_id: chosen.get(user_id, KINDS[kind].default) for user_id in ids}


def all_channels(session: Session, user_id: uuid.UUID) -> dict[Kind, Channel]:
    rows = session.execute(
        select(KindPreference.kind, KindPreference.channel).where(KindPreference.user_id == user_id)
    )
    chosen = {kind: channel for kind, channel in rows}
    return {kind: chosen.get(kind, info.default) for kind, info in KINDS.items()}


def update(
    session: Session,
    user_id: uuid.UUID,
    changes: PreferencesUpdate,
    expected_version: int | None,
) -> DeliverySettings:
    """Apply `changes`; with `expected_version` (If-Match; 0 while never saved), 412 when
    another session saved first."""
    current = session.get(DeliverySettings, user_id, with_for_update=True)
    version = current.version if current is not None else 0
    if expected_version is not None and expected_version != version:
        raise PreconditionFailedError(
            f"preferences are at version {version}, not {expected_version}; reload them"
        )
    values = changes.changes()
    chosen: dict[Kind, Channel] = values.pop("channels", None) or {}
    if current is None:
        current = delivery_settings(session, user_id)
        current.version = 1
        session.add(current)
    else:
        # Saving always makes a new version, also when only the channels change.
        current.updated_at = func.now()
    for field, value in values.items():
        setattr(current, field, value)
    if (current.quiet_start is None) != (current.quiet_end is None):
        field = "quiet_end" if current.quiet_end is None else "quiet_start"
        raise InvalidInputError(f"{field}: quiet hours need both a start and an end", field=field)
    if current.quiet_start is not None and current.quiet_start == current.quiet_end:
        # Would it be no quiet hours or the whole day? Neither is said by a span of nothing.
        raise InvalidInputError(
            "quiet_end: quiet hours must end at another time than they start (to have none, "
            "leave both empty)",
            field="quiet_end",
        )
    session.flush()
    if chosen:
        session.execute(
            delete(KindPreference).where(
                KindPreference.user_id == user_id, KindPreference.kind.in_(list(chosen))
            )
        )
        session.add_all(
            KindPreference(user_id=user_id, kind=kind, channel=channel)
            for kind, channel in chosen.items()
            if channel != KINDS[kind].default
        )
        session.flush()
    return current
