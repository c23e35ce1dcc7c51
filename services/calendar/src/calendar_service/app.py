"""The calendar service FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from calendar_service.bookings.routes import router as bookings_router
from calendar_service.calendar_events.routes import router as events_router
from calendar_service.comments.routes import routers as comment_routers
from calendar_service.conflicts.routes import router as conflicts_router
from calendar_service.feed.routes import router as feed_router
from calendar_service.leaves.routes import router as leaves_router
from calendar_service.limits import CalendarLimits, CalendarLimitsMiddleware
from calendar_service.resources.routes import router as resources_router
from calendar_service.settings import CalendarSettings, get_settings
from obcms_platform.app import create_service_app


def create_app(settings: CalendarSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = create_service_app(
        settings,
        title="OBCMS calendar service",
        # The feed and conflicts routers first: their `/events.ics` and `/events/conflicts`
        # must not be read as event ids.
        routers=[
            feed_router,
            conflicts_router,
            events_router,
            resources_router,
            bookings_router,
            leaves_router,
            *comment_routers,
        ],
    )
    app.add_middleware(CalendarLimitsMiddleware, limits=CalendarLimits.of(settings))
    return app
