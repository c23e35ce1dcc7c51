"""The "My work" home page: the signed-in person's open tasks (theirs and their teams')
due today, overdue (the first few) and due later this week, their next events, and for
managers what waits for their decision (pending leave and bookings, PPAs in review), each one
click from done.

Every section is fetched on its own: a service that is down leaves its sections saying they
could not load while the rest shows. The decision and completion buttons post to the
existing page routes with ``next``: ``home`` for leave and bookings (they come back here
with `done_url`), this page's path for the tasks' quick actions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from gateway_service.auth.identity import Identity, PageUser
from gateway_service.feed.service import FeedAggregator, as_dicts
from gateway_service.pages.common import (
    TASK_STATUSES,
    FormError,
    Reply,
    UpstreamError,
    fetch,
    is_manager,
    redirect,
    user_names,
)
from gateway_service.pages.events import viewer_zone
from gateway_service.pages.tasks import my_teams, others_tasks, saved_task_subject
from gateway_service.web import render
from obcms_platform.approval import decided_stages
from obcms_platform.auth import Role
from obcms_platform.errors import ServiceUnavailableError
from obcms_platform.feed import TimeWindow, max_window_days
from obcms_platform.links import MY_TASKS_LINK

HOME = "/"
SHOWN = 20  # items listed per section (the heading counts them all)
# Overdue tasks listed: 20 of them put "Due today" 2,000 px down a phone; the rest are in
# "My tasks" filtered to the overdue.
OVERDUE_SHOWN = 5
MY_TASKS = MY_TASKS_LINK
TASK_SECTIONS = ("overdue", "due_today", "due_week")
EVENT_DAYS = 14
OPEN_TASK_STATUSES = tuple(status for status in TASK_STATUSES if status != "completed")
# `?subject=` of the page routes that return here -> the toast's subject ("Task completed").
SUBJECTS = {"task": "Task", "leave": "Leave request", "booking": "Booking"}

router = APIRouter(include_in_schema=False)


def done_url(subject: str, word: str) -> str:
    """Home with the toast saying what was just done (`word`: one of web.SAVED_WORDS)."""
    return HOME + "?" + urlencode({"saved": word, "subject": subject})


async def back_home(
    request: Request, user: Identity, reply: Reply, subject: str, word: str
) -> Response:
    """After a decision made on Home: back there with the toast, or Home with the refusal."""
    if reply.ok:
        return redirect(done_url(subject, word))
    return await home_page(request, user, error=reply.as_error())


@dataclass
class Section:
    """One list of the page: up to `SHOWN` items of `total`; `failed` names the service that
    could not be read."""

    items: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    failed: str | None = None


async def _section(
    service: str, reading: Awaitable[dict[str, Any] | list[dict[str, Any]]]
) -> Section:
    try:
        body = await reading
    except (ServiceUnavailableError, UpstreamError):
        return Section(failed=service)
    if isinstance(body, list):
        return Section(body[:SHOWN], len(body))
    return Section(body["items"], body["total"])


def _tasks(
    request: Request, user: Identity, first: date | None, last: date
) -> Awaitable[dict[str, Any]]:
    """My open tasks (assigned to me or one of my teams) due from `first` to `last`."""
    params: list[tuple[str, Any]] = [
        ("assignee", "me"),
        *(("status", status) for status in OPEN_TASK_STATUSES),
        ("due_before", last.isoformat()),
        ("sort", "due_date"),
        ("limit", SHOWN),
    ]
    if first is not None:
        params.append(("due_after", first.isoformat()))
    reading: Awaitable[dict[str, Any]] = fetch(request, user, "tasks", "/tasks", params=params)
    return reading


async def _my_events(request: Request, user: Identity, now: datetime) -> list[dict[str, Any]]:
    """The events (occurrences of series included) in the next `EVENT_DAYS` days that I
    organise or take part in: the calendar feed's entries whose ``peopleIds`` hold me."""
    window = TimeWindow(now, now + timedelta(days=EVENT_DAYS))
    feed = await FeedAggregator.for_app(request.app.state).build(
        user, window, ["coordination"], max_days=max_window_days(request)
    )
    if feed.sources["calendar"] != "ok":
        raise ServiceUnavailableError("the calendar service could not be read")
    me = str(user.id)
    return [
        entry
        for entry in as_dicts(feed.entries)
        if me in entry["extendedProps"].get("peopleIds", ())
        and entry["extendedProps"].get("status") != "cancelled"
    ]


