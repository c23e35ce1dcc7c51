"""Report routes: the budget-execution report, as JSON or as a CSV or Excel file; the PPAs'
monitoring (the printed portfolio report's list)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from obcms_platform import exports
from obcms_platform.auth import CurrentPrincipal
from obcms_platform.db import DbSession
from obcms_platform.exports import EXPORT_CONTENT, ExportFormat
from obcms_platform.formatting import OFFICE_ZONE
from obcms_platform.resource_routes import collection_router
from obcms_platform.zones import office_today
from portfolio_service.dashboard.schemas import DashboardFilters
from portfolio_service.reports import service
from portfolio_service.reports.schemas import (
    BudgetExecution,
    BudgetExecutionFilters,
    PpaMonitoring,
)

router = collection_router("reports", tag="reports")


@router.get(
    "/budget-execution",
    response_model=BudgetExecution,
    responses={200: {"content": EXPORT_CONTENT}},
)
def budget_execution(
    session: DbSession,
    principal: CurrentPrincipal,
    filters: Annotated[BudgetExecutionFilters, Query()],
    format: Annotated[
        ExportFormat,
        Query(description="json: the report; csv or xlsx: its rows and totals as a file"),
    ] = ExportFormat.JSON,
) -> BudgetExecution | Response:
    """Allocation, obligation and disbursement of the PPAs by sector and fiscal year (net of
    reversals), the active budget ceiling, the obligation, disbursement and utilization
    rates (null when their denominator is 0), the PPA count, and the totals; for the PPAs
    the filters select (a fiscal year, a sector, the dashboard's region, province, tag, SDG)."""
    today = datetime.now(OFFICE_ZONE).date()
    report = service.budget_execution(session, filters, today)
    if format is ExportFormat.JSON:
        return report
    return exports.export_response(
        service.BUDGET_EXECUTION_EXPORT,
        format,
        service.report_lines(report),
        today=principal.today(),
        title="Budget execution",
    )


@router.get("/ppa-monitoring", response_model=PpaMonitoring)
def ppa_monitoring(
    session: DbSession,
    _: CurrentPrincipal,
    filters: Annotated[DashboardFilters, Query()],
) -> PpaMonitoring:
    """The PPAs the dashboard's filters select (fiscal year, region, province, tag, SDG), by
    title: each one's status, progress, whether it is at risk, its indicators (target, latest
    actual, attainment, where it stands) and its latest status update."""
    return service.ppa_monitoring(session, filters, office_today())
