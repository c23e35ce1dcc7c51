"""Every page shows local time, labels and full names: one record of every kind is seeded
through the API, then every HTML page the gateway serves is read as a person sees it (the
text outside tags, scripts and styles) for raw ISO timestamps, raw enum codes and login
names. The page routes come from the app itself, so a new page joins the walk the day it is
added (or the walk fails until it knows the record its path names).

The same walk in a real browser (Debian's Chromium), on a desktop and on a 390 px phone: no
page scrolls sideways (nor hides a sideways scroll inside it), axe-core finds nothing
critical or serious, and a screenshot of each goes to test-artifacts/screenshots/pages/.

Also: the time zone of a person's profile changes how every page shows them times, at once
(despite the identity cache)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import routing
from fastapi.routing import APIRoute
from gateway_helpers import (
    ADMIN_PASSWORD,
    DESKTOP,
    PHONE,
    USER_PASSWORD,
    ServedApp,
    served,
    signed_in,
    signed_in_page,
    submit,
    token_for,
    visible_text,
)
from playwright.sync_api import Browser

from gateway_service.app import create_app
from gateway_service.formatting import DASH
from gateway_service.settings import GatewaySettings
from obcms_platform.auth import Role
from obcms_platform.testing import axe
from obcms_platform.testing.axe import serious_violations, summary
from obcms_platform.testing.browser import NetworkWatch
from obcms_platform.unsubscribe import DEV_UNSUBSCRIBE_SECRET, UNSUBSCRIBE_PREFIX, unsubscribe_link
from obcms_platform.vocabulary import (
    AppropriationClass,
    ApprovalStatus,
    AssessmentLevel,
    AssessmentStatus,
    BookingStatus,
    BudgetStage,
    EventStatus,
    EventType,
    Feasibility,
    FundingSource,
    LeaveStatus,
    LeaveType,
    Methodology,
    MilestoneStatus,
    NeedStatus,
    NotificationKind,
    PpaCategory,
    PpaPriority,
    PpaStatus,
    ResourceType,
    Sector,
    StageStatus,
    TaskDomain,
    TaskPriority,
    TaskStatus,
    TrancheType,
    UrgencyLevel,
)

ME_PAGE = "/accounts/me/"
PEOPLE = "/accounts/people/"
# GET routes outside the API that answer data, not pages (JSON, ICS, metrics, the lists'
# exports, the PDF reports), and the record links of messages (`/go/<record>/<id>`, and a
# notification's `/notifications/<id>/open/`: redirects to the record's page, walked itself).
DATA_ROUTE = re.compile(
    r"^/(api|metrics|go)\b|(\.json|\.ics|\.pdf|/json/|/ics/|/download/|/export/|/open/)$"
)
# A small PDF (the services sniff what a file is).
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
SNAKE_WORD = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
DOMAIN_ENUMS: tuple[type[StrEnum], ...] = (
    BookingStatus,
    EventStatus,
    EventType,
    LeaveStatus,
    LeaveType,
    ResourceType,
    AssessmentLevel,
    AssessmentStatus,
    Methodology,
    TrancheType,
    MilestoneStatus,
    Feasibility,
    NeedStatus,
    UrgencyLevel,
    AppropriationClass,
    ApprovalStatus,
    FundingSource,
    PpaCategory,
    PpaPriority,
    PpaStatus,
    Sector,
    BudgetStage,
    StageStatus,
    TaskDomain,
    TaskPriority,
    TaskStatus,
    Role,
)
# The codes a person must never read: those of several words.
DOMAIN_CODES = frozenset(m.value for enum in DOMAIN_ENUMS for m in enum if "_" in m.value)


@pytest.fixture(scope="module")
def gateway(
    make_settings: Callable[..., GatewaySettings],
    calendar_backend: str,
    notifications_backend: str,
) -> Iterator[ServedApp]:
    """A gateway fronting the calendar service too, whose identity cache would serve a
    stale profile for minutes if a profile change did not reach it."""
    app = create_app(
        make_settings(
            calendar_url=calendar_backend,
            notifications_url=notifications_backend,
            identity_cache_seconds=300,
        )
    )
    with served(app) as server:
        yield server


@dataclass
class Seeded:
    """One record of every kind (ids by the path parameter that names them)."""

    ids: dict[str, str]
    person: dict[str, Any]  # a staff member with a full name, named by the records


def _created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(scope="module")
def seeded(gateway: ServedApp) -> Iterator[Seeded]:
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        admin = token_for(client, "admin", ADMIN_PASSWORD)
        marker = uuid.uuid4().hex[:8]
        person = _created(
            client.post(
                "/api/v1/users",
                json={
                    "username": f"amina-{marker}",
                    "full_name": "Amina Dalandan",
                    "password": USER_PASSWORD,
                    "role": "staff",
                },
                headers=admin,
            )
        )
        staff = token_for(client, person["username"], USER_PASSWORD)

        def post(path: str, body: dict[str, Any], as_: dict[str, str] = admin) -> dict[str, Any]:
            return _created(client.post(f"/api/v1{path}", json=body, headers=as_))

        ppa = post(
            "/ppas",
            {
                "title": f"Peace dialogue {marker}",
                "category": "oobc_ppa",
                "status": "on_hold",
                "priority": "urgent",
                "sector": "peace_security",
                "appropriation_class": "mooe",
                "funding_source": "lgu_counterpart",
                "fiscal_year": 2031,
                "start_date": "2026-01-06",  # before its actual (31 Mar 2026)
                "target_end_date": "2031-12-15",
                "budget_allocation": "250000",
                "coverage": ["1908807001"],  # a barangay of Datu Piang
                "tags": ["gad", "peace"],
                "sdgs": [5, 16],
                "beneficiaries_targeted": 1200,
            },
        )
        indicator = post(
            f"/ppas/{ppa['id']}/indicators",
            {
                "name": "Households reached",
                "kind": "output",
                "baseline": "0",
                "target": "1200",
                "target_date": "2031-12-15",
            },
        )
        actual = post(
            f"/ppas/{ppa['id']}/indicators/{indicator['id']}/actuals",
            {"period_end": "2026-03-31", "value": "300"},
        )
        team = post(
            "/teams",
            {
                "name": f"Field team {marker}",
                "description": "Missions to the islands",
                "members": [{"user_id": person["id"], "role": "lead"}],
            },
        )
        milestone = post(
            f"/ppas/{ppa['id']}/milestones", {"title": "Inception", "date": "2031-03-02"}
        )
        tranche = post(
            f"/ppas/{ppa['id']}/funding",
            {"tranche_type": "allocation", "amount": "100000", "date": "2026-02-01"},
        )
        post(f"/ppas/{ppa['id']}/approval", {"to": "technical_review", "note": "ready"})
        # A soft ceiling the PPA would go over: the approval queue flags it in words.
        ceiling = post(
            "/budget-ceilings",
            {
                "sector": "peace_security",
                "fiscal_year": 2031,
                "funding_source": "lgu_counterpart",
                "enforcement": "soft",
                "amount": "200000",
            },
        )
        stage = client.patch(
            f"/api/v1/ppas/{ppa['id']}/workflow/budget_call",
            json={"status": "completed", "due_date": "2031-01-31"},
            headers=admin,
        )
        assert stage.status_code == 200, stage.text
        assessment = post(
            "/assessments",
            {
                "title": f"Needs of Datu Piang {marker}",
                "primary_methodology": "desk_review",
                "assessment_level": "city_municipal",
                "status": "data_collection",
                "planned_start_date": "2031-04-01",
                "planned_end_date": "2031-04-30",
            },
        )
        need = post(
            "/needs",
            {
                "title": f"Potable water {marker}",
                "status": "in_progress",
                "urgency_level": "short_term",
                "feasibility": "very_high",
                "assessment_id": assessment["id"],
                "ppa_ids": [ppa["id"]],
            },
        )
        task = post(
            "/tasks",
            {
                "title": f"Draft the concept note {marker}",
                "domain": "project_central",
                "status": "completed",
                "priority": "critical",
                "start_date": "2031-02-02",
                "due_date": "2031-02-20",
                "assignee_ids": [person["id"]],
                "related_ppa_id": ppa["id"],
            },
        )
        event = post(
            "/events",
            {
                "title": f"Field visit {marker}",
                "event_type": "field_visit",
                "start": "2031-06-02T09:00:00+08:00",
                "end": "2031-06-02T10:30:00+08:00",
                "venue": "Cotabato City",
                "organizer_id": person["id"],
                "participant_ids": [person["id"]],
            },
        )
        resource = post(
            "/resources",
            {"name": f"Van {marker}", "resource_type": "vehicle", "location": "Cotabato"},
        )
        booking = post(
            "/bookings",
            {
                "resource_id": resource["id"],
                "start": "2031-12-09T07:00:00+08:00",
                "end": "2031-12-09T12:00:00+08:00",
            },
            as_=staff,
        )
        leave = post(
            "/leaves",
            {
                "user_id": person["id"],
                "leave_type": "vacation",
                "start_date": "2031-07-01",
                "end_date": "2031-07-03",
            },
        )
        # What people add to records: a comment (by the staff member: a full name to show)
        # and a file on each kind of record that takes files.
        comment = post(
            f"/tasks/{task['id']}/comments", {"body": "Seen, **thanks**", "mention_ids": []}, staff
        )
        files = {}
        for kind, path in (
            ("task", f"/tasks/{task['id']}"),
            ("ppa", f"/ppas/{ppa['id']}"),
            ("assessment", f"/assessments/{assessment['id']}"),
        ):
            files[f"{kind}_attachment_id"] = _created(
                client.post(
                    f"/api/v1{path}/attachments",
                    files={"file": ("plan.pdf", PDF, "application/pdf")},
                    headers=admin,
                )
            )["id"]
        # A background export (the tasks service's; no worker runs it here: it waits).
        export = client.post(
            "/api/v1/tasks-exports",
            json={"resource": "tasks", "format": "csv", "filters": {"status": "not_started"}},
            headers=admin,
        )
        assert export.status_code == 202, export.text
        yield Seeded(
            ids={
                "export_id": export.json()["id"],
                "comment_id": comment["id"],
                **files,
                "task_id": task["id"],
                "ppa_id": ppa["id"],
                "milestone_id": milestone["id"],
                "indicator_id": indicator["id"],
                "actual_id": actual["id"],
                "tranche_id": tranche["id"],
                "ceiling_id": ceiling["id"],
                "assessment_id": assessment["id"],
                "need_id": need["id"],
                "event_id": event["id"],
                "resource_id": resource["id"],
                "booking_id": booking["id"],
                "leave_id": leave["id"],
                "user_id": person["id"],
                "admin_id": _created(client.get("/api/v1/users/me", headers=admin))["id"],
                "team_id": team["id"],
                # The one-click unsubscribe page of the staff member's task emails.
                "token": unsubscribe_link(
                    DEV_UNSUBSCRIBE_SECRET, uuid.UUID(person["id"]), NotificationKind.TASK_ASSIGNED
                ).removeprefix(UNSUBSCRIBE_PREFIX),
            },
            person=person,
        )


def page_routes(app_routes: list[Any]) -> list[APIRoute]:
    """The gateway's GET routes that answer pages (its JSON API and data feeds aside)."""
    return [
        route
        for route in routing._iter_included_route_candidates(app_routes)
        if isinstance(route, APIRoute)
        and "GET" in route.methods
        and not route.include_in_schema
        and not DATA_ROUTE.search(route.path)
    ]


