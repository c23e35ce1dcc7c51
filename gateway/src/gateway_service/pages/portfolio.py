"""Portfolio pages: the dashboard, the PPA list / create form and the PPA detail page
(milestones, budget workflow, approval, funding, linked needs, tasks, progress)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from gateway_service.auth.identity import Identity, PageUser
from gateway_service.pages.common import (
    APPROPRIATION_CLASSES,
    FUNDING_SOURCES,
    MILESTONE_STATUSES,
    PAGE_SIZE,
    PPA_CATEGORIES,
    PPA_PRIORITIES,
    PPA_STATUSES,
    SECTORS,
    STAGE_STATUSES,
    TRANCHE_TYPES,
    FormError,
    api,
    create_payload,
    fetch,
    fetch_items,
    is_admin,
    is_manager,
    offset_param,
    page_links,
    parse_id,
    read_form,
    redirect,
    update_payload,
    user_names,
    vendored,
)
from gateway_service.web import render

DASHBOARD = "/oobc-management/portfolio/"
PPAS = "/oobc-management/portfolio/ppas/"
PPA_PAGE = PPAS + "{ppa_id}/"
LIST_FILTERS = ("category", "status", "sector", "fiscal_year", "q")
PPA_FIELDS = (
    "title",
    "summary",
    "category",
    "status",
    "priority",
    "sector",
    "appropriation_class",
    "funding_source",
    "implementing_office",
    "fiscal_year",
    "plan_year",
    "start_date",
    "target_end_date",
    "actual_end_date",
    "budget_allocation",
    "budget_ceiling",
    "budget_currency",
)
PPA_CLEARABLE = (
    "sector",
    "appropriation_class",
    "funding_source",
    "fiscal_year",
    "plan_year",
    "start_date",
    "target_end_date",
    "actual_end_date",
    "budget_allocation",
    "budget_ceiling",
)

# The approval workflow (DOMAIN.md), used to offer only the moves the service accepts; the
# portfolio service decides (409 for a refused move, 403 for a missing role).
APPROVAL_MOVES: dict[str, tuple[str, ...]] = {
    "draft": ("technical_review",),
    "technical_review": ("budget_review", "rejected"),
    "budget_review": ("stakeholder_consultation", "executive_approval", "rejected"),
    "stakeholder_consultation": ("executive_approval", "rejected"),
    "executive_approval": ("approved", "rejected"),
    "approved": ("enacted",),
    "enacted": (),
    "rejected": ("draft",),
}
ADMIN_TARGETS = frozenset({"approved", "enacted"})

router = APIRouter(include_in_schema=False)


def ppa_url(ppa_id: str) -> str:
    return PPA_PAGE.format(ppa_id=ppa_id)


def approval_moves(user: Identity, current: str) -> list[str]:
    if not is_manager(user):
        return []
    return [m for m in APPROVAL_MOVES.get(current, ()) if m not in ADMIN_TARGETS or is_admin(user)]


# -- dashboard -------------------------------------------------------------------------------


@router.get(DASHBOARD)
async def dashboard(request: Request, user: PageUser) -> Response:
    fiscal_year = request.query_params.get("fiscal_year", "")
    reply = await api(
        request,
        user,
        "portfolio",
        "GET",
        "/portfolio/dashboard",
        params={"fiscal_year": fiscal_year},
    )
    error = None if reply.ok else reply.as_error()
    data: dict[str, Any] | None = reply.body if reply.ok else None
    charts = None
    if data is not None:
        charts = {
            "status": data["by_status"],
            "category": data["by_category"],
            "sector": data["by_sector"],
            "approval": data["by_approval_status"],
            "budget": {
                "allocated": data["budget"]["allocated"],
                "obligated": data["budget"]["obligated"],
                "disbursed": data["budget"]["disbursed"],
            },
        }
    return render(
        request,
        "portfolio_dashboard.html",
        {
            "data": data,
            "error": error,
            "fiscal_year": fiscal_year,
            "chart_js": vendored("chart"),
            "charts_json": json.dumps(charts).replace("<", "\\u003c") if charts else None,
        },
        status_code=error.status if error else 200,
    )


# -- PPA list and create ---------------------------------------------------------------------


async def _ppa_list_page(
    request: Request,
    user: PageUser,
    *,
    form: dict[str, str] | None = None,
    error: FormError | None = None,
) -> Response:
    filters = [(k, v) for k, v in request.query_params.multi_items() if k in LIST_FILTERS and v]
    offset = offset_param(request)
    reply = await api(
        request,
        user,
        "portfolio",
        "GET",
        "/ppas",
        params=[*filters, ("limit", PAGE_SIZE), ("offset", offset)],
    )
    ppas: list[dict[str, Any]] = reply.body["items"] if reply.ok else []
    total = reply.body["total"] if reply.ok else 0
    list_error = None if reply.ok else reply.as_error()
    status = error.status if error else (list_error.status if list_error else 200)
    return render(
        request,
        "ppas.html",
        {
            "ppas": ppas,
            "filters": dict(filters),
            "pages": page_links(request, total, offset),
            "form": form or {},
            "error": error,
            "list_error": list_error,
            "categories": PPA_CATEGORIES,
            "statuses": PPA_STATUSES,
            "priorities": PPA_PRIORITIES,
            "sectors": SECTORS,
            "appropriation_classes": APPROPRIATION_CLASSES,
            "funding_sources": FUNDING_SOURCES,
        },
        status_code=status,
    )


@router.get(PPAS)
async def ppa_list(request: Request, user: PageUser) -> Response:
    return await _ppa_list_page(request, user)


@router.post(PPAS + "create/")
async def ppa_create(request: Request, user: PageUser) -> Response:
    form, _ = await read_form(request)
    reply = await api(
        request, user, "portfolio", "POST", "/ppas", json=create_payload(form, PPA_FIELDS)
    )
    if reply.ok:
        return redirect(ppa_url(reply.body["id"]))
    return await _ppa_list_page(request, user, form=form, error=reply.as_error())


# -- PPA detail ------------------------------------------------------------------------------


async def _ppa_page(
    request: Request,
    user: PageUser,
    ppa_id: str,
    *,
    section: str | None = None,
    error: FormError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    ppa = await fetch(request, user, "portfolio", f"/ppas/{ppa_id}")
    workflow, funding, needs, tasks = await asyncio.gather(
        fetch(request, user, "portfolio", f"/ppas/{ppa_id}/workflow"),
        fetch(request, user, "portfolio", f"/ppas/{ppa_id}/funding"),
        fetch_items(request, user, "portfolio", "/needs", {"ppa_id": ppa_id}),
        fetch_items(request, user, "tasks", "/tasks", {"related_ppa_id": ppa_id}),
    )
    done = sum(1 for task in tasks if task["status"] == "completed")
    history = ppa["approval_history"]
    names = await user_names(request, [entry["changed_by"] for entry in history])
    return render(
        request,
        "ppa_detail.html",
        {
            "ppa": ppa,
            "workflow": workflow,
            "funding": funding,
            "needs": needs,
            "tasks": tasks,
            "tasks_done": done,
            "history": history,
            "names": names,
            "moves": approval_moves(user, ppa["approval_status"]),
            "can_manage": is_manager(user),
            "section": section,
            "error": error,
            "form": form or {},
            "edit": form if section == "edit" and form else ppa,
            "categories": PPA_CATEGORIES,
            "statuses": PPA_STATUSES,
            "priorities": PPA_PRIORITIES,
            "sectors": SECTORS,
            "appropriation_classes": APPROPRIATION_CLASSES,
            "funding_sources": FUNDING_SOURCES,
            "milestone_statuses": MILESTONE_STATUSES,
            "stage_statuses": STAGE_STATUSES,
            "tranche_types": TRANCHE_TYPES,
        },
        status_code=error.status if error else 200,
    )


@router.get(PPA_PAGE)
async def ppa_detail(request: Request, user: PageUser, ppa_id: str) -> Response:
    return await _ppa_page(request, user, parse_id(ppa_id, "PPA"))


async def _submit(
    request: Request,
    user: PageUser,
    ppa_id: str,
    section: str,
    method: str,
    path: str,
    payload: dict[str, Any] | None,
    form: dict[str, str],
    *,
    success: str | None = None,
) -> Response:
    reply = await api(request, user, "portfolio", method, path, json=payload)
    if reply.ok:
        return redirect(success or ppa_url(ppa_id) + f"#{section}")
    return await _ppa_page(
        request, user, ppa_id, section=section, error=reply.as_error(), form=form
    )


@router.post(PPA_PAGE + "edit/")
async def ppa_edit(request: Request, user: PageUser, ppa_id: str) -> Response:
    ppa_id = parse_id(ppa_id, "PPA")
    form, _ = await read_form(request)
    payload = update_payload(form, PPA_FIELDS, PPA_CLEARABLE)
    return await _submit(request, user, ppa_id, "edit", "PATCH", f"/ppas/{ppa_id}", payload, form)


@router.post(PPA_PAGE + "delete/")
async def ppa_delete(request: Request, user: PageUser, ppa_id: str) -> Response:
    ppa_id = parse_id(ppa_id, "PPA")
    return await _submit(
        request, user, ppa_id, "edit", "DELETE", f"/ppas/{ppa_id}", None, {}, success=PPAS
    )


@router.post(PPA_PAGE + "milestones/")
async def milestone_add(request: Request, user: PageUser, ppa_id: str) -> Response:
    ppa_id = parse_id(ppa_id, "PPA")
    form, _ = await read_form(request)
    payload = create_payload(form, ("title", "date", "status", "notes"))
    return await _submit(
        request, user, ppa_id, "milestones", "POST", f"/ppas/{ppa_id}/milestones", payload, form
    )


@router.post(PPA_PAGE + "milestones/{milestone_id}/")
async def milestone_update(
    request: Request, user: PageUser, ppa_id: str, milestone_id: str
) -> Response:
    ppa_id = parse_id(ppa_id, "PPA")
    milestone_id = parse_id(milestone_id, "milestone")
    form, _ = await read_form(request)
    payload = update_payload(form, ("title", "date", "status", "notes"))
    path = f"/ppas/{ppa_id}/milestones/{milestone_id}"
    return await _submit(request, user, ppa_id, "milestones", "PATCH", path, payload, form)


@router.post(PPA_PAGE + "workflow/{stage}/")
async def stage_update(request: Request, user: PageUser, ppa_id: str, stage: str) -> Response:
    ppa_id = parse_id(ppa_id, "PPA")
    form, _ = await read_form(request)
    payload = update_payload(form, ("status", "due_date", "notes"), ("due_date",))
    form["stage"] = stage
    path = f"/ppas/{ppa_id}/workflow/{stage}"
    return await _submit(request, user, ppa_id, "workflow", "PATCH", path, payload, form)


@router.post(PPA_PAGE + "approval/")
async def approval_move(request: Request, user: PageUser, ppa_id: str) -> Response:
    ppa_id = parse_id(ppa_id, "PPA")
    form, _ = await read_form(request)
    payload = {"to": form.get("to", ""), "note": form.get("note", "")}
    path = f"/ppas/{ppa_id}/approval"
    return await _submit(request, user, ppa_id, "approval", "POST", path, payload, form)


@router.post(PPA_PAGE + "funding/")
async def tranche_add(request: Request, user: PageUser, ppa_id: str) -> Response:
    ppa_id = parse_id(ppa_id, "PPA")
    form, _ = await read_form(request)
    payload = create_payload(form, ("tranche_type", "amount", "date", "notes"))
    path = f"/ppas/{ppa_id}/funding"
    return await _submit(request, user, ppa_id, "funding", "POST", path, payload, form)
