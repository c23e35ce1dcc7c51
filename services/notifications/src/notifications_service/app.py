"""The notifications service FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from notifications_service.notifications.routes import router as notifications_router
from notifications_service.preferences.routes import router as preferences_router
from notifications_service.settings import NotificationsSettings, get_settings
from obcms_platform.app import create_service_app


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or get_settings(),
        title="OBCMS notifications service",
        routers=[notifications_router, preferences_router],
    )