# Path parameters that are not records: every value a page accepts.
PATH_WORDS = {
    "action": ("cancel", "delete"),
    "decision": ("return", "reject"),
    "undoing": ("reject", "cancel"),  # a booking's question before it is undone
    "service": ("tasks",),  # of the seeded export
    "template": ("event_meeting_standard",),  # a task template shipped with the product
}
# The comments and files of a record (pages/collaboration.py) name it `record_id` whatever
# its kind: the kind is the page's, and an attachment is one of that record's.
RECORD_PAGES = {
    "/oobc-management/staff/tasks/": "task",
    "/oobc-management/portfolio/ppas/": "ppa",
    "/oobc-management/portfolio/assessments/": "assessment",
    "/oobc-management/portfolio/needs/": "need",
    "/oobc-management/calendar/events/": "event",
}


def _seeded_name(route: APIRoute, parameter: str) -> str:
    """The seeded id a path parameter stands for."""
    if parameter not in ("record_id", "attachment_id"):
        return parameter
    kind = next(kind for page, kind in RECORD_PAGES.items() if route.path.startswith(page))
    return f"{kind}_id" if parameter == "record_id" else f"{kind}_attachment_id"


def _paths_of(route: APIRoute, ids: dict[str, str]) -> list[str]:
    """The route's path for the seeded records (one per word of a word parameter)."""
    paths = [route.path]
    for parameter in route.dependant.path_params:
        seeded = _seeded_name(route, parameter.name)
        values = PATH_WORDS.get(parameter.name) or ((ids[seeded],) if seeded in ids else ())
        assert values, (
            f"the page {route.path} names a {parameter.name}: seed such a record in this test"
        )
        paths = [path.replace(f"{{{parameter.name}}}", value) for path in paths for value in values]
    return paths


