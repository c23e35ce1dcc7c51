"""Assessment (MANA) and community need pages: lists, "New …" and edit forms (errors beside
their fields, all at once; edits carry the record's version as If-Match, and a stale save
names who changed it), details, deletions asked first, and a need's PPAs, linked and
unlinked one at a time.

Edit, Delete and the link controls are offered to those the portfolio's rules let change the
record (`may_change`); the service stays the judge."""

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
    Reply,
    api,
    fetch,
    fetch_items,
    offset_param,
    page_links,
    parse_id,
    read_form,
    redirect,
)
from gateway_service.pages.portfolio import confirm_page
from gateway_service.pages.record_forms import (
    Field,
    changed_since,
    ensure_may_change,
    may_change,
    parse,
    service_errors,
)
from gateway_service.web import render

ASSESSMENTS = "/oobc-management/portfolio/assessments/"
ASSESSMENT_PAGE = ASSESSMENTS + "{assessment_id}/"
NEEDS = "/oobc-management/portfolio/needs/"
NEED_PAGE = NEEDS + "{need_id}/"
ASSESSMENT_FIELDS = (
    Field("title", "Title", required=True),
    Field("primary_methodology", "Methodology", "choice", required=True, choices=METHODOLOGIES),
    Field("assessment_level", "Level", "choice", required=True, choices=ASSESSMENT_LEVELS),
    Field("status", "Status", "choice", choices=ASSESSMENT_STATUSES),
    Field("planned_start_date", "Planned start", "date", clearable=True),
    Field("planned_end_date", "Planned end", "date", clearable=True),
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
    Field("affected_population", "Affected population", "number", clearable=True),
    Field("community", "Community", max_length=255),
    Field("assessment_id", "Assessment", "id", clearable=True),
    Field("description", "Description", max_length=20_000),
)
# `?saved=` words a need page says about one of its links ("PPA linked"); others are the need's.
LINK_WORDS = frozenset({"linked", "unlinked"})

router = APIRouter(include_in_schema=False)


def _if_match(version: str) -> dict[str, str] | None:
    return {"If-Match": f'"{version}"'} if version.isdigit() else None


def _form_of(record: dict[str, Any], specs: tuple[Field, ...]) -> dict[str, str]:
    """A record as its edit form shows it."""
    return {
        spec.name: "" if record.get(spec.name) is None else str(record[spec.name]) for spec in specs
    }


async def _stale_or_none(
    request: Request, reply: Reply, thing: str, record: dict[str, Any]
) -> str | None:
    """After a 412, who changed `record` (its current state), else None."""
    return await changed_since(request, thing, record) if reply.status == 412 else None


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
            "saved_subject": "Assessment",
        },
        status_code=list_error.status if list_error else 200,
    )


def _assessment_form(
    request: Request,
    form: dict[str, str],
    *,
    assessment: dict[str, Any] | None = None,
    version: str = "",
    errors: dict[str, str] | None = None,
    general: str | None = None,
    stale: bool = False,
    status: int = 200,
) -> Response:
    """The new or edit form; after a stale save (`stale`) each input also says what
    `assessment` (its current state) holds now."""
    page = ASSESSMENT_PAGE.format(assessment_id=assessment["id"]) if assessment else None
    return render(
        request,
        "assessment_form.html",
        {
            "assessment": assessment,
            "form": form,
            "version": version,
            "errors": errors or {},
            "general_error": general,
            "stale": stale,
            "stored_now": _form_of(assessment, ASSESSMENT_FIELDS) if stale and assessment else {},
            "action": page + "edit/" if page else ASSESSMENTS + "create/",
            "back": page or ASSESSMENTS,
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
        return _assessment_form(request, form, errors=parsed.errors, status=422)
    reply = await api(request, user, "portfolio", "POST", "/assessments", json=parsed.payload)
    if reply.ok:
        return redirect(ASSESSMENT_PAGE.format(assessment_id=reply.body["id"]) + "?saved=created")
    errors, general = service_errors(reply, ASSESSMENT_FIELDS)
    return _assessment_form(request, form, errors=errors, general=general, status=reply.status)


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
            "may_change": may_change(user, assessment),
            "saved_subject": "Assessment",
        },
    )


@router.get(ASSESSMENT_PAGE + "edit/")
async def assessment_edit_form(request: Request, user: PageUser, assessment_id: str) -> Response:
    path = f"/assessments/{parse_id(assessment_id, 'assessment')}"
    assessment = await fetch(request, user, "portfolio", path)
    ensure_may_change(user, assessment, "assessment")
    form = _form_of(assessment, ASSESSMENT_FIELDS)
    return _assessment_form(
        request, form, assessment=assessment, version=str(assessment["version"])
    )


