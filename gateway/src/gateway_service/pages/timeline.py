"""Timeline pages (Gantt charts, frappe-gantt): the portfolio's PPAs with their budget
workflow stages and milestones, grouped by sector or status under the PPA list's filters; one
PPA's and one assessment's tasks with what each waits for.

The services say what the viewer may move (`milestones_editable`, a task's `editable`: the
rules of changing the record); the chart's script drags those only and sends the move
through the API facade with If-Match, as the calendar does. Every row is also in a table
beside the chart, dates in words, for the keyboard and screen readers."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from gateway_service.auth.identity import Identity, PageUser
from gateway_service.formatting import label
from gateway_service.pages.assessments import ASSESSMENT_PAGE
from gateway_service.pages.common import (
    PPA_STATUSES,
    SECTORS,
    api,
    fetch,
    parse_id,
    query_filters,
    vendored,
)
from gateway_service.pages.portfolio import LIST_FILTERS, PPA_PAGE, record_filter_choices
from gateway_service.web import render
from obcms_platform.app import API_PREFIX

PORTFOLIO_TIMELINE = "/oobc-management/portfolio/timeline/"
PPA_TIMELINE = PPA_PAGE + "timeline/"
ASSESSMENT_TIMELINE = ASSESSMENT_PAGE + "timeline/"
GROUPINGS = ("sector", "status")
# The chart's scales (frappe-gantt's view modes).
VIEW_MODES = ("Day", "Week", "Month", "Year")
# A chart opens in the first scale whose limit (days from its first row's start to its last
# row's end) its rows fit in, so about a screen holds them: a month by days, a quarter by
# weeks, a few years by months (a year of PPAs: January to December), longer by years.
VIEW_MODE_SPANS = (("Day", 31), ("Week", 120), ("Month", 4 * 366))

router = APIRouter(include_in_schema=False)


def _chart_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows).replace("<", "\\u003c")


def gantt_assets() -> dict[str, str | None]:
    return {
        "script": vendored("frappe-gantt"),
        "style": "/static/vendor/frappe-gantt/frappe-gantt.css",
    }


def _bar(
    row_id: str,
    name: str,
    kind: str,
    start: str,
    end: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One row of the chart: a bar from `start` to `end` (inclusive days; one day without an
    end), `kind` its look (ppa, stage, milestone, task, group)."""
    return {
        "id": row_id,
        "name": name,
        "start": start,
        "end": end or start,
        "progress": 0,
        "kind": kind,
        "movable": False,
        **extra,
    }