def test_every_page_shows_local_times_labels_and_full_names(
    gateway: ServedApp, seeded: Seeded, make_client
):
    routes = page_routes(gateway.server.config.app.routes)
    assert len(routes) > 15, [route.path for route in routes]
    admin = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    login_name = seeded.person["username"]
    problems: list[str] = []
    for path in (path for route in routes for path in _paths_of(route, seeded.ids)):
        page = admin.get(path)
        if page.status_code != 200 or "text/html" not in page.headers["content-type"]:
            problems.append(f"{path}: {page.status_code} {page.headers['content-type']}")
            continue
        text = visible_text(page.text)
        problems += [f"{path}: ISO date {found!r}" for found in ISO_DATE.findall(text)]
        problems += [
            f"{path}: code {found!r}" for found in SNAKE_WORD.findall(text) if found in DOMAIN_CODES
        ]
        if login_name in text and not path.startswith(PEOPLE):
            problems.append(f"{path}: the login name {login_name!r} instead of the full name")
    assert not problems, "\n".join(sorted(set(problems)))


def test_the_pages_show_the_seeded_facts_in_words(seeded: Seeded, make_client):
    admin = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    ids = seeded.ids
    task = visible_text(admin.get(f"/oobc-management/staff/tasks/{ids['task_id']}/").text)
    assert "Amina Dalandan" in task
    assert "Project central" in task
    assert "Sun 2 Feb 2031 / Thu 20 Feb 2031" in task
    ppa = visible_text(admin.get(f"/oobc-management/portfolio/ppas/{ids['ppa_id']}/").text)
    for words in ("OOBC PPA", "On hold", "Peace and security", "LGU counterpart", "MOOE"):
        assert words in ppa, words
    assert "Sun 2 Mar 2031" in ppa  # the milestone
    booking = admin.get(f"/oobc-management/resources/bookings/{ids['booking_id']}/").text
    assert f"Tue 9 Dec 2031, 07:00{DASH}12:00" in visible_text(booking)
    leave = visible_text(admin.get(f"/oobc-management/staff/leave/{ids['leave_id']}/").text)
    assert f"Tue 1 Jul 2031 {DASH} Thu 3 Jul 2031" in leave
    assert "Amina Dalandan" in leave


