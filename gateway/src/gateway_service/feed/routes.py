"""Feed endpoints (JSON and ICS, page and API paths) and the calendar page.

- ``GET /oobc-management/calendar/feed/json/`` (alias ``/oobc-management/staff/calendar/
  feed/json/``) and ``GET /api/v1/calendar/feed``: the aggregated feed (DOMAIN.md);
- ``GET /oobc-management/calendar/feed/ics/`` and ``GET /api/v1/calendar/feed.ics``: ICS;
- ``GET /oobc-management/staff/calendar/``: the FullCalendar page.

Page paths need a session (no login: redirect to the login form, or 401 for a JSON
client); API paths need a bearer token or a session (401). The feed answers with a weak
ETag of its content (304 while nothing changed) and is served from the stored answer when
warm (`answers.py`). ``X-Feed-Truncated`` and ``X-Feed-Limit`` declare the entry cap
(``MAX_FEED_ENTRIES``) on the JSON and ICS answers alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from gateway_service import formatting
from gateway_service.auth.identity import ApiUser, Identity, PageUser
from gateway_service.feed.answers import Rendered, feed_answer
from gateway_service.feed.service import Feed
from gateway_service.feed.sources import (
    ALL_MODULES,
    FeedParameterError,
    parse_modules,
)
from gateway_service.feed.sources import parse_window as _parse_window
from gateway_service.pages.events import EVENT_NEW, EVENTS, SCOPES, tom_select_assets
from gateway_service.web import render
from obcms_platform.app import API_PREFIX
from obcms_platform.errors import error_response, error_responses
from obcms_platform.feed import MODULE_COLOURS, max_window_days
from obcms_platform.ics import MEDIA_TYPE as ICS_MEDIA_TYPE
from obcms_platform.ics import build_calendar

FEED_JSON = "/oobc-management/calendar/feed/json/"
FEED_JSON_ALIAS = "/oobc-management/staff/calendar/feed/json/"
FEED_ICS = "/oobc-management/calendar/feed/ics/"
API_FEED = f"{API_PREFIX}/calendar/feed"
API_FEED_ICS = f"{API_PREFIX}/calendar/feed.ics"
CALENDAR_PAGE = "/oobc-management/staff/calendar/"

StartParam = Annotated[
    str | None,
    Query(max_length=40, description="window start: ISO date or date-time (office time)"),
]
EndParam = Annotated[str | None, Query(max_length=40, description="window end, exclusive")]
ModulesParam = Annotated[
    str | None,
    Query(max_length=200, description=f"comma-separated, of {', '.join(ALL_MODULES)}; default all"),
]

router = APIRouter(tags=["calendar feed"])


@dataclass(frozen=True)
class FeedQuery:
    """The window and modules a feed request asks for, as sent (checked when the feed is
    built)."""

    start: str | None
    end: str | None
    modules: str | None


def _feed_query(
    request: Request, start: StartParam = None, end: EndParam = None, modules: ModulesParam = None
) -> FeedQuery:
    # `?modules=tasks&modules=events` means both (FastAPI would keep only the last).
    asked = request.query_params.getlist("modules")
    return FeedQuery(start, end, ",".join(asked) if len(asked) > 1 else modules)


# The query parameters every feed path takes, declared once.
FeedQueryParams = Annotated[FeedQuery, Depends(_feed_query)]


async def _json(request: Request, identity: Identity, query: FeedQuery) -> Response:
    try:
        names = parse_modules(query.modules)
        window = _parse_window(query.start, query.end, max_window_days(request))
    except FeedParameterError as exc:
        # JSON on the page path too: the calendar page's script reads it.
        return error_response(exc.status_code, exc.code, exc.message, field=exc.field)

    def render(feed: Feed) -> Rendered:
        return Rendered(feed.body(), feed.etag(), "application/json", feed.limit_headers())

    return await feed_answer(request, identity, window, names, variant=["json"], render=render)


async def _ics(request: Request, identity: Identity, query: FeedQuery) -> Response:
    try:
        names = parse_modules(query.modules)
        # A subscribing client sends no window: a month back to a year ahead.
        window = _parse_window(query.start, query.end, max_window_days(request), months_after=12)
    except FeedParameterError as exc:
        return error_response(exc.status_code, exc.code, exc.message, field=exc.field)
    base_url = str(request.base_url).rstrip("/")

    def render(feed: Feed) -> Rendered:
        body = build_calendar(feed.events(), base_url=base_url, label=formatting.label)
        headers = {
            "Content-Disposition": 'inline; filename="obcms-calendar.ics"',
            **feed.limit_headers(),
        }
        return Rendered(body, feed.etag(), ICS_MEDIA_TYPE, headers)

    return await feed_answer(
        request, identity, window, names, variant=["ics", base_url], render=render
    )


@router.get(FEED_JSON, include_in_schema=False)
@router.get(FEED_JSON_ALIAS, include_in_schema=False)
async def feed_page_json(request: Request, user: PageUser, query: FeedQueryParams) -> Response:
    return await _json(request, user, query)


@router.get(
    API_FEED,
    responses={
        200: {"content": {"application/json": {}}, "description": "the feed (DOMAIN.md)"},
        304: {"description": "not modified (If-None-Match)"},
        **error_responses(400, 401),
    },
)
async def feed_api_json(request: Request, user: ApiUser, query: FeedQueryParams) -> Response:
    """The aggregated calendar feed of the window and modules."""
    return await _json(request, user, query)


@router.get(FEED_ICS, include_in_schema=False)
async def feed_page_ics(request: Request, user: PageUser, query: FeedQueryParams) -> Response:
    return await _ics(request, user, query)


@router.get(
    API_FEED_ICS,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "the feed as RFC 5545"},
        304: {"description": "not modified (If-None-Match)"},
        **error_responses(400, 401),
    },
)
async def feed_api_ics(request: Request, user: ApiUser, query: FeedQueryParams) -> Response:
    """The aggregated calendar feed as ``text/calendar`` (default: a month back, a year ahead)."""
    return await _ics(request, user, query)


@router.get(CALENDAR_PAGE, include_in_schema=False)
async def calendar_page(request: Request, user: PageUser) -> Response:
    modules = [{"name": name, "colour": MODULE_COLOURS[name]} for name in ALL_MODULES]
    return render(
        request,
        "calendar.html",
        {
            "modules": modules,
            "feed_url": FEED_JSON,
            "ics_url": FEED_ICS,
            "new_event_url": EVENT_NEW,
            "events_url": EVENTS,
            "tom_select": tom_select_assets(),
            "scopes": SCOPES,  # what a dropped occurrence of a series asks
            # The labels that are not just a code's words, for obcms-format.js.
            "labels": formatting.LABELS,
        },
    )
