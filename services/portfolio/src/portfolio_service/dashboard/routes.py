"""Portfolio dashboard route."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from obcms_platform.app import API_PREFIX
from obcms_platform.auth import CurrentPrincipal
from obcms_platform.db import DbSession
from obcms_platform.errors import error_responses
from portfolio_service.dashboard import service
from portfolio_service.dashboard.schemas import Dashboard

router = APIRouter(
    prefix=f"{API_PREFIX}/portfolio", tags=["dashboard"], responses=error_responses(401, 422)
)


@router.get("/dashboard", response_model=Dashboard)
def dashboard(
    session: DbSession,
    _: CurrentPrincipal,
    fiscal_year: Annotated[int | None, Query(ge=1970, le=2199)] = None,
) -> Dashboard:
    """Totals, breakdowns, budget figures, progress, at-risk PPAs, upcoming milestones and
    needs coverage, for one fiscal year or the whole portfolio."""
    return service.portfolio_dashboard(session, fiscal_year)
