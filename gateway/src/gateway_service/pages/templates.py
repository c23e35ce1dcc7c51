"""Task template pages: the templates the tasks service generates tasks from (a new PPA's
budget cycle, an assessment's, a meeting's preparation), each with its tasks in order and the
day each falls on, and for a manager the form that changes them: titles, days, priorities,
tasks added or dropped, the template switched off.

Templates have no version (``PUT /task-templates/{name}`` replaces one whole): the form
carries the moment the template was last changed as it was opened, and a save finding another
is refused with the colleague's change shown, so nobody's change is overwritten unseen.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from gateway_service.auth.identity import Identity, PageUser
from gateway_service.pages.common import (
    TASK_PRIORITIES,
    api,
    fetch,
    is_manager,
    read_form,
    redirect,
    refusal_errors,
)
from gateway_service.web import render
from obcms_platform.formatting import label
from obcms_platform.vocabulary import TEMPLATE_PLACEHOLDERS

TEMPLATES_PAGE = "/oobc-management/staff/task-templates/"
TEMPLATE_PAGE = TEMPLATES_PAGE + "{template}/"
# Empty rows the form offers for new tasks.
NEW_ROWS = 3
# The tasks service's limits of `days_from_start`: days after the start (negative: before).
MAX_DAYS = 3650
MAX_DAYS_BEFORE = 365

router = APIRouter(include_in_schema=False)


@router.get(TEMPLATES_PAGE)
async def templates_page(request: Request, user: PageUser) -> Response:
    templates = await fetch(request, user, "tasks", "/task-templates")
    listed = sorted(templates, key=lambda t: (not t["is_active"], label(t["name"])))
    return render(request, "task_templates.html", {"templates": listed})


async def _template(request: Request, user: Identity, name: str) -> dict[str, Any]:
    template: dict[str, Any] = await fetch(request, user, "tasks", f"/task-templates/{name}")
    return template


def _rows(template: dict[str, Any]) -> list[dict[str, str]]:
    """The form's rows: the template's tasks, then empty ones for new tasks."""
    rows = [
        {
            "title": item["title"],
            "days": str(item["days_from_start"]),
            "priority": item["priority"],
            "item_description": item["description"],
            "hours": "" if item["estimated_hours"] is None else str(item["estimated_hours"]),
        }
        for item in template["items"]
    ]
    blank = {"title": "", "days": "", "priority": "medium", "item_description": "", "hours": ""}
    return rows + [dict(blank) for _ in range(NEW_ROWS)]


def _placeholders(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Each placeholder a title may hold (``{event_title}``), the record whose title it
    becomes ("event"), and whether the template's tasks hold it."""
    texts = " ".join(item["title"] + " " + item["description"] for item in template["items"])
    return [
        {"code": f"{{{name}}}", "record": record, "used": f"{{{name}}}" in texts}
        for name, record in TEMPLATE_PLACEHOLDERS.items()
    ]


async def _template_page(
    request: Request,
    user: Identity,
    template: dict[str, Any],
    *,
    rows: list[dict[str, str]] | None = None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    general: str | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "task_template.html",
        {
            "template": template,
            "rows": rows or _rows(template),
            "placeholders": _placeholders(template),
            "form": form or {"description": template["description"]},
            "errors": errors or {},
            "general_error": general,
            "may_change": is_manager(user),
            "priorities": TASK_PRIORITIES,
            "saved_subject": "Template",
        },
        status_code=status,
    )


@router.get(TEMPLATE_PAGE)
async def template_detail(request: Request, user: PageUser, template: str) -> Response:
    return await _template_page(request, user, await _template(request, user, template))


def _typed_rows(submitted: FormData) -> list[dict[str, str]]:
    """The rows as typed, in order (each input a list of the rows' values)."""
    columns = {
        name: [str(value).strip() for value in submitted.getlist(name)]
        for name in ("title", "days", "priority", "item_description", "hours")
    }
    count = len(columns["title"])
    return [
        {name: (values[at] if at < len(values) else "") for name, values in columns.items()}
        for at in range(count)
    ]


def _items(rows: list[dict[str, str]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The template's tasks from the rows (a row without a title is dropped) and what is
    wrong with them, by input (``days-3``: the fourth row's days)."""
    items: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for at, row in enumerate(rows):
        if not row["title"]:
            continue
        days = row["days"].replace("\N{MINUS SIGN}", "-") or "0"
        if not days.lstrip("-").isdigit() or not -MAX_DAYS_BEFORE <= int(days) <= MAX_DAYS:
            errors[f"days-{at}"] = (
                f"A whole number of days from -{MAX_DAYS_BEFORE} (before the start) to {MAX_DAYS}"
            )
            continue
        item: dict[str, Any] = {
            "title": row["title"],
            "days_from_start": int(days),
            "priority": row["priority"] or "medium",
            "description": row["item_description"],
        }
        if row["hours"]:
            item["estimated_hours"] = row["hours"]
        items.append(item)
    return items, errors


@router.post(TEMPLATE_PAGE)
async def template_save(request: Request, user: PageUser, template: str) -> Response:
    stored = await _template(request, user, template)
    values, submitted = await read_form(request)
    rows = _typed_rows(submitted)
    items, errors = _items(rows)
    if not items and not errors:
        errors["title-0"] = "A template needs at least one task: give it a title"

    async def again(
        errors: dict[str, str], general: str | None = None, status: int = 422
    ) -> Response:
        return await _template_page(
            request,
            user,
            stored,
            rows=rows,
            form=values,
            errors=errors,
            general=general,
            status=status,
        )

    if values.get("read_at") != stored["updated_at"]:
        # A colleague's change: shown as it is now (not under what was typed over the old).
        return await _template_page(
            request,
            user,
            stored,
            general="Someone changed this template since you opened it: the form shows it as "
            "it is now. Make your change again.",
            status=412,
        )
    if errors:
        return await again(errors)
    body = {
        "domain": stored["domain"],
        "description": values.get("description", ""),
        "is_active": not values.get("inactive"),
        "items": items,
    }
    reply = await api(request, user, "tasks", "PUT", f"/task-templates/{template}", json=body)
    if reply.ok:
        return redirect(TEMPLATE_PAGE.format(template=template) + "?saved=saved")
    field_errors, general = refusal_errors(reply, {"description": "description"})
    return await again(field_errors, general, reply.status)
