"""The calendar feed of this service (internal: the gateway aggregates it) and ICS export.

- ``GET /api/v1/feed?start=…&end=…&modules=…``: feed entries (DOMAIN.md format) of events
  and their occurrences, staff leave and bookings in the window (default: this month ±1).
- ``GET /api/v1/feed.ics``: the same as ``text/calendar``; ``GET /api/v1/events.ics``: events
  only (default window: a month back to a year ahead).

Windows longer than 400 days, and an end not after the start, are refused with 422.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from calendar_service.feed.ics import build_calendar
from calendar_service.feed.schemas import FeedResponse
from calendar_service.feed.service import (
    KNOWN_MODULES,
    MODULE_EVENTS,
    SERVED_MODULES,
    feed_entries,
)
from calendar_service.window import FeedWindow, IcsWindow
from obcms_platform.app import API_PREFIX
from obcms_platform.auth import CurrentPrincipal
from obcms_platform.db import DbSession
from obcms_platform.errors import InvalidInputError, error_responses

router = APIRouter(tags=["feed"], responses=error_responses(401, 422))

ModulesParam = Annotated[
    str | None,
    Query(
        max_length=200,
        description="comma-separated modules (coordination, staff, resources); default all",
    ),
]
ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"


def _modules(value: str | None) -> list[str]:
    if value is None or not value.strip():
        return list(SERVED_MODULES)
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = sorted(set(names) - KNOWN_MODULES)
    if unknown:
        raise InvalidInputError(
            f"modules: unknown module(s) {', '.join(unknown)}; known: "
            f"{', '.join(sorted(KNOWN_MODULES))}",
            field="modules",
        )
    return [name for name in SERVED_MODULES if name in names]


@router.get(f"{API_PREFIX}/feed", response_model=FeedResponse, response_model_exclude_none=True)
def feed(
    session: DbSession, _: CurrentPrincipal, window: FeedWindow, modules: ModulesParam = None
) -> FeedResponse:
    served = _modules(modules)
    entries = feed_entries(session, window, served)
    return FeedResponse(
        start=window.start,
        end=window.end,
        modules=served,
        events=[entry.to_feed() for entry in entries],
    )


@router.get(
    f"{API_PREFIX}/feed.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
def feed_ics(
    session: DbSession, _: CurrentPrincipal, window: IcsWindow, modules: ModulesParam = None
) -> Response:
    entries = feed_entries(session, window, _modules(modules))
    return Response(build_calendar(entries), media_type=ICS_MEDIA_TYPE)


@router.get(
    f"{API_PREFIX}/events.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
def events_ics(session: DbSession, _: CurrentPrincipal, window: IcsWindow) -> Response:
    entries = feed_entries(session, window, [MODULE_EVENTS])
    return Response(
        build_calendar(entries, name="OBCMS events"),
        media_type=ICS_MEDIA_TYPE,
        headers={"Content-Disposition": 'inline; filename="obcms-events.ics"'},
    )
