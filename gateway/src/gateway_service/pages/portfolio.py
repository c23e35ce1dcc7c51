"""Portfolio pages: the dashboard, the PPA list, the PPA form (new and edit, with If-Match),
the PPA page in sections (summary, budget & funding, milestones, indicators with their
actuals, the status-update log, workflow, approval, needs linked and unlinked one at a time,
tasks), the confirmation pages of deletions and the reversal of a funding tranche (its reason
asked first).

Every action redirects with ``?saved=<key>``; the page says the sentence `NOTICES` holds for
that key (a fixed vocabulary: the query's text is never shown)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from functools import cache, partial
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from gateway_service.auth.identity import Identity, PageUser
from gateway_service.formatting import format_day
from gateway_service.pages.activity import name_fields
from gateway_service.pages.collaboration import panel
from gateway_service.pages.common import (
    APPROPRIATION_CLASSES,
    CHOICES_LIMIT,
    FUNDING_SOURCES,
    INDICATOR_KINDS,
    MILESTONE_STATUSES,
    PPA_CATEGORIES,
    PPA_PRIORITIES,
    PPA_STATUSES,
    PPA_TAGS,
    SECTORS,
    STAGE_STATUSES,
    TRANCHE_TYPES,
    UUID_PATTERN,
    api,
    fetch,
    fetch_items,
    if_match,
    is_admin,
    is_manager,
    parse_id,
    query_filters,
    read_form,
    read_state,
    redirect,
    sort_links,
    user_names,
    vendored,
)
from gateway_service.pages.events import active_people, tom_select_assets, viewer_zone
from gateway_service.pages.record_forms import (
    Deletion,
    Field,
    FormState,
    Parsed,
    confirm_deletion,
    confirm_page,
    delete_record,
    ensure_may_change,
    export_list,
    list_page,
    may_change,
    parse,
    people_ids,
    save_edit,
    save_new,
    service_errors,
    with_unsent,
)
from gateway_service.pages.tasks import TASKS_PAGE
from gateway_service.web import render
from obcms_platform.approval import DELETABLE_STAGES, FROZEN_FIELDS, FROZEN_STAGES, offered_moves
from obcms_platform.errors import ForbiddenError, NotFoundError
from obcms_platform.formatting import label
from obcms_platform.psgc import Area, gazetteer
from obcms_platform.vocabulary import SUSTAINABLE_DEVELOPMENT_GOALS, ApprovalStatus, AreaLevel

DASHBOARD = "/oobc-management/portfolio/"
PPAS = "/oobc-management/portfolio/ppas/"
PPA_NEW = PPAS + "new/"
PPA_PAGE = PPAS + "{ppa_id}/"
PLACES_JSON = "/oobc-management/places.json"  # the coverage picker's search
PLACES_LIMIT = 30
# The filters on the PPA record (the list's and the dashboard's alike).
RECORD_FILTERS = ("region", "province", "tag", "sdg")
LIST_FILTERS = (
    "category",
    "status",
    "sector",
    "fiscal_year",
    "approval_status",
    "q",
    *RECORD_FILTERS,
    "at_risk",
    "over_budget",
    "sort",
)
# The PPA list's sortable headings (the service's sort keys; allocated: "Sort by" only) and
# its "Sort by".
PPA_SORT_TITLES = {
    "title": "Title",
    "status": "Status",
    "fiscal_year": "FY",
    "budget_allocation": "Budget",
    "allocated_total": "Allocated",
    "obligated_total": "Obligated",
    "disbursed_total": "Disbursed",
    "progress": "Progress",
}
PPA_DEFAULT_SORT = "-created_at"  # newest first
PPA_SORT_CHOICES = {
    "-created_at": "Newest first",
    "created_at": "Oldest first",
    "-updated_at": "Recently changed",
    "title": "Title A to Z",
    "status": "Status",
    "-budget_allocation": "Largest budget",
    "-allocated_total": "Most allocated",
    "-obligated_total": "Most obligated",
    "-disbursed_total": "Most disbursed",
    "-progress": "Most progress",
    "progress": "Least progress",
    "start_date": "Starting soonest",
    "target_end_date": "Ending soonest",
}
DASHBOARD_FILTERS = ("fiscal_year", *RECORD_FILTERS)
# The dashboard's inputs as it labels them (a refusal names the input the person sees).
DASHBOARD_INPUT_TITLES = {
    "fiscal_year": "Fiscal year",
    "stale_days": "Days without an update",
    "region": "Region",
    "province": "Province",
    "tag": "Tag",
    "sdg": "Sustainable Development Goal",
}
SDG_CODES = tuple(str(goal) for goal in SUSTAINABLE_DEVELOPMENT_GOALS)

PPA_FIELDS = (
    Field("title", "Title", required=True),
    Field("category", "Category", "choice", required=True, choices=PPA_CATEGORIES),
    Field("status", "Status", "choice", choices=PPA_STATUSES),
    Field("priority", "Priority", "choice", choices=PPA_PRIORITIES),
    Field("sector", "Sector", "choice", choices=SECTORS, clearable=True),
    Field(
        "appropriation_class",
        "Appropriation class",
        "choice",
        choices=APPROPRIATION_CLASSES,
        clearable=True,
    ),
    Field("funding_source", "Funding source", "choice", choices=FUNDING_SOURCES, clearable=True),
    Field("implementing_office", "Implementing office", max_length=255),
    Field("fiscal_year", "Fiscal year", "year", clearable=True),
    Field("plan_year", "Plan year", "year", clearable=True),
    Field("start_date", "Start date", "date", clearable=True),
    Field("target_end_date", "Target end date", "date", clearable=True, not_before="start_date"),
    Field("actual_end_date", "Actual end date", "date", clearable=True, not_before="start_date"),
    Field("budget_allocation", "Budget allocation", "amount", clearable=True),
    Field("budget_ceiling", "Budget ceiling", "amount", clearable=True),
    Field("budget_currency", "Currency", max_length=3),
    Field("summary", "Summary", max_length=20_000),
    Field("lead_id", "Lead", "id", clearable=True),
    Field("member_ids", "Members", "id"),
    Field("coverage", "Coverage", "id"),
    Field("communities", "Communities", max_length=20_000),
    Field("implementing_partner", "Implementing partner", max_length=255),
    Field("moa_reference", "MOA reference", max_length=255),
    Field("moa_date", "MOA date", "date", clearable=True),
    Field(
        "beneficiaries_targeted",
        "Beneficiaries targeted",
        "number",
        clearable=True,
        high=2_000_000_000,
    ),
    Field(
        "beneficiaries_reached",
        "Beneficiaries reached",
        "number",
        clearable=True,
        high=2_000_000_000,
    ),
    Field("tags", "Tags", "choice", choices=PPA_TAGS),
    Field("sdgs", "SDGs", "choice", choices=SDG_CODES),
    Field("accomplishments", "Accomplishments", max_length=20_000),
    Field("challenges", "Challenges", max_length=20_000),
)
name_fields({spec.name: spec.title for spec in PPA_FIELDS})
# Inputs sending a list (a picker, checkboxes): none of them is sent when all are cleared, so
# an edit form says it carries each with a hidden "<name>_shown".
LIST_INPUTS = ("member_ids", "coverage", "tags", "sdgs")
MILESTONE_FIELDS = (
    Field("title", "Milestone title", required=True),
    Field("date", "Milestone date", "date", required=True),
    Field("status", "Status", "choice", choices=MILESTONE_STATUSES),
    Field("notes", "Notes", max_length=20_000),
)
INDICATOR_FIELDS = (
    Field("name", "Indicator name", required=True),
    Field("kind", "Kind", "choice", required=True, choices=INDICATOR_KINDS),
    Field("unit", "Unit", max_length=50),
    Field("baseline", "Baseline", "measure", required=True),
    Field("target", "Target", "measure", required=True),
    Field("target_date", "Target date", "date", required=True),
)
ACTUAL_FIELDS = (
    Field("period_end", "Period end", "date", required=True),
    Field("value", "Value", "measure", required=True),
    Field("note", "Note", max_length=5_000),
)
UPDATE_FIELDS = (
    Field("as_of", "As of", "date", required=True),
    Field("narrative", "Narrative", required=True, max_length=20_000),
    Field("progress", "Progress (%)", "percent", low=0, high=100),
    Field("issues", "Issues and challenges", max_length=20_000),
    Field("next_steps", "Next steps", max_length=20_000),
)
APPROVAL_FIELDS = (Field("note", "Note", max_length=5_000),)
REVERSAL_FIELDS = (Field("reason", "Reason", required=True, max_length=500),)
TRANCHE_FIELDS = (
    Field("tranche_type", "Tranche type", "choice", required=True, choices=TRANCHE_TYPES),
    Field("amount", "Amount", "signed_amount", required=True),
    Field("date", "Date", "date", required=True),
    Field("notes", "Notes", max_length=5_000),
)

# `?saved=<key>` -> what the page says.
NOTICES = {
    "created": "PPA created",
    "saved": "PPA saved",
    "deleted": "PPA deleted",
    "milestone-added": "Milestone added",
    "milestone-saved": "Milestone updated",
    "milestone-deleted": "Milestone deleted",
    "indicator-added": "Indicator added",
    "indicator-saved": "Indicator updated",
    "indicator-deleted": "Indicator deleted",
    "actual-recorded": "Actual recorded",
    "actual-deleted": "Actual deleted",
    "update-added": "Status update added",
    "stage-saved": "Workflow stage updated",
    "decision": "Approval decision recorded",
    "tranche-added": "Tranche recorded",
    "tranche-reversed": "Tranche reversed: the reversal is recorded beside it",
    "linked": "Need linked to this PPA",
    "unlinked": "Need link removed",
}

router = APIRouter(include_in_schema=False)


def ppa_url(ppa_id: str, saved: str = "", anchor: str = "") -> str:
    query = f"?saved={saved}" if saved else ""
    return PPA_PAGE.format(ppa_id=ppa_id) + query + (f"#{anchor}" if anchor else "")


def notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("saved", ""))


def approval_moves(user: Identity, current: str) -> list[str]:
    if not is_manager(user):
        return []
    return [move.value for move in offered_moves(ApprovalStatus(current), admin=is_admin(user))]


# -- dashboard -------------------------------------------------------------------------------


@cache
def regions_and_provinces() -> tuple[list[Area], list[Area]]:
    """The places the list and the dashboard filter by, by name."""
    by_level = gazetteer().search(levels=(AreaLevel.REGION, AreaLevel.PROVINCE), limit=500)
    return (
        [area for area in by_level if area.level == AreaLevel.REGION],
        [area for area in by_level if area.level == AreaLevel.PROVINCE],
    )


def record_filter_choices() -> dict[str, Any]:
    """What the record filters offer: regions, provinces, tags and goals."""
    regions, provinces = regions_and_provinces()
    return {
        "regions": regions,
        "provinces": provinces,
        "tags": PPA_TAGS,
        "sdg_names": SUSTAINABLE_DEVELOPMENT_GOALS,
    }


@router.get(PLACES_JSON)
async def places(request: Request, user: PageUser, q: str = "") -> JSONResponse:
    """The coverage picker's search: ``[{"id": PSGC code, "name": with its province}]``,
    widest places first, at most 30."""
    found = gazetteer().search(q.strip()[:100], limit=PLACES_LIMIT)
    return JSONResponse([{"id": area.code, "name": area.label} for area in found])


@router.get(DASHBOARD)
async def dashboard(request: Request, user: PageUser) -> Response:
    filters = query_filters(request, DASHBOARD_FILTERS)
    fiscal_year = request.query_params.get("fiscal_year", "")
    # How long without a status update makes a PPA stale: the dashboard's own setting, not a
    # filter of its PPAs (its links to the PPA list leave it out).
    stale_days = request.query_params.get("stale_days", "")
    reply, queue = await asyncio.gather(
        api(
            request,
            user,
            "portfolio",
            "GET",
            "/portfolio/dashboard",
            params=[*filters, ("stale_days", stale_days)],
        ),
        api(request, user, "portfolio", "GET", "/approval-queue"),
    )
    error = None if reply.ok else reply.as_error().titled(DASHBOARD_INPUT_TITLES)
    data: dict[str, Any] | None = reply.body if reply.ok else None
    charts = None
    if data is not None:
        budget = data["budget"]
        charts = {
            "status": data["by_status"],
            "category": data["by_category"],
            "sector": data["by_sector"],
            "approval": data["by_approval_status"],
            # The PPAs' own allocation first: it shows even before any tranche is recorded.
            "budget": {
                "budget_allocation": budget["budget_allocation"],
                "allocated": budget["allocated"],
                "obligated": budget["obligated"],
                "disbursed": budget["disbursed"],
            },
        }
        # The legends' words, as the tables beside the charts say them.
        charts["names"] = {
            code: label(code)
            for key in ("status", "category", "sector", "approval")
            for code in charts[key]
        }
    return render(
        request,
        "portfolio_dashboard.html",
        {
            "data": data,
            "error": error,
            "fiscal_year": fiscal_year,
            "stale_days": stale_days,
            # The link to the approval queue, with how many PPAs wait there for this viewer.
            "approval_queue": queue.body if queue.ok else None,
            "filters": dict(filters),
            # The dashboard's filters, carried by its links to the PPA list (a breakdown's
            # link by tag or SDG replaces that filter, not adds a choice to it).
            "scope_query": urlencode(filters),
            # The portfolio report (PDF) of what the dashboard shows, its stale_days included.
            "report_query": urlencode(
                [*filters, ("stale_days", stale_days)] if stale_days else filters
            ),
            "scope_except": {
                name: urlencode([pair for pair in filters if pair[0] != name])
                for name in RECORD_FILTERS
            },
            **record_filter_choices(),
            "chart_js": vendored("chart"),
            "charts_json": json.dumps(charts).replace("<", "\\u003c") if charts else None,
            # The breakdowns drawn as charts (a PPA has several tags: no shares of a whole).
            "charted": set(charts or ()),
        },
        status_code=error.status if error else 200,
    )


# -- PPA list --------------------------------------------------------------------------------


@router.get(PPAS)
async def ppa_list(request: Request, user: PageUser) -> Response:
    sort = request.query_params.get("sort") or PPA_DEFAULT_SORT
    context = {
        "sort": sort,
        "sort_choices": PPA_SORT_CHOICES,
        "sort_titles": PPA_SORT_TITLES,
        "sort_links": sort_links(request, sort, PPA_SORT_TITLES),
        "notice": notice(request),
        "categories": PPA_CATEGORIES,
        "statuses": PPA_STATUSES,
        "sectors": SECTORS,
        **record_filter_choices(),
    }
    return await list_page(
        request, user, "ppas.html", "/ppas", LIST_FILTERS, context, exported_as="ppas"
    )


@router.get(PPAS + "export/")
async def ppa_export(request: Request, user: PageUser) -> Response:
    """The PPA list's rows under the page's filters, as CSV or Excel."""
    return await export_list(request, user, "/ppas", LIST_FILTERS, "the PPA list")


# -- the PPA form (new and edit) -------------------------------------------------------------


def _form_of_ppa(ppa: dict[str, Any]) -> dict[str, Any]:
    """A PPA as the form shows it (amounts plain, members a list)."""
    form: dict[str, Any] = {}
    for spec in PPA_FIELDS:
        value = ppa.get(spec.name)
        if spec.name in LIST_INPUTS:
            form[spec.name] = [str(each) for each in value or []]
        else:
            form[spec.name] = spec.shown(value)
    return form


def _typed(form: dict[str, str], lists: dict[str, list[str]]) -> dict[str, Any]:
    return {**form, **lists}


def _chosen_areas(codes: list[str]) -> list[dict[str, str]]:
    """The coverage picker's chosen options: each place named (a code no longer in the PSGC
    data by its code)."""
    places = gazetteer()
    return [
        {"id": code, "name": area.label if (area := places.get(code)) else code} for code in codes
    ]


async def _ppa_form(
    request: Request, user: PageUser, form: dict[str, Any], state: FormState = FormState()
) -> Response:
    chosen = [form.get("lead_id") or "", *form.get("member_ids", [])]
    everyone = await active_people(request, limit=CHOICES_LIMIT)
    names = await user_names(request, chosen)
    people = [*({"id": i, "name": n} for i, n in names.items()), *everyone]
    unique = list({person["id"]: person for person in people}.values())
    ppa = state.record
    return render(
        request,
        "ppa_form.html",
        {
            "ppa": ppa,
            **state.context(form, _form_of_ppa, ppa_url(ppa["id"]) if ppa else None, PPAS),
            "people": unique,
            "tom_select": tom_select_assets(),
            "categories": PPA_CATEGORIES,
            "statuses": PPA_STATUSES,
            "priorities": PPA_PRIORITIES,
            "sectors": SECTORS,
            "appropriation_classes": APPROPRIATION_CLASSES,
            "funding_sources": FUNDING_SOURCES,
            "places_url": PLACES_JSON,
            "chosen_areas": _chosen_areas(form.get("coverage", [])),
            # Without the picker's search the select offers the regions and provinces.
            "wide_areas": [area for areas in regions_and_provinces() for area in areas],
            "tags": PPA_TAGS,
            "sdg_names": SUSTAINABLE_DEVELOPMENT_GOALS,
            **_frozen(ppa),
        },
        status_code=state.status,
    )


def _frozen(ppa: dict[str, Any] | None) -> dict[str, Any]:
    """The inputs a PPA's stage freezes, and why (the service refuses a change to them)."""
    if ppa is None or ppa["approval_status"] not in FROZEN_STAGES:
        return {}
    stage = label(ppa["approval_status"]).lower()
    return {
        "frozen": FROZEN_FIELDS,
        "frozen_reason": f"Frozen in {stage}: send the PPA back to draft through approval to "
        "change it.",
    }


