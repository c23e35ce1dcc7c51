"""The tasks service FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from obcms_platform.app import create_service_app
from obcms_platform.attachments import serve_attachments
from tasks_service.attachments.routes import router as attachments_router
from tasks_service.comments.routes import routers as comment_routers
from tasks_service.exports.routes import router as exports_router
from tasks_service.feed.routes import router as feed_router
from tasks_service.settings import TasksSettings, get_settings
from tasks_service.tasks.routes import router as tasks_router
from tasks_service.teams.routes import router as teams_router
from tasks_service.templates.routes import router as templates_router
from tasks_service.timeline.routes import router as timeline_router


def create_app(settings: TasksSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    return create_service_app(
        settings,
        title="OBCMS tasks service",
        routers=[
            timeline_router,
            tasks_router,
            attachments_router,
            teams_router,
            templates_router,
            feed_router,
            *comment_routers,
            exports_router,
        ],
        extend=serve_attachments(settings),
    )
