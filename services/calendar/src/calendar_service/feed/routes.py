"""The calendar feed of this service (internal: the gateway aggregates it) and ICS export.

- ``GET /api/v1/feed?start=…&end=…&modules=…``: feed entries (DOMAIN.md format) of events
  and their occurrences, staff leave and bookings in the window (default: this month ±1).
- ``GET /api/v1/feed.ics``: the same as ``text/calendar``; ``GET /api/v1/events.ics``: events
  only (default window: a month back to a year ahead).

Windows longer than 400 days, and an end not after the start, are refused with 422. The
window, ``modules``, entry format and entry cap (``MAX_FEED_ENTRIES``, the earliest kept;
the ICS answers declare it in the same headers) are the shared ones of `obcms_platform.feed`;
the ICS is written by `obcms_platform.ics`, as the gateway's is. (The gateway serves its own
aggregated ICS and does not route these two paths.)
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Response

from calendar_service.feed.service import MODULE_EVENTS, feed_entries, feed_page
from calendar_service.window import IcsWindow
from obcms_platform import registry
from obcms_platform.app import API_PREFIX
from obcms_platform.auth import CurrentPrincipal
from obcms_platform.db import DbSession
from obcms_platform.feed import (
    Entry,
    FeedLimit,
    earliest,
    limit_headers,
    served_modules,
)
from obcms_platform.feed_routes import paged_feed_router
from obcms_platform.ics import MEDIA_TYPE as ICS_MEDIA_TYPE
from obcms_platform.ics import build_calendar

router = paged_feed_router(registry.CALENDAR, feed_page)

Modules = Annotated[list[str], Depends(served_modules(*registry.CALENDAR.feed_modules))]


@router.get(
    f"{API_PREFIX}/feed.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
def feed_ics(
    session: DbSession, _: CurrentPrincipal, window: IcsWindow, modules: Modules, limit: FeedLimit
) -> Response:
    entries, truncated = earliest(feed_entries(session, window, modules), limit, Entry.sort_key)
    return Response(
        build_calendar(entry.to_feed() for entry in entries),
        media_type=ICS_MEDIA_TYPE,
        headers=limit_headers(truncated, limit),
    )


@router.get(
    f"{API_PREFIX}/events.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
def events_ics(
    session: DbSession, _: CurrentPrincipal, window: IcsWindow, limit: FeedLimit
) -> Response:
    entries, truncated = earliest(
        feed_entries(session, window, [MODULE_EVENTS]), limit, Entry.sort_key
    )
    return Response(
        build_calendar((entry.to_feed() for entry in entries), name="OBCMS events"),
        media_type=ICS_MEDIA_TYPE,
        headers={
            "Content-Disposition": 'inline; filename="obcms-events.ics"',
            **limit_headers(truncated, limit),
        },
    )
