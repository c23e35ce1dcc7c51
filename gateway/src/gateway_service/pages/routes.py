"""Server-rendered pages: home, the staff task list and the task create form; the other
sections' routers (task detail, portfolio, resources, leave, events) are included below."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.responses import Response

from gateway_service.auth.identity import PageUser
from gateway_service.pages import account, assessments, events, leave, portfolio, resources, tasks
from gateway_service.pages.common import (
    PAGE_SIZE,
    TASK_DOMAINS,
    TASK_PRIORITIES,
    TASK_STATUSES,
    offset_param,
    page_links,
)
from gateway_service.proxy.clients import BackendClients
from gateway_service.web import render, wants_json
from obcms_platform.app import API_PREFIX
from obcms_platform.errors import ServiceUnavailableError, error_response

TASKS_PAGE = "/oobc-management/staff/tasks/"
TASK_CREATE = "/oobc-management/staff/tasks/create/"

# Choices shown in the task forms and filters (DOMAIN.md; the tasks service validates).
DOMAINS = TASK_DOMAINS
STATUSES = TASK_STATUSES
PRIORITIES = TASK_PRIORITIES
LIST_FILTERS = ("domain", "status", "priority", "assignee")
CREATE_FIELDS = ("title", "domain", "status", "priority", "due_date", "description")
REQUIRED_FIELDS = ("title", "domain", "status")
MY_TASKS = "/oobc-management/staff/tasks/mine/"

router = APIRouter(include_in_schema=False)


def _error_message(body: Any, fallback: str) -> str:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message") or fallback)
    return fallback


@router.get("/")
async def home(request: Request, user: PageUser) -> Response:
    return render(request, "home.html")


async def _task_list_page(
    request: Request,
    user: PageUser,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
    mine: bool = False,
) -> Response:
    backends: BackendClients = request.app.state.backends
    filters = [(k, v) for k, v in request.query_params.multi_items() if k in LIST_FILTERS and v]
    if mine:
        filters = [(k, v) for k, v in filters if k != "assignee"] + [("assignee", "me")]
    offset = offset_param(request)
    params = httpx.QueryParams(
        [*filters, ("limit", str(PAGE_SIZE)), ("offset", str(offset)), ("sort", "-created_at")]
    )
    upstream = await backends.call("tasks", "GET", f"{API_PREFIX}/tasks", user, params=params)
    tasks: list[dict[str, Any]] = []
    total = 0
    list_error = None
    if upstream.status_code == 200:
        body = upstream.json()
        tasks, total = body["items"], body["total"]
    elif upstream.status_code >= 500:
        raise ServiceUnavailableError(f"the tasks service answered {upstream.status_code}")
    else:
        list_error = _error_message(upstream.json(), "the task filters are invalid")
        status_code = max(status_code, upstream.status_code)
    return render(
        request,
        "tasks.html",
        {
            "tasks": tasks,
            "total": total,
            "filters": dict(filters),
            "form": form or {},
            "error": error,
            "list_error": list_error,
            "domains": DOMAINS,
            "statuses": STATUSES,
            "priorities": PRIORITIES,
            "pages": page_links(request, total, offset),
            "mine": mine,
        },
        status_code=status_code,
    )


@router.get(TASKS_PAGE)
async def task_list(request: Request, user: PageUser) -> Response:
    return await _task_list_page(request, user)


@router.get(MY_TASKS)
async def my_tasks(request: Request, user: PageUser) -> Response:
    """Tasks assigned to me, directly or through one of my teams."""
    return await _task_list_page(request, user, mine=True)


@router.post(TASK_CREATE)
async def task_create(request: Request, user: PageUser) -> Response:
    submitted = await request.form()
    form = {
        name: value.strip()
        for name in CREATE_FIELDS
        if isinstance(value := submitted.get(name), str)
    }
    missing = [name for name in REQUIRED_FIELDS if not form.get(name)]
    if missing:
        message = f"{missing[0]}: this field is required"
        if wants_json(request):
            return error_response(422, "validation_error", message, field=missing[0])
        return await _task_list_page(request, user, form=form, error=message, status_code=422)
    payload = {name: value for name, value in form.items() if value}
    backends: BackendClients = request.app.state.backends
    upstream = await backends.call("tasks", "POST", f"{API_PREFIX}/tasks", user, json=payload)
    if upstream.status_code >= 500:
        raise ServiceUnavailableError(f"the tasks service answered {upstream.status_code}")
    if wants_json(request):
        headers = {k: v for k, v in upstream.headers.items() if k.lower() in {"etag", "location"}}
        return JSONResponse(upstream.json(), status_code=upstream.status_code, headers=headers)
    if upstream.status_code == 201:
        return RedirectResponse(TASKS_PAGE, status_code=303)
    message = _error_message(upstream.json(), "the task could not be created")
    return await _task_list_page(
        request, user, form=form, error=message, status_code=upstream.status_code
    )


# After the routes above: `/tasks/mine/` must win over `/tasks/{task_id}/`.
for section in (tasks, portfolio, assessments, resources, leave, events, account):
    router.include_router(section.router)
