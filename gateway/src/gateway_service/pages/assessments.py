"""Assessment (MANA) and community need pages: lists, "New …" forms (errors beside their
fields), details, and the need -> PPA links, added and removed one at a time."""

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
    UUID_PATTERN,
    FormError,
    api,
    fetch,
    fetch_items,
    offset_param,
    page_links,
    parse_id,
    read_form,
    redirect,
)
from gateway_service.pages.record_forms import Field, parse, service_errors
from gateway_service.web import render
from obcms_platform.errors import NotFoundError

ASSESSMENTS = "/oobc-management/portfolio/assessments/"
ASSESSMENT_PAGE = ASSESSMENTS + "{assessment_id}/"
NEEDS = "/oobc-management/portfolio/needs/"
NEED_PAGE = NEEDS + "{need_id}/"
ASSESSMENT_FIELDS = (
    Field("title", "Title", required=True),
    Field("primary_methodology", "Methodology", "choice", required=True, choices=METHODOLOGIES),
    Field("assessment_level", "Level", "choice", required=True, choices=ASSESSMENT_LEVELS),
    Field("status", "Status", "choice", choices=ASSESSMENT_STATUSES),
    Field("planned_start_date", "Planned start", "date"),
    Field("planned_end_date", "Planned end", "date"),
    Field("location", "Location", max_length=255),
    Field("community", "Community", max_length=255),
    Field("description", "Description", max_length=20_000),
)
NEED_FIELDS = (
    Field("title", "Title", required=True),
    Field("status", "Status", "choice", choices=NEED_STATUSES),
    Field("urgency_level", "Urgency", "choice", choices=URGENCY_LEVELS),
    Field("impact_severity", "Impact severity", "number", low=1, high=5),
    Field("feasibility", "Feasibility", "choice", choices=FEASIBILITY),
    Field("affected_population", "Affected population", "number", high=1_000_000_000),
    Field("community", "Community", max_length=255),
    Field("assessment_id", "Assessment", "id"),
    Field("description", "Description", max_length=20_000),
)
STALE = "Someone changed this meanwhile: reload the page to see it"
NOTICES = {
    "created": "Saved",
    "linked": "PPA linked to this need",
    "unlinked": "PPA link removed",
}

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


@router.get(ASSESSMENTS)
async def assessment_list(request: Request, user: PageUser) -> Response:
    keys = ("status", "primary_methodology", "assessment_level", "q")
    filters = [(k, v) for k, v in request.query_params.multi_items() if k in keys and v]
    items, pages, list_error = await _paged(request, user, "/assessments", filters)
    return render(
        request,
        "assessments.html",
        {
            "assessments": items,
            "pages": pages,
            "filters": dict(filters),
            "list_error": list_error,
            "methodologies": METHODOLOGIES,
            "statuses": ASSESSMENT_STATUSES,
            "levels": ASSESSMENT_LEVELS,
        },
        status_code=list_error.status if list_error else 200,
    )


def _assessment_form(
    request: Request,
    form: dict[str, str],
    errors: dict[str, str] | None = None,
    general: str | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "assessment_form.html",
        {
            "form": form,
            "errors": errors or {},
            "general_error": general,
            "methodologies": METHODOLOGIES,
            "statuses": ASSESSMENT_STATUSES,
            "levels": ASSESSMENT_LEVELS,
        },
        status_code=status,
    )


@router.get(ASSESSMENTS + "new/")
async def assessment_new(request: Request, user: PageUser) -> Response:
    return _assessment_form(request, {"status": "planning"})


@router.post(ASSESSMENTS + "create/")
async def assessment_create(request: Request, user: PageUser) -> Response:
    form, _ = await read_form(request)
    parsed = parse(form, ASSESSMENT_FIELDS)
    if parsed.errors:
        return _assessment_form(request, form, parsed.errors, status=422)
    reply = await api(request, user, "portfolio", "POST", "/assessments", json=parsed.payload)
    if reply.ok:
        return redirect(ASSESSMENT_PAGE.format(assessment_id=reply.body["id"]) + "?saved=created")
    errors, general = service_errors(reply, ASSESSMENT_FIELDS, stale=STALE)
    return _assessment_form(request, form, errors, general, reply.status)


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
            "saved_subject": "Assessment",
        },
    )


# -- needs -----------------------------------------------------------------------------------


@router.get(NEEDS)
async def need_list(request: Request, user: PageUser) -> Response:
    keys = ("status", "urgency_level", "addressed", "q")
    filters = [(k, v) for k, v in request.query_params.multi_items() if k in keys and v]
    items, pages, list_error = await _paged(request, user, "/needs", filters)
    assessments = await fetch_items(request, user, "portfolio", "/assessments")
    return render(
        request,
        "needs.html",
        {
            "needs": items,
            "pages": pages,
            "filters": dict(filters),
            "list_error": list_error,
            "assessment_titles": {a["id"]: a["title"] for a in assessments},
            "statuses": NEED_STATUSES,
            "urgency_levels": URGENCY_LEVELS,
        },
        status_code=list_error.status if list_error else 200,
    )