@router.post(ASSESSMENT_PAGE + "edit/")
async def assessment_edit(request: Request, user: PageUser, assessment_id: str) -> Response:
    path = f"/assessments/{parse_id(assessment_id, 'assessment')}"
    assessment = await fetch(request, user, "portfolio", path)
    form, _ = await read_form(request)
    version = form.get("version", "")
    parsed = parse(form, ASSESSMENT_FIELDS, edit=True)
    if parsed.errors:
        return _assessment_form(
            request,
            form,
            assessment=assessment,
            version=version,
            errors=parsed.errors,
            status=422,
        )
    reply = await api(
        request, user, "portfolio", "PATCH", path, json=parsed.payload, headers=_if_match(version)
    )
    if reply.ok:
        return redirect(ASSESSMENT_PAGE.format(assessment_id=assessment["id"]) + "?saved=saved")
    stale = reply.status == 412
    if stale:
        assessment = await fetch(request, user, "portfolio", path)
    errors, general = service_errors(
        reply,
        ASSESSMENT_FIELDS,
        stale=await _stale_or_none(request, reply, "assessment", assessment),
    )
    # The typed values stay, at the current version: saving again overwrites knowingly.
    return _assessment_form(
        request,
        form,
        assessment=assessment,
        version=str(assessment["version"]) if stale else version,
        errors=errors,
        general=general,
        stale=stale,
        status=reply.status,
    )


def _assessment_deletion(assessment: dict[str, Any]) -> dict[str, Any]:
    page = ASSESSMENT_PAGE.format(assessment_id=assessment["id"])
    return {
        "heading": f"Delete the assessment “{assessment['title']}”?",
        "consequence": "Its needs stay, no longer linked to it; this cannot be undone.",
        "post_to": page + "delete/",
        "back": page,
        "version": assessment["version"],
    }


@router.get(ASSESSMENT_PAGE + "delete/")
async def assessment_delete_confirm(
    request: Request, user: PageUser, assessment_id: str
) -> Response:
    path = f"/assessments/{parse_id(assessment_id, 'assessment')}"
    assessment = await fetch(request, user, "portfolio", path)
    ensure_may_change(user, assessment, "assessment")
    return await confirm_page(request, **_assessment_deletion(assessment))


@router.post(ASSESSMENT_PAGE + "delete/")
async def assessment_delete(request: Request, user: PageUser, assessment_id: str) -> Response:
    path = f"/assessments/{parse_id(assessment_id, 'assessment')}"
    assessment = await fetch(request, user, "portfolio", path)
    form, _ = await read_form(request)
    reply = await api(
        request, user, "portfolio", "DELETE", path, headers=_if_match(form.get("version", ""))
    )
    if reply.ok:
        return redirect(ASSESSMENTS + "?saved=deleted")
    if reply.status == 412:
        assessment = await fetch(request, user, "portfolio", path)
    stale = await _stale_or_none(request, reply, "assessment", assessment)
    _, general = service_errors(reply, (), stale=stale and stale + ": review it before deleting")
    return await confirm_page(
        request, **_assessment_deletion(assessment), error=general, status=reply.status
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
            "saved_subject": "Need",
        },
        status_code=list_error.status if list_error else 200,
    )