def test_my_time_zone_changes_the_times_of_every_page_at_once(seeded: Seeded, make_client):
    person = signed_in(make_client(), seeded.person["username"])
    booking = f"/oobc-management/resources/bookings/{seeded.ids['booking_id']}/"
    before = person.get(booking).text
    assert f"Tue 9 Dec 2031, 07:00{DASH}12:00" in visible_text(before)  # office time by default
    assert 'data-time-zone="Asia/Manila"' in before

    saved = submit(
        person, ME_PAGE, {"full_name": "Amina Dalandan", "time_zone": "America/New_York"}
    )
    assert saved.status_code == 303
    after = person.get(booking).text
    assert f"Mon 8 Dec 2031, 18:00{DASH}23:00" in visible_text(after)
    assert 'data-time-zone="America/New_York"' in after
    bookings = visible_text(person.get("/oobc-management/resources/").text)
    assert f"Mon 8 Dec 2031, 18:00{DASH}23:00" in bookings

    # A change through the API reaches the pages of the browser session at once too.
    token = token_for(make_client(), seeded.person["username"], USER_PASSWORD)
    api = make_client().patch("/api/v1/users/me", json={"time_zone": None}, headers=token)
    assert api.status_code == 200, api.text
    assert f"Tue 9 Dec 2031, 07:00{DASH}12:00" in visible_text(person.get(booking).text)


SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots" / "pages"
# Boxes inside the page that scroll sideways: a phone's reader misses what they hide, unless
# the box says so (a labelled region one can scroll by keyboard: genuinely tabular data).
HIDDEN_SCROLLERS = """() => [...document.querySelectorAll("body *")]
  .filter((box) => ["auto", "scroll"].includes(getComputedStyle(box).overflowX)
    && box.scrollWidth > box.clientWidth + 1
    && !(box.getAttribute("role") === "region" && box.tabIndex >= 0
         && (box.hasAttribute("aria-label") || box.hasAttribute("aria-labelledby"))))
  .map((box) => box.tagName.toLowerCase() + (box.id ? "#" + box.id : "")
    + [...box.classList].map((name) => "." + name).join(""))"""
# What colour alone would say: a badge without its glyph, a row or card marked overdue (in
# red) without the word.
COLOUR_ONLY = """() => [
  ...[...document.querySelectorAll(".badge")]
    .filter((badge) => ["none", "normal"].includes(getComputedStyle(badge, "::before").content))
    .map((badge) => `the badge "${badge.textContent.trim()}" has no glyph`),
  ...[...document.querySelectorAll(".overdue")]
    .filter((late) => !/overdue/i.test(late.textContent))
    .map((late) => `a ${late.tagName.toLowerCase()} is overdue only in red`),
]"""
# Pages a route serves for a query of its own.
QUERY_VIEWS = (
    "/oobc-management/staff/tasks/?view=board",
    "/oobc-management/search/?q=the",
    # The hand-over's question: the seeded person's open work to the admin.
    PEOPLE + "{user_id}/handover/?to={admin_id}",
)
# The pages a staff member sees otherwise than an admin (their own work, fewer actions).
STAFF_PAGES = (
    "/",
    "/oobc-management/staff/tasks/",
    "/oobc-management/staff/tasks/?view=board",
    "/oobc-management/staff/tasks/{task_id}/",
)