def _list_values(submitted: FormData) -> dict[str, list[str]]:
    return {
        name: [str(value).strip() for value in submitted.getlist(name) if str(value).strip()]
        for name in LIST_INPUTS
    }


def _check_list(name: str, chosen: list[str], parsed: Parsed) -> None:
    """A list input's values into `parsed`, each once (one not offered: an error)."""
    if name == "member_ids":
        people_ids(chosen, "Members", parsed, name)
        return
    offered: Any = {
        "coverage": gazetteer(),
        "tags": PPA_TAGS,
        "sdgs": SDG_CODES,
    }[name]
    unknown = [value for value in chosen if value not in offered]
    if unknown:
        what = {"coverage": "places", "tags": "tags", "sdgs": "goals"}[name]
        parsed.errors[name] = f"Choose {what} from the list ({', '.join(unknown)} is not one)"
        return
    unique = list(dict.fromkeys(chosen))
    parsed.payload[name] = [int(goal) for goal in unique] if name == "sdgs" else unique


async def _read_ppa_form(
    request: Request, *, edit: bool
) -> tuple[dict[str, str], Parsed, dict[str, list[str]]]:
    form, submitted = await read_form(request)
    lists = _list_values(submitted)
    specs = [spec for spec in PPA_FIELDS if spec.name not in LIST_INPUTS]
    parsed = parse(form, specs, edit=edit)
    for name, chosen in lists.items():
        if not edit or f"{name}_shown" in form:
            _check_list(name, chosen, parsed)
    return form, parsed, lists