async def _need_form(
    request: Request,
    user: PageUser,
    form: dict[str, str],
    *,
    need: dict[str, Any] | None = None,
    version: str = "",
    errors: dict[str, str] | None = None,
    general: str | None = None,
    stale: bool = False,
    status: int = 200,
) -> Response:
    """The new or edit form; after a stale save (`stale`) each input also says what `need`
    (its current state) holds now."""
    assessments = await fetch_items(request, user, "portfolio", "/assessments")
    page = NEED_PAGE.format(need_id=need["id"]) if need else None
    return render(
        request,
        "need_form.html",
        {
            "need": need,
            "form": form,
            "version": version,
            "errors": errors or {},
            "general_error": general,
            "stale": stale,
            "stored_now": _form_of(need, NEED_FIELDS) if stale and need else {},
            "action": page + "edit/" if page else NEEDS + "create/",
            "back": page or NEEDS,
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
        return await _need_form(request, user, form, errors=parsed.errors, status=422)
    reply = await api(request, user, "portfolio", "POST", "/needs", json=parsed.payload)
    if reply.ok:
        return redirect(NEED_PAGE.format(need_id=reply.body["id"]) + "?saved=created")
    errors, general = service_errors(reply, NEED_FIELDS)
    return await _need_form(
        request, user, form, errors=errors, general=general, status=reply.status
    )


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
    saved = request.query_params.get("saved", "")
    return render(
        request,
        "need_detail.html",
        {
            "need": need,
            "linkable": [ppa for ppa in ppas if ppa["id"] not in need["ppa_ids"]],
            "titles": titles,
            "assessment": assessment,
            "error": error,
            "may_change": may_change(user, need),
            "saved_subject": "PPA" if saved in LINK_WORDS else "Need",
        },
        status_code=error.status if error else 200,
    )


@router.get(NEED_PAGE)
async def need_detail(request: Request, user: PageUser, need_id: str) -> Response:
    return await _need_page(request, user, parse_id(need_id, "need"))


@router.get(NEED_PAGE + "edit/")
async def need_edit_form(request: Request, user: PageUser, need_id: str) -> Response:
    need = await fetch(request, user, "portfolio", f"/needs/{parse_id(need_id, 'need')}")
    ensure_may_change(user, need, "need")
    form = _form_of(need, NEED_FIELDS)
    return await _need_form(request, user, form, need=need, version=str(need["version"]))


@router.post(NEED_PAGE + "edit/")
async def need_edit(request: Request, user: PageUser, need_id: str) -> Response:
    path = f"/needs/{parse_id(need_id, 'need')}"
    need = await fetch(request, user, "portfolio", path)
    form, _ = await read_form(request)
    version = form.get("version", "")
    parsed = parse(form, NEED_FIELDS, edit=True)
    if parsed.errors:
        return await _need_form(
            request, user, form, need=need, version=version, errors=parsed.errors, status=422
        )
    reply = await api(
        request, user, "portfolio", "PATCH", path, json=parsed.payload, headers=_if_match(version)
    )
    if reply.ok:
        return redirect(NEED_PAGE.format(need_id=need["id"]) + "?saved=saved")
    stale = reply.status == 412
    if stale:
        need = await fetch(request, user, "portfolio", path)
    errors, general = service_errors(
        reply, NEED_FIELDS, stale=await _stale_or_none(request, reply, "need", need)
    )
    # The typed values stay, at the current version: saving again overwrites knowingly.
    return await _need_form(
        request,
        user,
        form,
        need=need,
        version=str(need["version"]) if stale else version,
        errors=errors,
        general=general,
        stale=stale,
        status=reply.status,
    )


def _need_deletion(need: dict[str, Any]) -> dict[str, Any]:
    page = NEED_PAGE.format(need_id=need["id"])
    return {
        "heading": f"Delete the need “{need['title']}”?",
        "consequence": "Its links to PPAs go with it (the PPAs stay); this cannot be undone.",
        "post_to": page + "delete/",
        "back": page,
        "version": need["version"],
    }


@router.get(NEED_PAGE + "delete/")
async def need_delete_confirm(request: Request, user: PageUser, need_id: str) -> Response:
    need = await fetch(request, user, "portfolio", f"/needs/{parse_id(need_id, 'need')}")
    ensure_may_change(user, need, "need")
    return await confirm_page(request, **_need_deletion(need))


@router.post(NEED_PAGE + "delete/")
async def need_delete(request: Request, user: PageUser, need_id: str) -> Response:
    path = f"/needs/{parse_id(need_id, 'need')}"
    need = await fetch(request, user, "portfolio", path)
    form, _ = await read_form(request)
    reply = await api(
        request, user, "portfolio", "DELETE", path, headers=_if_match(form.get("version", ""))
    )
    if reply.ok:
        return redirect(NEEDS + "?saved=deleted")
    if reply.status == 412:
        need = await fetch(request, user, "portfolio", path)
    stale = await _stale_or_none(request, reply, "need", need)
    _, general = service_errors(reply, (), stale=stale and stale + ": review it before deleting")
    return await confirm_page(request, **_need_deletion(need), error=general, status=reply.status)


# -- a need's PPAs, one at a time ----------------------------------------------------------


async def _change_link(
    request: Request, user: PageUser, need_id: str, method: str, ppa_id: str, saved: str
) -> Response:
    """Add or remove one link (the service's per-link routes: the other links stay)."""
    reply = await api(request, user, "portfolio", method, f"/needs/{need_id}/ppas/{ppa_id}")
    if reply.ok:
        return redirect(NEED_PAGE.format(need_id=need_id) + f"?saved={saved}#ppas")
    return await _need_page(request, user, need_id, error=reply.as_error())


@router.post(NEED_PAGE + "ppas/")
async def need_link_ppa(request: Request, user: PageUser, need_id: str) -> Response:
    need_id = parse_id(need_id, "need")
    form, _ = await read_form(request)
    chosen = form.get("ppa_id", "")
    if not UUID_PATTERN.fullmatch(chosen):
        error = FormError(422, "Choose a PPA from the list", "ppa_id")
        return await _need_page(request, user, need_id, error=error)
    return await _change_link(request, user, need_id, "PUT", chosen.lower(), "linked")


@router.post(NEED_PAGE + "ppas/{ppa_id}/remove/")
async def need_unlink_ppa(request: Request, user: PageUser, need_id: str, ppa_id: str) -> Response:
    need_id, ppa_id = parse_id(need_id, "need"), parse_id(ppa_id, "PPA")
    return await _change_link(request, user, need_id, "DELETE", ppa_id, "unlinked")