@pytest.fixture(scope="module")
def busy_week(gateway: ServedApp, seeded: Seeded) -> None:
    """The seeded staff member's week as the pages show it at their busiest: work overdue, at
    risk and due today, an event in two days, and a title with a web address in it that no
    line can break."""
    today = datetime.now(ZoneInfo("Asia/Manila")).date()
    person = seeded.person["id"]
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        admin = token_for(client, "admin", ADMIN_PASSWORD)
        for title, status, priority, due in (
            (
                "Send the minutes to https://drive.example.gov.ph/oobc/minutes/"
                "peace-dialogue-cotabato-city-final-version-3.pdf",
                "in_progress",
                "high",
                today - timedelta(days=3),
            ),
            ("Confirm the venue with the barangay", "at_risk", "critical", today),
            ("Book the van for the field visit", "not_started", "low", today + timedelta(days=2)),
        ):
            _created(
                client.post(
                    "/api/v1/tasks",
                    json={
                        "title": title,
                        "domain": "project_central",
                        "status": status,
                        "priority": priority,
                        "due_date": due.isoformat(),
                        "assignee_ids": [person],
                        "related_ppa_id": seeded.ids["ppa_id"],
                    },
                    headers=admin,
                )
            )
        start = datetime.combine(today + timedelta(days=2), datetime.min.time()).replace(
            hour=9, tzinfo=ZoneInfo("Asia/Manila")
        )
        _created(
            client.post(
                "/api/v1/events",
                json={
                    "title": "Coordination meeting with the provincial planning office",
                    "event_type": "meeting",
                    "start": start.isoformat(),
                    "end": (start + timedelta(hours=2)).isoformat(),
                    "venue": "Cotabato City",
                    "organizer_id": person,
                    "participant_ids": [person],
                },
                headers=admin,
            )
        )


def _slug(path: str, ids: dict[str, str]) -> str:
    """A file name for the page: its path with the seeded ids named by their parameter."""
    for name, value in ids.items():
        path = path.replace(value, name.removesuffix("_id"))
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"


def _layout_problems(watch: NetworkWatch, path: str, shot: Path) -> list[str]:
    """What is wrong with the page at `path` in the browser (`watch`'s page): an answer other
    than a page, scrolling sideways, a state told by colour alone, axe-core's critical and
    serious findings. Screenshots it to `shot`."""
    page = watch.page
    response = page.goto(path)
    watch.settle()  # the scripts' fetches (the calendar's events)
    if response is None or response.status != 200:
        return [f"{path}: {response.status if response else 'no response'}"]
    problems = []
    sideways = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if sideways > 0:
        problems.append(f"{path}: {sideways} px wider than the screen")
    problems += [f"{path}: {found} scrolls sideways" for found in page.evaluate(HIDDEN_SCROLLERS)]
    problems += [f"{path}: {found}" for found in page.evaluate(COLOUR_ONLY)]
    if found := serious_violations(page):
        problems.append(f"{path}:\n{summary(found)}")
    # JPEG: a third of PNG's time to encode, for 150 pages, and enough to look at.
    page.screenshot(path=shot, full_page=True, type="jpeg", quality=80)
    return problems


# The narrowest desktop screen people use (a laptop), and a phone.
LAPTOP = {**DESKTOP, "width": 1280}


@pytest.mark.parametrize(("size", "viewport"), [("desktop", LAPTOP), ("phone", PHONE)])
def test_every_page_fits_the_screen_and_passes_axe(
    browser: Browser,
    gateway: ServedApp,
    seeded: Seeded,
    busy_week: None,
    size: str,
    viewport: dict[str, int],
):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    routes = page_routes(gateway.server.config.app.routes)
    paths = [path for route in routes for path in _paths_of(route, seeded.ids)]
    paths += [view.format(**seeded.ids) for view in QUERY_VIEWS]
    admin = signed_in_page(browser, gateway.url, "admin", ADMIN_PASSWORD, viewport)
    axe.preload(admin.context)
    watch = NetworkWatch(admin)
    problems = []
    for path in paths:
        shot = SCREENSHOTS / f"{_slug(path, seeded.ids)}-{size}.jpg"
        problems += _layout_problems(watch, path, shot)
    admin.context.close()

    staff = signed_in_page(browser, gateway.url, seeded.person["username"], USER_PASSWORD, viewport)
    axe.preload(staff.context)
    watch = NetworkWatch(staff)
    for template in STAFF_PAGES:
        path = template.format(**seeded.ids)
        shot = SCREENSHOTS / f"staff-{_slug(path, seeded.ids)}-{size}.jpg"
        problems += [f"(staff) {found}" for found in _layout_problems(watch, path, shot)]
    staff.context.close()
    assert not problems, "\n".join(problems)