@router.get(PPA_NEW)
async def ppa_new(request: Request, user: PageUser) -> Response:
    return await _ppa_form(request, user, {"status": "planning", "priority": "medium"})


@router.post(PPAS + "create/")
async def ppa_create(request: Request, user: PageUser) -> Response:
    form, parsed, lists = await _read_ppa_form(request, edit=False)
    return await save_new(
        request,
        user,
        "/ppas",
        parsed,
        PPA_FIELDS,
        partial(_ppa_form, request, user),
        lambda new_id: ppa_url(new_id, "created"),
        typed=_typed(form, lists),
    )


@router.get(PPA_PAGE + "edit/")
async def ppa_edit_form(request: Request, user: PageUser, ppa_id: str) -> Response:
    ppa = await fetch(request, user, "portfolio", f"/ppas/{parse_id(ppa_id, 'PPA')}")
    ensure_may_change(user, ppa, "PPA")
    return await _ppa_form(request, user, _form_of_ppa(ppa), FormState(ppa, str(ppa["version"])))


@router.post(PPA_PAGE + "edit/")
async def ppa_edit(request: Request, user: PageUser, ppa_id: str) -> Response:
    ppa_id = parse_id(ppa_id, "PPA")
    form, parsed, lists = await _read_ppa_form(request, edit=True)
    typed, read, version = _typed(form, lists), read_state(form), form.get("version", "")
    if parsed.payload.get("status") == "completed" and form.get("confirmed") != "yes":
        asked = await _completion_question(request, user, ppa_id, form, typed, read, version)
        if asked is not None:
            return asked
    return await save_edit(
        request,
        user,
        f"/ppas/{ppa_id}",
        "PPA",
        parsed=parsed,
        typed=typed,
        read=read,
        version=version,
        specs=PPA_FIELDS,
        show_form=partial(_ppa_form, request, user),
        as_form=_form_of_ppa,
        saved_url=ppa_url(ppa_id, "saved"),
    )


