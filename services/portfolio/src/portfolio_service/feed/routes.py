"""The portfolio part of the calendar feed (internal: the gateway aggregates it).

``GET /api/v1/feed?start=…&end=…&modules=…``: all-day ``planning`` entries (PPA start and
target end dates, milestones, budget workflow stages) and ``mana`` entries (assessments) in
the window (DOMAIN.md format; window, ``modules`` and format of `obcms_platform.feed`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from obcms_platform.app import API_PREFIX
from obcms_platform.auth import CurrentPrincipal
from obcms_platform.db import DbSession
from obcms_platform.errors import error_responses
from obcms_platform.feed import (
    FeedLimit,
    FeedResponse,
    FeedWindow,
    feed_response,
    served_modules,
)
from portfolio_service.feed.service import SERVED_MODULES, feed_entries

router = APIRouter(tags=["feed"], responses=error_responses(401, 422))

Modules = Annotated[list[str], Depends(served_modules(*SERVED_MODULES))]


@router.get(f"{API_PREFIX}/feed", response_model=FeedResponse)
def feed(
    session: DbSession,
    _: CurrentPrincipal,
    window: FeedWindow,
    modules: Modules,
    limit: FeedLimit,
) -> Response:
    return feed_response(window, modules, feed_entries(session, window, modules), limit=limit)
