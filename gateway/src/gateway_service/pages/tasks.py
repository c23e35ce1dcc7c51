"""Task detail page: edit form, complete / reopen, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from gateway_service.auth.identity import PageUser
from gateway_service.pages.common import (
    TASK_DOMAINS,
    TASK_PRIORITIES,
    TASK_STATUSES,
    FormError,
    api,
    fetch,
    fetch_items,
    parse_id,
    read_form,
    redirect,
    update_payload,
    user_ids_for,
    user_names,
    usernames,
)
from gateway_service.web import render

TASKS_PAGE = "/oobc-management/staff/tasks/"
TASK_PAGE = TASKS_PAGE + "{task_id}/"
EDIT_FIELDS = ("title", "description", "domain", "status", "priority", "start_date", "due_date")
CLEARABLE = ("start_date", "due_date")

router = APIRouter(include_in_schema=False)


def task_url(task_id: str) -> str:
    return TASK_PAGE.format(task_id=task_id)


async def _task_page(
    request: Request,
    user: PageUser,
    task_id: str,
    *,
    error: FormError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    task = await fetch(request, user, "tasks", f"/tasks/{task_id}")
    teams = await fetch_items(request, user, "tasks", "/teams")
    names = await user_names(request, [*task["assignee_ids"], task["created_by"]])
    logins = await usernames(request, task["assignee_ids"])
    related = None
    if task.get("related_ppa_id"):
        related = ("PPA", f"/oobc-management/portfolio/ppas/{task['related_ppa_id']}/")
    elif task.get("related_assessment_id"):
        related = (
            "Assessment",
            f"/oobc-management/portfolio/assessments/{task['related_assessment_id']}/",
        )
    elif task.get("related_event_id"):
        related = ("Event", f"/oobc-management/calendar/events/{task['related_event_id']}/")
    assignees = ", ".join(logins.get(a, a) for a in task["assignee_ids"] if a != str(user.id))
    return render(
        request,
        "task_detail.html",
        {
            "task": task,
            "teams": teams,
            "names": names,
            "related": related,
            "assigned_to_me": str(user.id) in task["assignee_ids"],
            "assignees_text": form.get("assignees", assignees) if form else assignees,
            "form": form or task,
            "error": error,
            "domains": TASK_DOMAINS,
            "statuses": TASK_STATUSES,
            "priorities": TASK_PRIORITIES,
        },
        status_code=error.status if error else 200,
    )


@router.get(TASK_PAGE)
async def task_detail(request: Request, user: PageUser, task_id: str) -> Response:
    return await _task_page(request, user, parse_id(task_id, "task"))


async def _patch(
    request: Request, user: PageUser, task_id: str, payload: dict[str, Any], form: dict[str, str]
) -> Response:
    reply = await api(request, user, "tasks", "PATCH", f"/tasks/{task_id}", json=payload)
    if reply.ok:
        return redirect(task_url(task_id))
    return await _task_page(request, user, task_id, error=reply.as_error(), form=form)


@router.post(TASK_PAGE + "edit/")
async def task_edit(request: Request, user: PageUser, task_id: str) -> Response:
    task_id = parse_id(task_id, "task")
    form, submitted = await read_form(request)
    payload = update_payload(form, EDIT_FIELDS, CLEARABLE)
    entries = [part.strip() for part in form.get("assignees", "").replace(";", ",").split(",")]
    ids, unknown = await user_ids_for(request, entries)
    if unknown:
        error = FormError(422, f"assignee_ids: no user {unknown[0]!r}", "assignee_ids")
        return await _task_page(request, user, task_id, error=error, form=form)
    if form.get("assign_to_me"):
        ids.append(str(user.id))
    payload["assignee_ids"] = list(dict.fromkeys(ids))
    payload["team_ids"] = [
        value for value in submitted.getlist("team_ids") if isinstance(value, str) and value
    ]
    return await _patch(request, user, task_id, payload, form)


@router.post(TASK_PAGE + "complete/")
async def task_complete(request: Request, user: PageUser, task_id: str) -> Response:
    task_id = parse_id(task_id, "task")
    return await _patch(request, user, task_id, {"status": "completed"}, {})


@router.post(TASK_PAGE + "reopen/")
async def task_reopen(request: Request, user: PageUser, task_id: str) -> Response:
    task_id = parse_id(task_id, "task")
    return await _patch(request, user, task_id, {"status": "in_progress"}, {})


@router.post(TASK_PAGE + "delete/")
async def task_delete(request: Request, user: PageUser, task_id: str) -> Response:
    task_id = parse_id(task_id, "task")
    reply = await api(request, user, "tasks", "DELETE", f"/tasks/{task_id}")
    if reply.ok:
        return redirect(TASKS_PAGE)
    return await _task_page(request, user, task_id, error=reply.as_error())