def _ppa_rows(ppa: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The chart rows of one PPA (its bar, its stages with a due date, its milestones) and
    its table entry."""
    url = PPA_PAGE.format(ppa_id=ppa["id"])
    dated = [day for day in (ppa["start_date"], ppa["target_end_date"]) if day]
    dated += [m["date"] for m in ppa["milestones"]] + [
        s["due_date"] for s in ppa["stages"] if s["due_date"]
    ]
    rows: list[dict[str, Any]] = []
    if dated:
        start = ppa["start_date"] or min(dated)
        end = ppa["target_end_date"] or max(dated)
        rows.append(
            _bar(
                f"ppa-{ppa['id']}",
                ppa["title"],
                "ppa",
                min(start, end),
                max(start, end),
                progress=ppa["progress"],
                url=url,
                status=ppa["status"],
            )
        )
    for stage in ppa["stages"]:
        if stage["due_date"]:
            rows.append(
                _bar(
                    f"stage-{stage['id']}",
                    f"{ppa['title']}: {label(stage['stage'])}",
                    "stage",
                    stage["due_date"],
                    url=url + "#workflow",
                    stage=stage["stage"],
                    status=stage["status"],
                )
            )
    for milestone in ppa["milestones"]:
        rows.append(
            _bar(
                f"milestone-{milestone['id']}",
                milestone["title"],
                "milestone",
                milestone["date"],
                url=url + "#milestones",
                status=milestone["status"],
                movable=ppa["milestones_editable"],
                version=milestone["version"],
                apiUrl=f"{API_PREFIX}/ppas/{ppa['id']}/milestones/{milestone['id']}",
                dateFields=["date"],
            )
        )
    return rows, {**ppa, "url": url}


@router.get(PORTFOLIO_TIMELINE)
async def portfolio_timeline(request: Request, user: PageUser) -> Response:
    filters = query_filters(request, LIST_FILTERS)
    group_by = request.query_params.get("group_by", "sector")
    group_by = group_by if group_by in GROUPINGS else "sector"
    reply = await api(
        request,
        user,
        "portfolio",
        "GET",
        "/portfolio/timeline",
        params=[*filters, ("group_by", group_by)],
    )
    error = None if reply.ok else reply.as_error()
    data: dict[str, Any] | None = reply.body if reply.ok else None
    rows: list[dict[str, Any]] = []
    groups: list[dict[str, Any]] = []
    for group in data["groups"] if data else []:
        entries = []
        group_rows: list[dict[str, Any]] = []
        for ppa in group["ppas"]:
            chart_rows, entry = _ppa_rows(ppa)
            group_rows += chart_rows
            entries.append(entry)
        groups.append({"key": group["key"], "ppas": entries})
        if group_rows:
            count = len(entries)
            heading = f"{label(group['key'])}: {count} PPA{'' if count == 1 else 's'}"
            rows.append(
                _bar(
                    f"group-{group['key']}",
                    heading,
                    "group",
                    min(row["start"] for row in group_rows),
                    max(row["end"] for row in group_rows),
                )
            )
            rows += group_rows
    return render(
        request,
        "timeline.html",
        {
            "data": data,
            "error": error,
            "groups": groups,
            "group_by": group_by,
            "groupings": GROUPINGS,
            "filters": dict(filters),
            "list_query": urlencode(filters),
            "statuses": PPA_STATUSES,
            "sectors": SECTORS,
            **record_filter_choices(),
            **_chart_context(rows),
        },
        status_code=error.status if error else 200,
    )


def view_mode_for(rows: list[dict[str, Any]]) -> str:
    """The scale a chart of `rows` opens in (see `VIEW_MODE_SPANS`)."""
    if not rows:
        return "Month"
    first = min(date.fromisoformat(row["start"]) for row in rows)
    last = max(date.fromisoformat(row["end"]) for row in rows)
    span = (last - first).days + 1
    return next((mode for mode, limit in VIEW_MODE_SPANS if span <= limit), "Year")


def _chart_context(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "chart_json": _chart_json(rows),
        "chart_rows": len(rows),
        "view_modes": VIEW_MODES,
        "view_mode": view_mode_for(rows),
        "gantt": gantt_assets(),
    }


def _task_rows(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The chart rows of tasks with a date: a task with a start and a due date a bar between
    them, one with only one of them a one-day bar on it; what it waits for as arrows."""
    shown = {task["id"] for task in tasks if task["start_date"] or task["due_date"]}
    rows = []
    for task in tasks:
        if task["id"] not in shown:
            continue
        start = task["start_date"] or task["due_date"]
        end = task["due_date"] or task["start_date"]
        rows.append(
            _bar(
                task["id"],
                task["title"],
                "task",
                start,
                end,
                dependencies=",".join(dep for dep in task["depends_on"] if dep in shown),
                url=f"/oobc-management/staff/tasks/{task['id']}/",
                status=task["status"],
                movable=task["editable"],
                version=task["version"],
                apiUrl=f"{API_PREFIX}/tasks/{task['id']}",
                # Moving a task moves its due date, and its start when it has one.
                dateFields=[name for name in ("start_date", "due_date") if task[name]],
            )
        )
    return rows


async def _tasks_page(
    request: Request,
    user: Identity,
    *,
    record: dict[str, Any],
    kind: str,
    record_url: str,
    params: dict[str, str],
) -> Response:
    body = await fetch(request, user, "tasks", "/tasks/timeline", params=params)
    tasks: list[dict[str, Any]] = body["items"]
    titles = {task["id"]: task["title"] for task in tasks}
    return render(
        request,
        "timeline_tasks.html",
        {
            "record": record,
            "kind": kind,
            "record_url": record_url,
            "tasks": tasks,
            "titles": titles,
            "total": body["total"],
            "shown": body["shown"],
            **_chart_context(_task_rows(tasks)),
        },
    )


@router.get(PPA_TIMELINE)
async def ppa_timeline(request: Request, user: PageUser, ppa_id: str) -> Response:
    ppa_id = parse_id(ppa_id, "PPA")
    ppa = await fetch(request, user, "portfolio", f"/ppas/{ppa_id}")
    return await _tasks_page(
        request,
        user,
        record=ppa,
        kind="PPA",
        record_url=PPA_PAGE.format(ppa_id=ppa_id),
        params={"related_ppa_id": ppa_id},
    )


@router.get(ASSESSMENT_TIMELINE)
async def assessment_timeline(request: Request, user: PageUser, assessment_id: str) -> Response:
    assessment_id = parse_id(assessment_id, "assessment")
    assessment = await fetch(request, user, "portfolio", f"/assessments/{assessment_id}")
    return await _tasks_page(
        request,
        user,
        record=assessment,
        kind="assessment",
        record_url=ASSESSMENT_PAGE.format(assessment_id=assessment_id),
        params={"related_assessment_id": assessment_id},
    )