async def _need_form(
    request: Request,
    user: PageUser,
    form: dict[str, str],
    errors: dict[str, str] | None = None,
    general: str | None = None,
    status: int = 200,
) -> Response:
    assessments = await fetch_items(request, user, "portfolio", "/assessments")
    return render(
        request,
        "need_form.html",
        {
            "form": form,
            "errors": errors or {},
            "general_error": general,
            "assessments": assessments,
            "statuses": NEED_STATUSES,
            "urgency_levels": URGENCY_LEVELS,
            "feasibility": FEASIBILITY,
        },
        status_code=status,
    )


@router.get(NEEDS + "new/")
async def need_new(request: Request, user: PageUser) -> Response:
    defaults = {
        "status": "identified",
        "urgency_level": "medium_term",
        "impact_severity": "3",
        "feasibility": "medium",
        "assessment_id": request.query_params.get("assessment_id", ""),
    }
    return await _need_form(request, user, defaults)


@router.post(NEEDS + "create/")
async def need_create(request: Request, user: PageUser) -> Response:
    form, _ = await read_form(request)
    parsed = parse(form, NEED_FIELDS)
    if parsed.errors:
        return await _need_form(request, user, form, parsed.errors, status=422)
    reply = await api(request, user, "portfolio", "POST", "/needs", json=parsed.payload)
    if reply.ok:
        return redirect(NEED_PAGE.format(need_id=reply.body["id"]) + "?saved=created")
    errors, general = service_errors(reply, NEED_FIELDS, stale=STALE)
    return await _need_form(request, user, form, errors, general, reply.status)


async def _need_page(
    request: Request,
    user: PageUser,
    need_id: str,
    *,
    error: FormError | None = None,
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
            "linkable": [ppa for ppa in ppas if ppa["id"] not in need["ppa_ids"]],
            "titles": titles,
            "assessment": assessment,
            "error": error,
            "notice": NOTICES.get(request.query_params.get("saved", "")),
        },
        status_code=error.status if error else 200,
    )


@router.get(NEED_PAGE)
async def need_detail(request: Request, user: PageUser, need_id: str) -> Response:
    return await _need_page(request, user, parse_id(need_id, "need"))


async def _set_links(
    request: Request, user: PageUser, need_id: str, ppa_ids: list[str], saved: str
) -> Response:
    """Store the need's PPA list (the service's one write: the complete list) after one
    addition or removal, read just before, so the other links stay."""
    body = {"ppa_ids": ppa_ids}
    reply = await api(request, user, "portfolio", "PUT", f"/needs/{need_id}/ppas", json=body)
    if reply.ok:
        return redirect(NEED_PAGE.format(need_id=need_id) + f"?saved={saved}#ppas")
    return await _need_page(request, user, need_id, error=reply.as_error())


@router.post(NEED_PAGE + "ppas/")
async def need_link_ppa(request: Request, user: PageUser, need_id: str) -> Response:
    need_id = parse_id(need_id, "need")
    form, _ = await read_form(request)
    need = await fetch(request, user, "portfolio", f"/needs/{need_id}")
    chosen = form.get("ppa_id", "")
    if not UUID_PATTERN.fullmatch(chosen):
        error = FormError(422, "Choose a PPA from the list", "ppa_id")
        return await _need_page(request, user, need_id, error=error)
    linked = [str(ppa) for ppa in need["ppa_ids"]]
    return await _set_links(request, user, need_id, [*linked, chosen.lower()], "linked")


@router.get(NEED_PAGE + "ppas/{ppa_id}/remove/")
async def need_unlink_confirm(
    request: Request, user: PageUser, need_id: str, ppa_id: str
) -> Response:
    need_id, ppa_id = parse_id(need_id, "need"), parse_id(ppa_id, "PPA")
    need = await fetch(request, user, "portfolio", f"/needs/{need_id}")
    if ppa_id not in need["ppa_ids"]:
        raise NotFoundError("PPA link", ppa_id)
    ppa = await fetch(request, user, "portfolio", f"/ppas/{ppa_id}")
    page = NEED_PAGE.format(need_id=need_id)
    return render(
        request,
        "ppa_confirm.html",
        {
            "heading": f"Remove the link to “{ppa['title']}”?",
            "consequence": f"The need “{need['title']}” will no longer be listed as addressed "
            "by this PPA. The PPA itself and the need's other links stay.",
            "post_to": page + f"ppas/{ppa_id}/remove/",
            "back": page,
            "version": None,
            "error": None,
        },
    )


@router.post(NEED_PAGE + "ppas/{ppa_id}/remove/")
async def need_unlink_ppa(request: Request, user: PageUser, need_id: str, ppa_id: str) -> Response:
    need_id, ppa_id = parse_id(need_id, "need"), parse_id(ppa_id, "PPA")
    need = await fetch(request, user, "portfolio", f"/needs/{need_id}")
    remaining = [str(ppa) for ppa in need["ppa_ids"] if str(ppa) != ppa_id]
    return await _set_links(request, user, need_id, remaining, "unlinked")
