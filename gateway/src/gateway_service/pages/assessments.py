"""Assessment (MANA) and community need pages: lists, "New …" and edit forms (errors beside
their fields, all at once; edits carry the record's version as If-Match, and a stale save
names who changed it), details, deletions asked first, and a need's PPAs, linked and
unlinked one at a time.

Edit, Delete and the link controls are offered to those the portfolio's rules let change the
record (`may_change`); the service stays the judge."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from gateway_service.auth.identity import PageUser
from gateway_service.pages.activity import name_fields
from gateway_service.pages.collaboration import panel
from gateway_service.pages.common import (
    ASSESSMENT_LEVELS,
    ASSESSMENT_STATUSES,
    FEASIBILITY,
    METHODOLOGIES,
    NEED_STATUSES,
    URGENCY_LEVELS,
    UUID_PATTERN,
    FormError,
    api,
    fetch,
    fetch_items,
    parse_id,
    read_form,
    read_state,
    redirect,
)
from gateway_service.pages.record_forms import (
    Deletion,
    Field,
    FormState,
    confirm_deletion,
    delete_record,
    ensure_may_change,
    export_list,
    list_page,
    may_change,
    parse,
    save_edit,
    save_new,
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
    Field(
        "planned_end_date",
        "Planned end",
        "date",
        clearable=True,
        not_before="planned_start_date",
    ),
    Field("location", "Location", max_length=255),
    Field("community", "Community", max_length=255),
    Field("description", "Description", max_length=20_000),
)
# The choices a list's filters and a form's selects offer (the templates' names for them).
ASSESSMENT_CHOICES = {
    "methodologies": METHODOLOGIES,
    "statuses": ASSESSMENT_STATUSES,
    "levels": ASSESSMENT_LEVELS,
}
NEED_CHOICES = {"statuses": NEED_STATUSES, "urgency_levels": URGENCY_LEVELS}
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
name_fields({spec.name: spec.title for spec in (*ASSESSMENT_FIELDS, *NEED_FIELDS)})
# `?saved=` words a need page says about one of its links ("PPA linked"); others are the need's.
LINK_WORDS = frozenset({"linked", "unlinked"})

router = APIRouter(include_in_schema=False)


def _form_of(specs: tuple[Field, ...]) -> Callable[[dict[str, Any]], dict[str, str]]:
    """How its edit form shows a record of `specs`."""

    def as_form(record: dict[str, Any]) -> dict[str, str]:
        return {spec.name: spec.shown(record.get(spec.name)) for spec in specs}

    return as_form


def _inputs(form: dict[str, str], specs: tuple[Field, ...]) -> dict[str, str]:
    """The inputs of `specs` the form sent (a disabled one is not sent)."""
    return {spec.name: form[spec.name] for spec in specs if spec.name in form}


_assessment_as_form = _form_of(ASSESSMENT_FIELDS)
_need_as_form = _form_of(NEED_FIELDS)


# -- assessments -----------------------------------------------------------------------------


ASSESSMENT_FILTERS = ("status", "primary_methodology", "assessment_level", "q")
NEED_FILTERS = ("status", "urgency_level", "addressed", "q")


@router.get(ASSESSMENTS)
async def assessment_list(request: Request, user: PageUser) -> Response:
    context = {**ASSESSMENT_CHOICES, "saved_subject": "Assessment"}
    return await list_page(
        request,
        user,
        "assessments.html",
        "/assessments",
        ASSESSMENT_FILTERS,
        context,
        exported_as="assessments",
    )


@router.get(ASSESSMENTS + "export/")
async def assessment_export(request: Request, user: PageUser) -> Response:
    """The assessment list's rows under the page's filters, as CSV or Excel."""
    return await export_list(
        request, user, "/assessments", ASSESSMENT_FILTERS, "the assessment list"
    )


async def _assessment_form(
    request: Request, form: dict[str, str], state: FormState = FormState()
) -> Response:
    assessment = state.record
    page = ASSESSMENT_PAGE.format(assessment_id=assessment["id"]) if assessment else None
    return render(
        request,
        "assessment_form.html",
        {
            "assessment": assessment,
            **state.context(form, _assessment_as_form, page, ASSESSMENTS),
            **ASSESSMENT_CHOICES,
        },
        status_code=state.status,
    )


@router.get(ASSESSMENTS + "new/")
async def assessment_new(request: Request, user: PageUser) -> Response:
    return await _assessment_form(request, {"status": "planning"})


@router.post(ASSESSMENTS + "create/")
async def assessment_create(request: Request, user: PageUser) -> Response:
    form, _ = await read_form(request)
    return await save_new(
        request,
        user,
        "/assessments",
        parse(form, ASSESSMENT_FIELDS),
        ASSESSMENT_FIELDS,
        partial(_assessment_form, request),
        lambda new_id: ASSESSMENT_PAGE.format(assessment_id=new_id) + "?saved=created",
        typed=form,
    )


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
    owner = may_change(user, assessment)
    collab = await panel(request, user, "assessment", assessment_id, may_change_record=owner)
    return render(
        request,
        "assessment_detail.html",
        {
            "assessment": assessment,
            "tasks": tasks,
            "tasks_done": sum(1 for task in tasks if task["status"] == "completed"),
            "needs": needs,
            "may_change": owner,
            "activity": collab.entries,
            "activity_total": collab.history_total,
            "collab": collab,
            "saved_subject": "Assessment",
        },
    )


@router.get(ASSESSMENT_PAGE + "edit/")
async def assessment_edit_form(request: Request, user: PageUser, assessment_id: str) -> Response:
    path = f"/assessments/{parse_id(assessment_id, 'assessment')}"
    assessment = await fetch(request, user, "portfolio", path)
    ensure_may_change(user, assessment, "assessment")
    return await _assessment_form(
        request,
        _assessment_as_form(assessment),
        FormState(assessment, str(assessment["version"])),
    )


@router.post(ASSESSMENT_PAGE + "edit/")
async def assessment_edit(request: Request, user: PageUser, assessment_id: str) -> Response:
    assessment_id = parse_id(assessment_id, "assessment")
    form, _ = await read_form(request)
    return await save_edit(
        request,
        user,
        f"/assessments/{assessment_id}",
        "assessment",
        parsed=parse(form, ASSESSMENT_FIELDS, edit=True),
        typed=_inputs(form, ASSESSMENT_FIELDS),
        read=read_state(form),
        version=form.get("version", ""),
        specs=ASSESSMENT_FIELDS,
        show_form=partial(_assessment_form, request),
        as_form=_assessment_as_form,
        saved_url=ASSESSMENT_PAGE.format(assessment_id=assessment_id) + "?saved=saved",
    )


def _assessment_deletion(assessment: dict[str, Any]) -> Deletion:
    return Deletion.of_record(
        assessment,
        ASSESSMENT_PAGE.format(assessment_id=assessment["id"]),
        heading=f"Delete the assessment “{assessment['title']}”?",
        consequence="Its needs stay, no longer linked to it; this cannot be undone.",
    )


@router.get(ASSESSMENT_PAGE + "delete/")
async def assessment_delete_confirm(
    request: Request, user: PageUser, assessment_id: str
) -> Response:
    path = f"/assessments/{parse_id(assessment_id, 'assessment')}"
    return await confirm_deletion(request, user, path, "assessment", _assessment_deletion)


@router.post(ASSESSMENT_PAGE + "delete/")
async def assessment_delete(request: Request, user: PageUser, assessment_id: str) -> Response:
    return await delete_record(
        request,
        user,
        f"/assessments/{parse_id(assessment_id, 'assessment')}",
        "assessment",
        deletion=_assessment_deletion,
        deleted_url=ASSESSMENTS + "?saved=deleted",
    )


# -- needs -----------------------------------------------------------------------------------


@router.get(NEEDS)
async def need_list(request: Request, user: PageUser) -> Response:
    assessments = await fetch_items(request, user, "portfolio", "/assessments")
    context = {
        **NEED_CHOICES,
        "assessment_titles": {a["id"]: a["title"] for a in assessments},
        "saved_subject": "Need",
    }
    return await list_page(
        request, user, "needs.html", "/needs", NEED_FILTERS, context, exported_as="needs"
    )


@router.get(NEEDS + "export/")
async def need_export(request: Request, user: PageUser) -> Response:
    """The need list's rows under the page's filters, as CSV or Excel."""
    return await export_list(request, user, "/needs", NEED_FILTERS, "the need list")


async def _need_form(
    request: Request, user: PageUser, form: dict[str, str], state: FormState = FormState()
) -> Response:
    assessments = await fetch_items(request, user, "portfolio", "/assessments")
    need = state.record
    page = NEED_PAGE.format(need_id=need["id"]) if need else None
    return render(
        request,
        "need_form.html",
        {
            "need": need,
            **state.context(form, _need_as_form, page, NEEDS),
            "assessments": assessments,
            **NEED_CHOICES,
            "feasibility": FEASIBILITY,
        },
        status_code=state.status,
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
    return await save_new(
        request,
        user,
        "/needs",
        parse(form, NEED_FIELDS),
        NEED_FIELDS,
        partial(_need_form, request, user),
        lambda new_id: NEED_PAGE.format(need_id=new_id) + "?saved=created",
        typed=form,
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
    collab = await panel(request, user, "need", need_id)
    return render(
        request,
        "need_detail.html",
        {
            "need": need,
            "activity": collab.entries,
            "activity_total": collab.history_total,
            "collab": collab,
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
    return await _need_form(
        request, user, _need_as_form(need), FormState(need, str(need["version"]))
    )


@router.post(NEED_PAGE + "edit/")
async def need_edit(request: Request, user: PageUser, need_id: str) -> Response:
    need_id = parse_id(need_id, "need")
    form, _ = await read_form(request)
    return await save_edit(
        request,
        user,
        f"/needs/{need_id}",
        "need",
        parsed=parse(form, NEED_FIELDS, edit=True),
        typed=_inputs(form, NEED_FIELDS),
        read=read_state(form),
        version=form.get("version", ""),
        specs=NEED_FIELDS,
        show_form=partial(_need_form, request, user),
        as_form=_need_as_form,
        saved_url=NEED_PAGE.format(need_id=need_id) + "?saved=saved",
    )


def _need_deletion(need: dict[str, Any]) -> Deletion:
    return Deletion.of_record(
        need,
        NEED_PAGE.format(need_id=need["id"]),
        heading=f"Delete the need “{need['title']}”?",
        consequence="Its links to PPAs go with it (the PPAs stay); this cannot be undone.",
    )


@router.get(NEED_PAGE + "delete/")
async def need_delete_confirm(request: Request, user: PageUser, need_id: str) -> Response:
    path = f"/needs/{parse_id(need_id, 'need')}"
    return await confirm_deletion(request, user, path, "need", _need_deletion)


@router.post(NEED_PAGE + "delete/")
async def need_delete(request: Request, user: PageUser, need_id: str) -> Response:
    return await delete_record(
        request,
        user,
        f"/needs/{parse_id(need_id, 'need')}",
        "need",
        deletion=_need_deletion,
        deleted_url=NEEDS + "?saved=deleted",
    )


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
