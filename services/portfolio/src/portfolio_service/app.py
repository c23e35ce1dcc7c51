"""The portfolio service FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from obcms_platform.app import create_service_app
from obcms_platform.attachments import serve_attachments
from portfolio_service.approval_queue.routes import router as approval_queue_router
from portfolio_service.approvals.routes import router as approvals_router
from portfolio_service.assessments.routes import router as assessments_router
from portfolio_service.attachments.routes import assessments_router as assessment_files_router
from portfolio_service.attachments.routes import ppas_router as ppa_files_router
from portfolio_service.ceilings.routes import router as ceilings_router
from portfolio_service.comments.routes import routers as comment_routers
from portfolio_service.dashboard.routes import router as dashboard_router
from portfolio_service.db import load_models
from portfolio_service.exports.routes import router as exports_router
from portfolio_service.feed.routes import router as feed_router
from portfolio_service.funding.routes import router as funding_router
from portfolio_service.funding.routes import tranches_router
from portfolio_service.indicators.routes import router as indicators_router
from portfolio_service.milestones.routes import router as milestones_router
from portfolio_service.needs.routes import router as needs_router
from portfolio_service.ppas.routes import router as ppas_router
from portfolio_service.priorities.routes import router as priorities_router
from portfolio_service.reports.routes import router as reports_router
from portfolio_service.settings import PortfolioSettings, get_settings
from portfolio_service.status_updates.routes import router as status_updates_router
from portfolio_service.timeline.routes import router as timeline_router
from portfolio_service.workflow.routes import router as workflow_router


def create_app(settings: PortfolioSettings | None = None) -> FastAPI:
    load_models()
    settings = settings or get_settings()
    return create_service_app(
        settings,
        title="OBCMS portfolio service",
        routers=[
            ppas_router,
            ppa_files_router,
            milestones_router,
            indicators_router,
            status_updates_router,
            workflow_router,
            approvals_router,
            funding_router,
            tranches_router,
            ceilings_router,
            approval_queue_router,
            assessments_router,
            assessment_files_router,
            priorities_router,
            needs_router,
            dashboard_router,
            timeline_router,
            reports_router,
            feed_router,
            *comment_routers,
            exports_router,
        ],
        extend=serve_attachments(settings),
    )