PRINTS = SCREENSHOTS.parent / "print"
# In print, what must not show (the menu, buttons, forms and filters, export menus), and what
# must: the page's content and, above it, its print header (title, day printed).
PRINT_CHECK = """() => {
  const shown = (box) => box.checkVisibility();
  const hidden = ["header.top", ".export-menu", "main form", "main button", "main a.button",
                  ".actions", ".skip-link"]
    .flatMap((selector) => [...document.querySelectorAll(selector)].filter(shown)
      .map(() => selector + " prints"));
  const main = document.querySelector("main");
  const head = document.querySelector(".print-head");
  return [
    ...new Set(hidden),
    ...(main && shown(main) && main.innerText.trim() ? [] : ["no content prints"]),
    ...(head && shown(head) && /Printed \\w{3} \\d{1,2} \\w{3} \\d{4}/.test(head.innerText)
      ? [] : ["no print header with the day printed"]),
    ...(head && main && head.getBoundingClientRect().bottom <= main.getBoundingClientRect().top
      ? [] : ["the print header is not above the content"]),
    ...(main && main.getBoundingClientRect().width >= window.innerWidth - 2
      ? [] : ["the content is not full width"]),
    // Links paper cannot follow, and the headings of forms that do not print.
    ...new Set([...document.querySelectorAll(
        'main a[href$="/edit/"], main a[href$="/delete/"], main a[href$="/reverse/"], ' +
        'main a[href$="/deactivate/"], main .form-heading')]
      .filter(shown).map((node) => `"${node.textContent.trim()}" prints`)),
    // No table cut at the paper's right edge (the viewport is A4's printable width), nor
    // by the box it scrolls in on a screen.
    ...[...document.querySelectorAll("main table")].filter(shown).flatMap((table) => {
      const box = table.parentElement;
      const clipped = box && getComputedStyle(box).overflowX !== "visible"
        && box.scrollWidth > box.clientWidth + 1;
      const named = table.caption?.textContent.trim()
        || table.closest("section")?.querySelector("h2")?.textContent.trim() || "a table";
      return clipped || table.getBoundingClientRect().right > window.innerWidth + 1
        ? [`the table "${named}" is cut at the right`] : [];
    }),
  ];
}"""
# A4 less the page's margins (obcms.css @page: 12 mm each side), at 96 px per inch.
A4_PRINTABLE = {"width": 703, "height": 1000}


def test_every_page_prints_its_content_without_menu_or_forms(
    browser: Browser, gateway: ServedApp, seeded: Seeded
):
    routes = page_routes(gateway.server.config.app.routes)
    paths = [path for route in routes for path in _paths_of(route, seeded.ids)]
    admin = signed_in_page(browser, gateway.url, "admin", ADMIN_PASSWORD, A4_PRINTABLE)
    admin.emulate_media(media="print")
    problems = []
    for path in paths:
        response = admin.goto(path)
        if response is None or response.status != 200:
            problems.append(f"{path}: {response.status if response else 'no response'}")
            continue
        problems += [f"{path}: {found}" for found in admin.evaluate(PRINT_CHECK)]
    PRINTS.mkdir(parents=True, exist_ok=True)
    for name, path in (
        ("dashboard", "/oobc-management/portfolio/"),
        ("ppa", f"/oobc-management/portfolio/ppas/{seeded.ids['ppa_id']}/"),
        ("budget-execution", "/oobc-management/portfolio/reports/budget-execution/"),
    ):
        admin.goto(path)
        admin.wait_for_load_state("networkidle")
        (PRINTS / f"{name}.pdf").write_bytes(admin.pdf(format="A4"))
    admin.context.close()
    assert not problems, "\n".join(problems)
