"""Portfolio reports: the budget-execution report (page; CSV, Excel and PDF), the one-page
PPA brief and the portfolio report as PDF (`gateway_service.pdf`).

Every figure comes from the portfolio service as the signed-in user: a PPA they may not read
is their refusal (its 403 or 404 page), never a document."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import Response

from gateway_service import pdf
from gateway_service.auth.identity import Identity, PageUser
from gateway_service.pages.common import (
    SECTORS,
    api,
    download,
    fetch,
    parse_id,
    query_filters,
    user_names,
    vendored,
)
from gateway_service.pages.events import viewer_zone
from gateway_service.pages.portfolio import (
    DASHBOARD,
    DASHBOARD_FILTERS,
    PPA_PAGE,
    record_filter_choices,
)
from gateway_service.web import render
from obcms_platform.errors import InvalidInputError
from obcms_platform.formatting import label
from obcms_platform.psgc import gazetteer

BUDGET_EXECUTION = "/oobc-management/portfolio/reports/budget-execution/"
BUDGET_EXECUTION_API = "/reports/budget-execution"
BUDGET_EXECUTION_FILTERS = (*DASHBOARD_FILTERS, "sector")
PPA_BRIEF = PPA_PAGE + "brief.pdf"
PORTFOLIO_REPORT = DASHBOARD + "report.pdf"
FILE_FORMATS = ("csv", "xlsx")
# The figures of the budget-execution chart, per sector.
EXECUTION_SERIES = ("allocated", "obligated", "disbursed")

router = APIRouter(include_in_schema=False)


def _today(user: Identity) -> date:
    return datetime.now(viewer_zone(user)).date()


def execution_by_sector(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The report's amounts summed per sector (over its fiscal years), sectors in the report's
    order: the chart's groups and series."""
    sectors: dict[str, dict[str, float]] = {}
    for row in rows:
        sums = sectors.setdefault(row["sector"] or "", dict.fromkeys(EXECUTION_SERIES, 0.0))
        for name in EXECUTION_SERIES:
            sums[name] += float(row[name])
    return {
        "sectors": list(sectors),
        "series": {name: [sums[name] for sums in sectors.values()] for name in EXECUTION_SERIES},
    }


def _sector_labels(sectors: list[str]) -> list[str]:
    return [label(sector) if sector else "No sector" for sector in sectors]


def _execution_chart(title: str, report: dict[str, Any]) -> Markup | None:
    """The budget-execution report's amounts per sector as a chart; none while nothing was
    allocated, obligated or disbursed (bars of ₱0 on a scale of ₱0 to ₱1 say nothing)."""
    by_sector = execution_by_sector(report["rows"])
    if not any(any(amounts) for amounts in by_sector["series"].values()):
        return None
    return pdf.grouped_bars(title, _sector_labels(by_sector["sectors"]), by_sector["series"])


async def _budget_execution(
    request: Request, user: Identity, filters: list[tuple[str, str]]
) -> Any:
    return await fetch(request, user, "portfolio", BUDGET_EXECUTION_API, params=filters)


@router.get(BUDGET_EXECUTION)
async def budget_execution_page(request: Request, user: PageUser) -> Response:
    filters = query_filters(request, BUDGET_EXECUTION_FILTERS)
    reply = await api(request, user, "portfolio", "GET", BUDGET_EXECUTION_API, params=filters)
    error = None if reply.ok else reply.as_error()
    data: dict[str, Any] | None = reply.body if reply.ok else None
    chart = None
    if data is not None and data["rows"]:
        by_sector = execution_by_sector(data["rows"])
        chart = {"labels": _sector_labels(by_sector["sectors"]), **by_sector["series"]}
    return render(
        request,
        "budget_execution.html",
        {
            "data": data,
            "error": error,
            "filters": dict(filters),
            "fiscal_year": request.query_params.get("fiscal_year", ""),
            "sector": request.query_params.get("sector", ""),
            "sectors": SECTORS,
            "export_query": urlencode(filters),
            **record_filter_choices(),
            "chart_js": vendored("chart"),
            "charts_json": (
                json.dumps({"execution": chart}).replace("<", "\\u003c") if chart else None
            ),
        },
        status_code=error.status if error else 200,
    )


