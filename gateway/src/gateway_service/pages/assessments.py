"""Assessment (MANA) and community need pages: lists, create forms, details, and the
need -> PPA links (`PUT /needs/{id}/ppas`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from gateway_service.auth.identity import PageUser
from gateway_service.pages.common import (
    ASSESSMENT_LEVELS,
    ASSESSMENT_STATUSES,
    FEASIBILITY,
    METHODOLOGIES,
    NEED_STATUSES,
    PAGE_SIZE,
    URGENCY_LEVELS,
    FormError,
    api,
    create_payload,
    fetch,
    fetch_items,
    offset_param,
    page_links,
    parse_id,
    read_form,
    redirect,
)
from gateway_service.web import render

ASSESSMENTS = "/oobc-management/portfolio/assessments/"
ASSESSMENT_PAGE = ASSESSMENTS + "{assessment_id}/"
NEEDS = "/oobc-management/portfolio/needs/"
NEED_PAGE = NEEDS + "{need_id}/"
ASSESSMENT_FIELDS = (
    "title",
    "description",
    "primary_methodology",
    "status",
    "assessment_level",
    "planned_start_date",
    "planned_end_date",
    "location",
    "community",
)
NEED_FIELDS = (
    "title",
    "description",
    "status",
    "urgency_level",
    "impact_severity",
    "feasibility",
    "affected_population",
    "community",
    "assessment_id",
)

router = APIRouter(include_in_schema=False)


async def _paged(
    request: Request, user: PageUser, path: str, filters: list[tuple[str, str]]
) -> tuple[list[dict[str, Any]], dict[str, Any], FormError | None]:
    offset = offset_param(request)
    reply = await api(
        request,
        user,
        "portfolio",
        "GET",
        path,
        params=[*filters, ("limit", PAGE_SIZE), ("offset", offset)],
    )
    if not reply.ok:
        return [], page_links(request, 0, 0), reply.as_error()
    return reply.body["items"], page_links(request, reply.body["total"], offset), None


# -- assessments -----------------------------------------------------------------------------


async def _assessment_list_page(
    request: Request,
    user: PageUser,
    *,
    form: dict[str, str] | None = None,
    error: FormError | None = None,
) -> Response:
    keys = ("status", "primary_methodology", "assessment_level", "q")
    filters = [(k, v) for k, v in request.query_params.multi_items() if k in keys and v]
    items, pages, list_error = await _paged(request, user, "/assessments", filters)
    status = error.status if error else (list_error.status if list_error else 200)
    return render(
        request,
        "assessments.html",
        {
            "assessments": items,
            "pages": pages,
            "filters": dict(filters),
            "form": form or {},
            "error": error,
            "list_error": list_error,
            "methodologies": METHODOLOGIES,
            "statuses": ASSESSMENT_STATUSES,
            "levels": ASSESSMENT_LEVELS,
        },
        status_code=status,
    )


@router.get(ASSESSMENTS)
async def assessment_list(request: Request, user: PageUser) -> Response:
    return await _assessment_list_page(request, user)


@router.post(ASSESSMENTS + "create/")
async def assessment_create(request: Request, user: PageUser) -> Response:
    form, _ = await read_form(request)
    payload = create_payload(form, ASSESSMENT_FIELDS)
    reply = await api(request, user, "portfolio", "POST", "/assessments", json=payload)
    if reply.ok:
        return redirect(ASSESSMENT_PAGE.format(assessment_id=reply.body["id"]))
    return await _assessment_list_page(request, user, form=form, error=reply.as_error())


@router.get(ASSESSMENT_PAGE)
async def assessment_detail(request: Request, user: PageUser, assessment_id: str) -> Response:
    assessment_id = parse_id(assessment_id, "assessment")
    assessment = await fetch(request, user, "portfolio", f"/assessments/{assessment_id}")
    tasks = await fetch_items(
        request, user, "tasks", "/tasks", {"related_assessment_id": assessment_id}
    )
    needs = await fetch_items(
        request, user, "portfolio", "/needs", {"assessment_id": assessment_id}
    )
    return render(
        request,
        "assessment_detail.html",
        {
            "assessment": assessment,
            "tasks": tasks,
            "tasks_done": sum(1 for task in tasks if task["status"] == "completed"),
            "needs": needs,
        },
    )


# -- needs -----------------------------------------------------------------------------------


async def _need_list_page(
    request: Request,
    user: PageUser,
    *,
    form: dict[str, str] | None = None,
    error: FormError | None = None,
) -> Response:
    keys = ("status", "urgency_level", "addressed", "q")
    filters = [(k, v) for k, v in request.query_params.multi_items() if k in keys and v]
    items, pages, list_error = await _paged(request, user, "/needs", filters)
    assessments = await fetch_items(request, user, "portfolio", "/assessments")
    status = error.status if error else (list_error.status if list_error else 200)
    return render(
        request,
        "needs.html",
        {
            "needs": items,
            "pages": pages,
            "filters": dict(filters),
            "form": form or {},
            "error": error,
            "list_error": list_error,
            "assessments": assessments,
            "assessment_titles": {a["id"]: a["title"] for a in assessments},
            "statuses": NEED_STATUSES,
            "urgency_levels": URGENCY_LEVELS,
            "feasibility": FEASIBILITY,
        },
        status_code=status,
    )


@router.get(NEEDS)
async def need_list(request: Request, user: PageUser) -> Response:
    return await _need_list_page(request, user)


@router.post(NEEDS + "create/")
async def need_create(request: Request, user: PageUser) -> Response:
    form, submitted = await read_form(request)
    payload = create_payload(form, NEED_FIELDS)
    ppa_ids = [value for value in submitted.getlist("ppa_ids") if isinstance(value, str) and value]
    if ppa_ids:
        payload["ppa_ids"] = ppa_ids
    reply = await api(request, user, "portfolio", "POST", "/needs", json=payload)
    if reply.ok:
        return redirect(NEED_PAGE.format(need_id=reply.body["id"]))
    return await _need_list_page(request, user, form=form, error=reply.as_error())


async def _need_page(
    request: Request, user: PageUser, need_id: str, *, error: FormError | None = None
) -> Response:
    need = await fetch(request, user, "portfolio", f"/needs/{need_id}")
    ppas = await fetch_items(request, user, "portfolio", "/ppas")
    titles = {ppa["id"]: ppa["title"] for ppa in ppas}
    assessment = None
    if need.get("assessment_id"):
        reply = await api(
            request, user, "portfolio", "GET", f"/assessments/{need['assessment_id']}"
        )
        assessment = reply.body if reply.ok else None
    return render(
        request,
        "need_detail.html",
        {
            "need": need,
            "ppas": ppas,
            "titles": titles,
            "assessment": assessment,
            "error": error,
        },
        status_code=error.status if error else 200,
    )


@router.get(NEED_PAGE)
async def need_detail(request: Request, user: PageUser, need_id: str) -> Response:
    return await _need_page(request, user, parse_id(need_id, "need"))


@router.post(NEED_PAGE + "ppas/")
async def need_link_ppas(request: Request, user: PageUser, need_id: str) -> Response:
    need_id = parse_id(need_id, "need")
    _, submitted = await read_form(request)
    ppa_ids = [value for value in submitted.getlist("ppa_ids") if isinstance(value, str) and value]
    reply = await api(
        request, user, "portfolio", "PUT", f"/needs/{need_id}/ppas", json={"ppa_ids": ppa_ids}
    )
    if reply.ok:
        return redirect(NEED_PAGE.format(need_id=need_id))
    return await _need_page(request, user, need_id, error=reply.as_error())