async def home_page(
    request: Request, user: Identity, *, error: FormError | None = None
) -> Response:
    """The page; `error`: a decision or completion made from it that was refused."""
    zone = viewer_zone(user)
    now = datetime.now(zone)
    today = now.date()
    week_end = today + timedelta(days=6 - today.weekday())  # this week's Sunday
    readings: dict[str, Awaitable[Section]] = {
        "overdue": _section("tasks", _tasks(request, user, None, today - timedelta(days=1))),
        "due_today": _section("tasks", _tasks(request, user, today, today)),
        "events": _section("calendar", _my_events(request, user, now)),
    }
    if week_end > today:  # on Sunday nothing is left of this week after today
        later = _tasks(request, user, today + timedelta(days=1), week_end)
        readings["due_week"] = _section("tasks", later)
    if is_manager(user):
        pending = {"status": "pending", "limit": SHOWN}
        readings["leave"] = _section(
            "calendar", fetch(request, user, "calendar", "/leaves", params=pending)
        )
        readings["bookings"] = _section(
            "calendar", fetch(request, user, "calendar", "/bookings", params=pending)
        )
        # The stages waiting for this person's decision (the final approval is an admin's).
        waiting = decided_stages(admin=user.has_role(Role.ADMIN))
        in_review = [*(("approval_status", stage) for stage in waiting), ("limit", SHOWN)]
        readings["ppas"] = _section(
            "portfolio", fetch(request, user, "portfolio", "/ppas", params=in_review)
        )
    sections = dict(zip(readings, await asyncio.gather(*readings.values()), strict=True))
    sections.setdefault("due_week", Section())
    me = str(user.id)
    for name in TASK_SECTIONS:  # mine first, then my teams' (each in due order)
        sections[name].items.sort(key=lambda task: me not in task["assignee_ids"])
    sections["overdue"].items = sections["overdue"].items[:OVERDUE_SHOWN]
    tasks = [task for name in TASK_SECTIONS for task in sections[name].items]
    people: list[object] = [person for task in tasks for person in task["assignee_ids"]]
    if "leave" in sections:
        people += [leave["user_id"] for leave in sections["leave"].items]
        people += [booking["booked_by"] for booking in sections["bookings"].items]
        people += [ppa.get("lead_id") for ppa in sections["ppas"].items]
    # The page's remaining questions at once: none waits for another's answer.
    names, teams, resource_names, message = await asyncio.gather(
        user_names(request, people),
        _my_teams(request, user, tasks),
        _resource_names(request, user, sections.get("bookings")),
        _saved_message(request, user),
    )
    return render(
        request,
        "home.html",
        {
            **sections,
            "names": names,
            # My teams' tasks listed here say whose they are and why they are here.
            "not_mine": others_tasks(tasks, me, teams, names),
            "resource_names": resource_names,
            "today": today,
            "week_end": week_end,
            "event_days": EVENT_DAYS,
            "can_decide": is_manager(user),
            # The task routes take a path to come back to (and add `saved=`).
            "task_done": HOME + "?" + urlencode({"subject": "task"}),
            "my_tasks": MY_TASKS,
            "error": error,
            **message,
        },
        status_code=error.status if error else 200,
    )


async def _my_teams(
    request: Request, user: Identity, tasks: list[dict[str, Any]]
) -> dict[str, str]:
    """id -> name of my teams, if a task listed is not mine (it is here through them)."""
    if all(str(user.id) in task["assignee_ids"] for task in tasks):
        return {}
    try:
        return await my_teams(request, user)
    except (ServiceUnavailableError, UpstreamError):
        return {}  # the tasks still say whose they are


async def _saved_message(request: Request, user: Identity) -> dict[str, Any]:
    """What the message says was done: the task by its title after a quick action (with its
    Undo), else what the decision was about."""
    subject = SUBJECTS.get(request.query_params.get("subject", ""))
    if request.query_params.get("subject") == "task":
        return await saved_task_subject(request, user, subject)
    return {"saved_subject": subject}


async def _resource_names(
    request: Request, user: Identity, bookings: Section | None
) -> dict[str, str]:
    """id -> name of the resources the pending bookings are for."""
    if bookings is None or not bookings.items:
        return {}
    wanted = {booking["resource_id"] for booking in bookings.items}
    try:
        body = await fetch(request, user, "calendar", "/resources", params={"limit": 500})
    except (ServiceUnavailableError, UpstreamError):
        return {}
    return {r["id"]: r["name"] for r in body["items"] if r["id"] in wanted}


@router.get(HOME)
async def home(request: Request, user: PageUser) -> Response:
    return await home_page(request, user)