async def _completion_question(
    request: Request,
    user: PageUser,
    ppa_id: str,
    form: dict[str, str],
    typed: dict[str, Any],
    read: dict[str, Any] | None,
    version: str,
) -> Response | None:
    """A PPA set to Completed while linked tasks are open is asked first (its tasks stay
    open, overdue ones nag its lead): the question, whose yes posts the form again confirmed
    (`confirmed=no`: the form again, as typed). None: nothing to ask."""
    ppa, tasks = await asyncio.gather(
        fetch(request, user, "portfolio", f"/ppas/{ppa_id}"),
        fetch_items(request, user, "tasks", "/tasks", {"related_ppa_id": ppa_id}),
    )
    still_open = [task for task in tasks if task["status"] != "completed"]
    if ppa["status"] == "completed" or not still_open:
        return None
    if form.get("confirmed") == "no":
        return await _ppa_form(
            request, user, with_unsent(typed, _form_of_ppa(ppa)), FormState(ppa, version, read=read)
        )
    submitted = await request.form()
    overdue = sum(1 for task in still_open if task["is_overdue"])
    count = len(still_open)
    return render(
        request,
        "ppa_completion.html",
        {
            "ppa": ppa,
            "question": f"Mark “{ppa['title']}” completed?",
            "detail": f"{count} of its tasks {'is' if count == 1 else 'are'} still open"
            + (f" ({overdue} overdue)" if overdue else "")
            + f": {'it stays' if count == 1 else 'they stay'} open and assigned.",
            "tasks_url": f"{TASKS_PAGE}?{urlencode({'related_ppa_id': ppa_id})}",
            "post_to": ppa_url(ppa_id) + "edit/",
            # Everything the form sent, its version and what it was opened with included.
            "kept": [
                (name, value)
                for name, value in submitted.multi_items()
                if isinstance(value, str) and name not in ("csrftoken", "confirmed")
            ],
        },
    )


