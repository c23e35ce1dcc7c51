"""Portfolio dashboard route."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from obcms_platform.auth import CurrentPrincipal
from obcms_platform.db import DbSession
from obcms_platform.resource_routes import collection_router, read_answer
from portfolio_service.dashboard import service
from portfolio_service.dashboard.schemas import Dashboard, DashboardFilters

router = collection_router("portfolio", tag="dashboard")


@router.get("/dashboard", response_model=Dashboard)
def dashboard(
    session: DbSession,
    _: CurrentPrincipal,
    filters: Annotated[DashboardFilters, Query()],
    stale_days: Annotated[
        int, Query(ge=1, le=365, description="days without a status update that make a PPA stale")
    ] = service.STALE_DAYS,
) -> Response:
    """Totals, breakdowns, budget figures, progress, at-risk PPAs, upcoming milestones, needs
    coverage, indicator attainment and PPAs without a recent status update, for the PPAs the
    filters select (one fiscal year, region, province, tag, SDG) or the whole portfolio.
    `stale_days` says which PPAs are stale; it selects none."""
    return read_answer(service.portfolio_dashboard(session, filters, stale_days=stale_days))
