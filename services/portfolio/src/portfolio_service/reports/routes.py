"""Report routes: the budget-execution report, as JSON or as a CSV or Excel file."""

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
from portfolio_service.reports import service
from portfolio_service.reports.schemas import BudgetExecution, BudgetExecutionFilters

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