# -- deletions (a confirmation page first) ---------------------------------------------------


def _ppa_deletion(ppa: dict[str, Any]) -> Deletion:
    return Deletion.of_record(
        ppa,
        ppa_url(ppa["id"]),
        heading=f"Delete the PPA “{ppa['title']}”?",
        # A PPA with funding is never deleted (the service refuses, and says so): none here.
        consequence="Its milestones, workflow and approval history go with it; "
        "this cannot be undone.",
    )


def _ppa_deletion_refused(ppa: dict[str, Any]) -> Deletion:
    """The confirmation again after a refusal: its consequence said in short."""
    return replace(_ppa_deletion(ppa), consequence="This cannot be undone.")


@router.get(PPA_PAGE + "delete/")
async def ppa_delete_confirm(request: Request, user: PageUser, ppa_id: str) -> Response:
    path = f"/ppas/{parse_id(ppa_id, 'PPA')}"
    return await confirm_deletion(request, user, path, "PPA", _ppa_deletion)


@router.post(PPA_PAGE + "delete/")
async def ppa_delete(request: Request, user: PageUser, ppa_id: str) -> Response:
    return await delete_record(
        request,
        user,
        f"/ppas/{parse_id(ppa_id, 'PPA')}",
        "PPA",
        deletion=_ppa_deletion_refused,
        deleted_url=PPAS + "?saved=deleted",
    )


def _milestone(ppa: dict[str, Any], milestone_id: str) -> dict[str, Any]:
    for milestone in ppa["milestones"]:
        if milestone["id"] == milestone_id:
            found: dict[str, Any] = milestone
            return found
    raise NotFoundError("milestone", milestone_id)


@router.get(PPA_PAGE + "milestones/{milestone_id}/delete/")
async def milestone_delete_confirm(
    request: Request, user: PageUser, ppa_id: str, milestone_id: str
) -> Response:
    ppa_id = parse_id(ppa_id, "PPA")
    ppa = await fetch(request, user, "portfolio", f"/ppas/{ppa_id}")
    milestone = _milestone(ppa, parse_id(milestone_id, "milestone"))
    return await confirm_page(
        request,
        Deletion(
            heading=f"Delete the milestone “{milestone['title']}”?",
            consequence=f"It is removed from the PPA “{ppa['title']}”; this cannot be undone.",
            post_to=PPA_PAGE.format(ppa_id=ppa_id) + f"milestones/{milestone['id']}/delete/",
            back=ppa_url(ppa_id, anchor="milestones"),
            version=milestone.get("version"),
        ),
    )


@router.post(PPA_PAGE + "milestones/{milestone_id}/delete/")
async def milestone_delete(
    request: Request, user: PageUser, ppa_id: str, milestone_id: str
) -> Response:
    ppa_id = parse_id(ppa_id, "PPA")
    path = f"/ppas/{ppa_id}/milestones/{parse_id(milestone_id, 'milestone')}"
    return await _delete_part(
        request, user, ppa_id, path, "milestones", "milestone-deleted", thing="milestone"
    )


async def _delete_part(
    request: Request,
    user: PageUser,
    ppa_id: str,
    path: str,
    section: str,
    saved: str,
    *,
    thing: str,
) -> Response:
    """Delete a part of the PPA (a milestone, an indicator, an actual) at the version its
    confirmation carried, when it has one; refused: the PPA page at `section`, saying why."""
    form, _ = await read_form(request)
    headers = if_match(form.get("version", ""))
    reply = await api(request, user, "portfolio", "DELETE", path, headers=headers)
    if reply.ok:
        return redirect(ppa_url(ppa_id, saved, section))
    _, general = service_errors(reply, (), stale=f"Someone changed this {thing} meanwhile")
    return await _ppa_page(
        request, user, ppa_id, section=section, general=general, status=reply.status
    )


