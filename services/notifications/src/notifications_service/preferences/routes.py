"""The caller's own notification preferences."""

from __future__ import annotations

from typing import Annotated

from fastapi import Response
from sqlalchemy.orm import Session

from notifications_service.authz import PREFERENCES_UPDATE
from notifications_service.kinds import KINDS
from notifications_service.preferences import service
from notifications_service.preferences.models import DeliverySettings
from notifications_service.preferences.schemas import (
    KindChoice,
    PreferencesRead,
    PreferencesUpdate,
)
from obcms_platform.auth import CurrentPrincipal
from obcms_platform.db import DbSession
from obcms_platform.errors import error_responses
from obcms_platform.resource_routes import Write, Writes, collection_router
from obcms_platform.versioning import set_etag

router = collection_router("notification-preferences")


def _read(session: Session, settings: DeliverySettings, response: Response) -> PreferencesRead:
    chosen = service.all_channels(session, settings.user_id)
    set_etag(response, settings.version)
    return PreferencesRead(
        digest_time=settings.digest_time,
        quiet_start=settings.quiet_start,
        quiet_end=settings.quiet_end,
        event_lead_minutes=settings.event_lead_minutes,
        kinds=[
            KindChoice(kind=kind, label=info.label, channel=chosen[kind], default=info.default)
            for kind, info in KINDS.items()
        ],
        version=settings.version,
    )


@router.get("", response_model=PreferencesRead)
def get_preferences(
    session: DbSession, principal: CurrentPrincipal, response: Response
) -> PreferencesRead:
    """The caller's preferences (the defaults, at version 0, until they save any)."""
    return _read(session, service.delivery_settings(session, principal.user_id), response)


@router.patch("", response_model=PreferencesRead, responses=error_responses(412))
def update_preferences(
    changes: PreferencesUpdate, write: Annotated[Write, Writes(PREFERENCES_UPDATE)]
) -> PreferencesRead:
    settings = service.update(
        write.session, write.principal.user_id, changes, write.expected_version
    )
    write.session.commit()
    return _read(write.session, settings, write.response)