@router.get(BUDGET_EXECUTION + "export/")
async def budget_execution_export(request: Request, user: PageUser) -> Response:
    """The report under the page's filters as CSV or Excel (the service's file) or PDF."""
    filters = query_filters(request, BUDGET_EXECUTION_FILTERS)
    file_format = request.query_params.get("format") or "csv"
    if file_format in FILE_FORMATS:
        return await download(
            request,
            user,
            "portfolio",
            BUDGET_EXECUTION_API,
            "the budget-execution report",
            params=[*filters, ("format", file_format)],
        )
    if file_format != "pdf":
        raise InvalidInputError("format: choose csv, xlsx or pdf", field="format")
    data = await _budget_execution(request, user, filters)
    return await pdf.pdf_response(
        request,
        "report_budget_execution.html",
        {
            "data": data,
            "scope": _scope_words(filters),
            "chart": _execution_chart("Allocated, obligated and disbursed by sector", data),
        },
        pdf.document_name("budget-execution", _today(user)),
    )


def _scope_words(filters: list[tuple[str, str]]) -> list[str]:
    """The filters of a report in words ("Fiscal year 2026", "Region XII (SOCCSKSARGEN)")."""
    places = gazetteer()
    words = []
    for name, value in filters:
        if name == "fiscal_year":
            words.append(f"Fiscal year {value}")
        elif name in ("region", "province"):
            area = places.get(value)
            words.append(area.label if area else value)
        elif name == "sdg":
            words.append(f"SDG {value}")
        else:
            words.append(label(value))
    return words


@router.get(PPA_BRIEF)
async def ppa_brief(request: Request, user: PageUser, ppa_id: str) -> Response:
    """One A4 page on a PPA: its record, funding with a chart, progress, indicators, the
    latest status update and the milestones."""
    ppa_id = parse_id(ppa_id, "PPA")
    ppa = await fetch(request, user, "portfolio", f"/ppas/{ppa_id}")
    funding, indicators, updates = await asyncio.gather(
        fetch(request, user, "portfolio", f"/ppas/{ppa_id}/funding"),
        fetch(request, user, "portfolio", f"/ppas/{ppa_id}/indicators"),
        fetch(request, user, "portfolio", f"/ppas/{ppa_id}/updates"),
    )
    latest = updates[0] if updates else None
    names = await user_names(request, [ppa["lead_id"], *([latest["author_id"]] if latest else [])])
    figures = {
        "budget_allocation": funding["budget_allocation"],
        "allocated": funding["allocated"],
        "obligated": funding["obligated"],
        "disbursed": funding["disbursed"],
    }
    return await pdf.pdf_response(
        request,
        "report_ppa_brief.html",
        {
            "ppa": ppa,
            "funding": funding,
            "indicators": indicators,
            "latest_update": latest,
            "names": names,
            "chart": pdf.budget_bars("Budget and funding", figures, width=420),
        },
        pdf.document_name("ppa-brief", _today(user), ppa["title"]),
    )


@router.get(PORTFOLIO_REPORT)
async def portfolio_report(request: Request, user: PageUser) -> Response:
    """The dashboard under its current filters, as a report: headline figures, charts, the
    budget-execution table, the PPAs needing attention, and each PPA's indicators and latest
    status update."""
    filters = query_filters(request, DASHBOARD_FILTERS)
    stale_days = request.query_params.get("stale_days", "")
    dashboard, execution, monitoring = await asyncio.gather(
        fetch(
            request,
            user,
            "portfolio",
            "/portfolio/dashboard",
            params=[*filters, ("stale_days", stale_days)],
        ),
        _budget_execution(request, user, filters),
        fetch(request, user, "portfolio", "/reports/ppa-monitoring", params=filters),
    )
    charts = {
        "status": pdf.count_bars(
            "PPAs by status", {label(k): v for k, v in dashboard["by_status"].items()}
        ),
        "sector": pdf.count_bars(
            "PPAs by sector", {label(k): v for k, v in dashboard["by_sector"].items()}
        ),
        "execution": _execution_chart("Budget execution by sector", execution),
    }
    return await pdf.pdf_response(
        request,
        "report_portfolio.html",
        {
            "data": dashboard,
            "execution": execution,
            "monitoring": monitoring,
            "scope": _scope_words(filters),
            "charts": charts,
        },
        pdf.document_name("portfolio-report", _today(user)),
    )