# -- the PPA page ----------------------------------------------------------------------------


async def _ppa_page(
    request: Request,
    user: PageUser,
    ppa_id: str,
    *,
    section: str | None = None,
    errors: dict[str, str] | None = None,
    general: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    ppa = await fetch(request, user, "portfolio", f"/ppas/{ppa_id}")
    workflow, funding, indicators, updates, needs, every_need, tasks = await asyncio.gather(
        fetch(request, user, "portfolio", f"/ppas/{ppa_id}/workflow"),
        fetch(request, user, "portfolio", f"/ppas/{ppa_id}/funding"),
        fetch(request, user, "portfolio", f"/ppas/{ppa_id}/indicators"),
        fetch(request, user, "portfolio", f"/ppas/{ppa_id}/updates"),
        fetch_items(request, user, "portfolio", "/needs", {"ppa_id": ppa_id}),
        fetch_items(request, user, "portfolio", "/needs"),
        fetch_items(request, user, "tasks", "/tasks", {"related_ppa_id": ppa_id}),
    )
    # The needs this user may link here (their own; any for a manager), newest first.
    linkable = [
        need for need in every_need if need["id"] not in ppa["need_ids"] and may_change(user, need)
    ]
    done = sum(1 for task in tasks if task["status"] == "completed")
    collab = await panel(request, user, "ppa", ppa_id, may_change_record=may_change(user, ppa))
    history = ppa["approval_history"]
    names = await user_names(
        request,
        [entry["changed_by"] for entry in history]
        + [update["author_id"] for update in updates]
        + [ppa["lead_id"], *ppa["member_ids"]],
    )
    return render(
        request,
        "ppa_detail.html",
        {
            "ppa": ppa,
            "workflow": workflow,
            "funding": funding,
            "indicators": indicators,
            "updates": updates,
            "tranches_by_id": {tranche["id"]: tranche for tranche in funding["tranches"]},
            "needs": needs,
            "linkable_needs": linkable,
            "may_change_need": {need["id"]: may_change(user, need) for need in needs},
            "tasks": tasks,
            "tasks_done": done,
            "history": history,
            "names": names,
            "activity": collab.entries,
            "activity_total": collab.history_total,
            "collab": collab,
            "moves": approval_moves(user, ppa["approval_status"]),
            "can_manage": is_manager(user),
            "may_change": may_change(user, ppa),
            # Deleting is offered only where the service allows it (docs/authorization.md).
            "may_delete": may_change(user, ppa)
            and ppa["approval_status"] in DELETABLE_STAGES
            and not funding["tranches"],
            "section": section,
            "errors": errors or {},
            "general_error": general,
            "form": form or {},
            "notice": notice(request),
            "sdg_names": SUSTAINABLE_DEVELOPMENT_GOALS,
            "milestone_statuses": MILESTONE_STATUSES,
            "indicator_kinds": INDICATOR_KINDS,
            # A new status update's day: the viewer's today.
            "today": datetime.now(viewer_zone(user)).date().isoformat(),
            "stage_statuses": STAGE_STATUSES,
            "tranche_types": TRANCHE_TYPES,
        },
        status_code=status,
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
    parsed: Parsed,
    form: dict[str, str],
    specs: tuple[Field, ...],
    *,
    saved: str,
    headers: dict[str, str] | None = None,
) -> Response:
    """Send a section's form (when it passed the checks); refused -> the page at the
    section, with the errors beside the inputs."""
    if parsed.errors:
        return await _ppa_page(
            request, user, ppa_id, section=section, errors=parsed.errors, form=form, status=422
        )
    reply = await api(
        request, user, "portfolio", method, path, json=parsed.payload, headers=headers
    )
    if reply.ok:
        return redirect(ppa_url(ppa_id, saved, section))
    errors, general = service_errors(
        reply, specs, stale="Someone changed this meanwhile: reload the page to see it"
    )
    return await _ppa_page(
        request,
        user,
        ppa_id,
        section=section,
        errors=errors,
        general=general,
        form=form,
        status=reply.status,
    )


def _part_forms(
    collection: str,
    thing: str,
    fields: tuple[Field, ...],
    *,
    edit_section: Callable[[str], str] | None = None,
) -> None:
    """The add form of a PPA's `collection` (its section has the collection's name) and,
    with `edit_section` (the section of one, by its id), each one's edit form, sent at the
    version it showed."""

    async def add(request: Request, user: PageUser, ppa_id: str) -> Response:
        ppa_id = parse_id(ppa_id, "PPA")
        form, _ = await read_form(request)
        return await _submit(
            request,
            user,
            ppa_id,
            collection,
            "POST",
            f"/ppas/{ppa_id}/{collection}",
            parse(form, fields),
            form,
            fields,
            saved=f"{thing}-added",
        )

    router.post(PPA_PAGE + f"{collection}/", name=f"{thing}_add")(add)
    if edit_section is None:
        return

    async def edit(request: Request, user: PageUser, ppa_id: str, part_id: str) -> Response:
        ppa_id = parse_id(ppa_id, "PPA")
        part_id = parse_id(part_id, thing)
        form, _ = await read_form(request)
        return await _submit(
            request,
            user,
            ppa_id,
            edit_section(part_id),
            "PATCH",
            f"/ppas/{ppa_id}/{collection}/{part_id}",
            parse(form, fields, edit=True),
            form,
            fields,
            saved=f"{thing}-saved",
            headers=if_match(form.get("version", "")),
        )

    router.post(PPA_PAGE + f"{collection}/{{part_id}}/", name=f"{thing}_update")(edit)


_part_forms("milestones", "milestone", MILESTONE_FIELDS, edit_section=lambda _: "milestones")
# Each indicator has its own edit form, in the section `indicator-<id>`.
_part_forms(
    "indicators", "indicator", INDICATOR_FIELDS, edit_section=lambda part: f"indicator-{part}"
)
_part_forms("updates", "update", UPDATE_FIELDS)


# -- indicators, their actuals and the status-update log ---------------------------------------


@router.post(PPA_PAGE + "actuals/")
async def actual_record(request: Request, user: PageUser, ppa_id: str) -> Response:
    """ "Record an actual": the indicator is chosen in the form."""
    ppa_id = parse_id(ppa_id, "PPA")
    form, _ = await read_form(request)
    parsed = parse(form, ACTUAL_FIELDS)
    indicator_id = form.get("indicator_id", "")
    if not UUID_PATTERN.fullmatch(indicator_id):
        parsed.errors["indicator_id"] = "Choose the indicator from the list"
    path = f"/ppas/{ppa_id}/indicators/{indicator_id}/actuals"
    return await _submit(
        request,
        user,
        ppa_id,
        "actuals",
        "POST",
        path,
        parsed,
        form,
        ACTUAL_FIELDS,
        saved="actual-recorded",
    )


async def _indicator(request: Request, user: PageUser, ppa_id: str, indicator_id: str) -> Any:
    indicators = await fetch(request, user, "portfolio", f"/ppas/{ppa_id}/indicators")
    for indicator in indicators:
        if indicator["id"] == indicator_id:
            return indicator
    raise NotFoundError("indicator", indicator_id)


@router.get(PPA_PAGE + "indicators/{indicator_id}/delete/")
async def indicator_delete_confirm(
    request: Request, user: PageUser, ppa_id: str, indicator_id: str
) -> Response:
    ppa_id = parse_id(ppa_id, "PPA")
    indicator = await _indicator(request, user, ppa_id, parse_id(indicator_id, "indicator"))
    count = len(indicator["actuals"])
    return await confirm_page(
        request,
        Deletion(
            heading=f"Delete the indicator “{indicator['name']}”?",
            consequence=f"Its {count} recorded actual{'' if count == 1 else 's'} go with it; "
            "this cannot be undone.",
            post_to=PPA_PAGE.format(ppa_id=ppa_id) + f"indicators/{indicator['id']}/delete/",
            back=ppa_url(ppa_id, anchor="indicators"),
            version=indicator["version"],
        ),
    )


@router.post(PPA_PAGE + "indicators/{indicator_id}/delete/")
async def indicator_delete(
    request: Request, user: PageUser, ppa_id: str, indicator_id: str
) -> Response:
    ppa_id = parse_id(ppa_id, "PPA")
    path = f"/ppas/{ppa_id}/indicators/{parse_id(indicator_id, 'indicator')}"
    return await _delete_part(
        request, user, ppa_id, path, "indicators", "indicator-deleted", thing="indicator"
    )


@router.get(PPA_PAGE + "indicators/{indicator_id}/actuals/{actual_id}/delete/")
async def actual_delete_confirm(
    request: Request, user: PageUser, ppa_id: str, indicator_id: str, actual_id: str
) -> Response:
    ppa_id = parse_id(ppa_id, "PPA")
    indicator = await _indicator(request, user, ppa_id, parse_id(indicator_id, "indicator"))
    actual_id = parse_id(actual_id, "actual")
    actual = next((a for a in indicator["actuals"] if a["id"] == actual_id), None)
    if actual is None:
        raise NotFoundError("actual", actual_id)
    return await confirm_page(
        request,
        Deletion(
            heading=f"Delete the actual of “{indicator['name']}” for the period ending "
            f"{format_day(actual['period_end'])}?",
            consequence="The indicator's attainment is then that of its latest other actual; "
            "record the period again to correct it.",
            post_to=PPA_PAGE.format(ppa_id=ppa_id)
            + f"indicators/{indicator['id']}/actuals/{actual_id}/delete/",
            back=ppa_url(ppa_id, anchor=f"indicator-{indicator['id']}"),
        ),
    )


@router.post(PPA_PAGE + "indicators/{indicator_id}/actuals/{actual_id}/delete/")
async def actual_delete(
    request: Request, user: PageUser, ppa_id: str, indicator_id: str, actual_id: str
) -> Response:
    ppa_id = parse_id(ppa_id, "PPA")
    indicator_id = parse_id(indicator_id, "indicator")
    path = f"/ppas/{ppa_id}/indicators/{indicator_id}/actuals/{parse_id(actual_id, 'actual')}"
    return await _delete_part(
        request, user, ppa_id, path, "indicators", "actual-deleted", thing="actual"
    )


@router.post(PPA_PAGE + "workflow/{stage}/")
async def stage_update(request: Request, user: PageUser, ppa_id: str, stage: str) -> Response:
    ppa_id = parse_id(ppa_id, "PPA")
    form, _ = await read_form(request)
    specs = (
        Field("status", "Stage status", "choice", choices=STAGE_STATUSES),
        Field("due_date", "Due date", "date", clearable=True),
        Field("notes", "Notes", max_length=20_000),
    )
    parsed = parse(form, specs, edit=True)
    form["stage"] = stage
    path = f"/ppas/{ppa_id}/workflow/{stage}"
    # A stage is changed from its row: refusals show above the table, not beside an input.
    # At the version the row showed: a colleague's change meanwhile is not overwritten.
    return await _submit(
        request,
        user,
        ppa_id,
        "workflow",
        "PATCH",
        path,
        parsed,
        form,
        (),
        saved="stage-saved",
        headers=if_match(form.get("version", "")),
    )


@router.post(PPA_PAGE + "approval/")
async def approval_move(request: Request, user: PageUser, ppa_id: str) -> Response:
    ppa_id = parse_id(ppa_id, "PPA")
    form, _ = await read_form(request)
    parsed = Parsed(payload={"to": form.get("to", ""), "note": form.get("note", "")})
    path = f"/ppas/{ppa_id}/approval"
    # The note's refusal (a rejection says why) beside it; a move not open, above the form.
    return await _submit(
        request,
        user,
        ppa_id,
        "approval",
        "POST",
        path,
        parsed,
        form,
        APPROVAL_FIELDS,
        saved="decision",
    )


@router.post(PPA_PAGE + "funding/")
async def tranche_add(request: Request, user: PageUser, ppa_id: str) -> Response:
    ppa_id = parse_id(ppa_id, "PPA")
    form, _ = await read_form(request)
    parsed = parse(form, TRANCHE_FIELDS)
    path = f"/ppas/{ppa_id}/funding"
    return await _submit(
        request,
        user,
        ppa_id,
        "funding",
        "POST",
        path,
        parsed,
        form,
        TRANCHE_FIELDS,
        saved="tranche-added",
    )


# -- correcting a tranche: its reversal, with the reason asked first --------------------------


def _reversal_page(
    request: Request,
    ppa: dict[str, Any],
    tranche: dict[str, Any],
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    general: str | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "tranche_reversal.html",
        {
            "ppa": ppa,
            "tranche": tranche,
            "post_to": PPA_PAGE.format(ppa_id=ppa["id"]) + f"funding/{tranche['id']}/reverse/",
            "back": ppa_url(ppa["id"], anchor="funding"),
            "form": form or {},
            "errors": errors or {},
            "general_error": general,
        },
        status_code=status,
    )


async def _reversible(
    request: Request, user: PageUser, ppa_id: str, tranche_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The PPA and its tranche `tranche_id`, for a manager (a 403 page else)."""
    if not is_manager(user):
        raise ForbiddenError("Reversing a funding tranche needs the manager role")
    ppa_id, tranche_id = parse_id(ppa_id, "PPA"), parse_id(tranche_id, "tranche")
    ppa, funding = await asyncio.gather(
        fetch(request, user, "portfolio", f"/ppas/{ppa_id}"),
        fetch(request, user, "portfolio", f"/ppas/{ppa_id}/funding"),
    )
    for tranche in funding["tranches"]:
        if tranche["id"] == tranche_id:
            return ppa, tranche
    raise NotFoundError("tranche", tranche_id)


@router.get(PPA_PAGE + "funding/{tranche_id}/reverse/")
async def tranche_reverse_confirm(
    request: Request, user: PageUser, ppa_id: str, tranche_id: str
) -> Response:
    ppa, tranche = await _reversible(request, user, ppa_id, tranche_id)
    return _reversal_page(request, ppa, tranche)


@router.post(PPA_PAGE + "funding/{tranche_id}/reverse/")
async def tranche_reverse(
    request: Request, user: PageUser, ppa_id: str, tranche_id: str
) -> Response:
    ppa, tranche = await _reversible(request, user, ppa_id, tranche_id)
    form, _ = await read_form(request)
    parsed = parse(form, REVERSAL_FIELDS)
    if parsed.errors:
        return _reversal_page(request, ppa, tranche, form=form, errors=parsed.errors, status=422)
    path = f"/ppas/{ppa['id']}/funding/{tranche['id']}/reversal"
    reply = await api(request, user, "portfolio", "POST", path, json=parsed.payload)
    if reply.ok:
        return redirect(ppa_url(ppa["id"], "tranche-reversed", "funding"))
    errors, general = service_errors(reply, REVERSAL_FIELDS)
    return _reversal_page(
        request,
        ppa,
        tranche,
        form=form,
        errors=errors,
        general=general or ("Please correct the reason" if errors else None),
        status=reply.status,
    )


# -- the needs a PPA addresses, linked and unlinked one at a time -----------------------------


@router.post(PPA_PAGE + "needs/")
async def need_link(request: Request, user: PageUser, ppa_id: str) -> Response:
    ppa_id = parse_id(ppa_id, "PPA")
    form, _ = await read_form(request)
    need_id = form.get("need_id", "")
    chosen = UUID_PATTERN.fullmatch(need_id)
    parsed = Parsed() if chosen else Parsed(errors={"need_id": "Choose a need from the list"})
    path = f"/needs/{need_id}/ppas/{ppa_id}"
    return await _submit(
        request, user, ppa_id, "needs", "PUT", path, parsed, form, (), saved="linked"
    )


@router.post(PPA_PAGE + "needs/{need_id}/remove/")
async def need_unlink(request: Request, user: PageUser, ppa_id: str, need_id: str) -> Response:
    ppa_id, need_id = parse_id(ppa_id, "PPA"), parse_id(need_id, "need")
    form, _ = await read_form(request)
    path = f"/needs/{need_id}/ppas/{ppa_id}"
    return await _submit(
        request, user, ppa_id, "needs", "DELETE", path, Parsed(), form, (), saved="unlinked"
    )
