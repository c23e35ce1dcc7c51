"""Conflict warnings of the event form and the event page: reads, for anyone signed in.

- ``GET /events/conflicts?start&end&participant_ids=…&venue&exclude_event_id``: a time slot;
- ``GET /events/{id}/conflicts``: the event's next occurrences (90 days, 100 at most).

Registered before the events router: ``/events/conflicts`` is not an event id.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query, Request

from calendar_service.conflicts import service
from calendar_service.conflicts.schemas import ConflictQuery, ConflictsRead
from obcms_platform.auth import CurrentPrincipal
from obcms_platform.db import DbSession
from obcms_platform.errors import error_responses
from obcms_platform.feed import max_window_days
from obcms_platform.resource_routes import collection_router

router = collection_router("events")


@router.get("/conflicts", response_model=ConflictsRead)
def slot_conflicts(
    request: Request,
    session: DbSession,
    _: CurrentPrincipal,
    query: Annotated[ConflictQuery, Query()],
) -> ConflictsRead:
    items = service.slot_conflicts(session, query, max_window_days(request))
    return ConflictsRead(items=items)


@router.get("/{event_id}/conflicts", response_model=ConflictsRead, responses=error_responses(404))
def event_conflicts(event_id: uuid.UUID, session: DbSession, _: CurrentPrincipal) -> ConflictsRead:
    return ConflictsRead(items=service.event_conflicts(session, event_id, datetime.now(UTC)))
