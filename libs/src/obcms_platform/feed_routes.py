"""A service's part of the calendar feed (internal: the gateway aggregates the parts).

``GET /api/v1/feed?start=…&end=…&modules=…``: the entries of the modules the service's
registry entry serves, in the window (DOMAIN.md format; window, ``modules``, entry cap and
encoding of `obcms_platform.feed`). Each service gives only how it finds its entries.
"""

# No `from __future__ import annotations`: FastAPI reads the route's parameter annotations,
# which name the `Modules` dependency made inside `feed_router`.

from collections.abc import Callable, Iterable
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from obcms_platform.app import API_PREFIX
from obcms_platform.auth import CurrentPrincipal
from obcms_platform.db import DbSession
from obcms_platform.errors import error_responses
from obcms_platform.feed import (
    Entry,
    FeedLimit,
    FeedPage,
    FeedResponse,
    FeedWindow,
    TimeWindow,
    encoded_entries,
    page_of,
    page_response,
    served_modules,
)
from obcms_platform.registry import Deployable

# How a service finds its entries of the modules asked for in a window.
FeedEntries = Callable[[Session, TimeWindow, list[str]], Iterable[Entry]]
# How a service finds its page of entries (at most `limit`, sorted) of the modules asked for
# in a window, already encoded (written by PostgreSQL: `obcms_platform.feed.sql_all_day_entry`).
FeedPages = Callable[[Session, TimeWindow, list[str], int], FeedPage]


def feed_router(service: Deployable, entries: FeedEntries) -> APIRouter:
    """The ``/api/v1/feed`` route of `service`, its entries found by `entries`."""

    def page(session: Session, window: TimeWindow, modules: list[str], limit: int) -> FeedPage:
        return page_of(encoded_entries(entries(session, window, modules)), limit)

    return paged_feed_router(service, page)


def paged_feed_router(service: Deployable, pages: FeedPages) -> APIRouter:
    """The ``/api/v1/feed`` route of `service`, its entries found by `pages`."""
    router = APIRouter(tags=["feed"], responses=error_responses(401, 422))

    @router.get(f"{API_PREFIX}/feed", response_model=FeedResponse)
    async def feed(
        session: DbSession,
        _: CurrentPrincipal,
        window: FeedWindow,
        modules: Annotated[list[str], Depends(served_modules(*service.feed_modules))],
        limit: FeedLimit,
    ) -> Response:
        page = await run_in_threadpool(pages, session, window, modules, limit)
        return page_response(window, modules, page, limit=limit)

    return router
