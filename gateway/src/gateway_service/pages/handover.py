"""What a person leaves behind when their account is deactivated: their open tasks, the
PPAs they lead, the events they organise from now on and their pending leave and booking
requests, each linked so that the admin can hand them over. The people page shows it
before the deactivation is confirmed and after it.

Read from the services as the admin; a part whose service cannot be read is said to be
unchecked rather than failing the page.

The hand-over gives a colleague, in one step, the open tasks and the PPAs at the versions
the admin confirmed: in each task the colleague replaces the person among the assignees (the
task list's bulk change, adding one and removing the other, the reason in each task's
history), and becomes each PPA's lead (its PATCH, at its version). A record changed
meanwhile is reported, not overwritten.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from gateway_service.auth.identity import Identity
from gateway_service.pages.common import UpstreamError, api, error_message, fetch_items, if_match
from gateway_service.pages.home import OPEN_TASK_STATUSES
from gateway_service.pages.portfolio import PPA_PAGE
from gateway_service.pages.tasks import BULK_OUTCOMES, task_url
from obcms_platform.errors import ServiceUnavailableError
from obcms_platform.vocabulary import EventStatus, PpaStatus, values
from obcms_platform.zones import office_today

# The events still to take place (a completed or cancelled one needs nobody).
OPEN_EVENT_STATUSES = tuple(
    status
    for status in values(EventStatus)
    if status not in {EventStatus.COMPLETED, EventStatus.CANCELLED}
)
# The PPAs still to be led (a completed or cancelled one needs nobody).
OPEN_PPA_STATUSES = tuple(
    status
    for status in values(PpaStatus)
    if status not in {PpaStatus.COMPLETED, PpaStatus.CANCELLED}
)
SHOWN = 20  # the items of each part listed; the rest are counted
TASK_LIST = "/oobc-management/staff/tasks/"


@dataclass(frozen=True)
class OpenTask:
    task: dict[str, Any]
    alone: bool  # nobody else (no other person, no team) is assigned


@dataclass
class LeftBehind:
    """Each part's items, or None when its service could not be read."""

    tasks: list[OpenTask] | None
    ppas: list[dict[str, Any]] | None
    events: list[dict[str, Any]] | None
    leaves: list[dict[str, Any]] | None
    bookings: list[dict[str, Any]] | None
    # The task list showing the open tasks, to reassign them together (its bulk change).
    tasks_url: str = ""
    resource_names: dict[str, str] = field(default_factory=dict)
    shown: int = SHOWN

    @property
    def unchecked(self) -> list[str]:
        """The parts that could not be checked, in words."""
        parts = {
            "open tasks": self.tasks,
            "PPAs they lead": self.ppas,
            "events they organise": self.events,
            "pending leave requests": self.leaves,
            "pending bookings": self.bookings,
        }
        return [name for name, items in parts.items() if items is None]

    @property
    def nothing(self) -> bool:
        """Every part was checked and holds nothing."""
        return not any((self.tasks, self.ppas, self.events, self.leaves, self.bookings)) and (
            not self.unchecked
        )

    @property
    def alone(self) -> int:
        return sum(task.alone for task in self.tasks or [])


async def _read(reading: Awaitable[list[dict[str, Any]]]) -> list[dict[str, Any]] | None:
    try:
        return await reading
    except (ServiceUnavailableError, UpstreamError):
        return None


def _still_running(series: dict[str, Any], today: str) -> bool:
    """A series begun before now whose repeats have not ended by date."""
    until = (series.get("recurrence") or {}).get("until")
    return until is None or until >= today


async def left_behind(request: Request, admin: Identity, person_id: str) -> LeftBehind:
    """What `person_id` leaves behind, read as `admin`."""
    now = datetime.now(UTC).isoformat()
    organised = [("organizer", person_id), *(("status", status) for status in OPEN_EVENT_STATUSES)]
    open_tasks = [("assignee", person_id), *(("status", status) for status in OPEN_TASK_STATUSES)]
    led = [("lead", person_id), *(("status", status) for status in OPEN_PPA_STATUSES)]
    tasks, ppas, upcoming, series, leaves, bookings = await asyncio.gather(
        _read(fetch_items(request, admin, "tasks", "/tasks", [*open_tasks, ("sort", "due_date")])),
        _read(fetch_items(request, admin, "portfolio", "/ppas", [*led, ("sort", "title")])),
        _read(
            fetch_items(request, admin, "calendar", "/events", [*organised, ("starts_after", now)])
        ),
        # A series begun before now: its later repeats are the person's to organise too.
        _read(
            fetch_items(
                request,
                admin,
                "calendar",
                "/events",
                [*organised, ("starts_before", now), ("recurring", "true")],
            )
        ),
        _read(
            fetch_items(
                request, admin, "calendar", "/leaves", {"user_id": person_id, "status": "pending"}
            )
        ),
        _read(
            fetch_items(
                request,
                admin,
                "calendar",
                "/bookings",
                {"booked_by": person_id, "status": "pending"},
            )
        ),
    )
    today = office_today().isoformat()
    events = None
    if upcoming is not None and series is not None:
        events = [event for event in series if _still_running(event, today)] + upcoming
    resource_names: dict[str, str] = {}
    if bookings:
        resources = await _read(fetch_items(request, admin, "calendar", "/resources"))
        resource_names = {item["id"]: item["name"] for item in resources or []}
    return LeftBehind(
        # "assignee" also finds the tasks of the person's teams: those stay with the team.
        tasks=None
        if tasks is None
        else [
            OpenTask(task, alone=task["assignee_ids"] == [person_id] and not task["team_ids"])
            for task in tasks
            if person_id in task["assignee_ids"]
        ],
        ppas=ppas,
        events=events,
        leaves=leaves,
        bookings=bookings,
        tasks_url=f"{TASK_LIST}?{urlencode(open_tasks)}",
        resource_names=resource_names,
    )


# --- the hand-over ---------------------------------------------------------------------------

# The most tasks one bulk change takes (the tasks service's BULK_MAX_ITEMS): more go in turns.
TASKS_PER_CHANGE = 200
# Why a PPA was not handed over, by the portfolio's answer (its own words otherwise).
PPA_OUTCOMES = {
    403: "you may not change it",
    404: "it no longer exists",
    412: "it was changed by someone else meanwhile — review it and choose its lead there",
}


@dataclass(frozen=True)
class Versioned:
    """A record to hand over, at the version the question showed (``<id>:<version>`` in
    its form)."""

    id: str
    version: int

    @property
    def encoded(self) -> str:
        return f"{self.id}:{self.version}"

    @classmethod
    def parsed(cls, values: list[str]) -> list[Versioned]:
        """The form's ``<id>:<version>`` values; anything else (not a record id, which
        becomes part of a service's path) is left out."""
        found = []
        for value in values:
            record_id, _, version = value.partition(":")
            if not version.isdigit():
                continue
            try:
                found.append(cls(str(uuid.UUID(record_id)), int(version)))
            except ValueError:
                continue
        return found


def counted(tasks: int, ppas: int, *, open_tasks: bool = False) -> str:
    """Counts in words: "14 open tasks and 2 PPAs", "1 task", "2 PPAs"."""
    parts = []
    if tasks:
        parts.append(f"{tasks} {'open ' if open_tasks else ''}task{'' if tasks == 1 else 's'}")
    if ppas:
        parts.append(f"{ppas} PPA{'' if ppas == 1 else 's'}")
    return " and ".join(parts)


@dataclass(frozen=True)
class NotHandedOver:
    """A record left as it was, and why in words."""

    title: str
    url: str
    reason: str


@dataclass
class HandedOver:
    """What the hand-over did: how many tasks changed, the PPAs now led by the colleague,
    and what it left, each with its reason."""

    colleague: str
    tasks: int = 0
    ppas: list[dict[str, str]] = field(default_factory=list)
    refused: list[NotHandedOver] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """In words: "14 tasks and 2 PPAs handed over to Norhana Ampatuan"."""
        done = counted(self.tasks, len(self.ppas))
        if not done:
            return f"Nothing was handed over to {self.colleague}"
        return f"{done} handed over to {self.colleague}"


async def hand_over(
    request: Request,
    admin: Identity,
    *,
    person_id: str,
    colleague_id: str,
    reason: str,
    tasks: list[Versioned],
    ppas: list[Versioned],
    colleague: str,
) -> HandedOver:
    """Give `colleague_id` the `tasks` of `person_id` (replacing them among the assignees,
    `reason` in each task's history) and the lead of `ppas`, each at its version."""
    done = HandedOver(colleague)
    refused_tasks: list[tuple[str, str]] = []  # (task id, why)
    for start in range(0, len(tasks), TASKS_PER_CHANGE):
        chunk = tasks[start : start + TASKS_PER_CHANGE]
        body = {
            "items": [{"id": task.id, "version": task.version} for task in chunk],
            "changes": {"add_assignee_ids": [colleague_id], "remove_assignee_ids": [person_id]},
            "reason": reason,
        }
        reply = await api(request, admin, "tasks", "PATCH", "/tasks", json=body)
        if not reply.ok:
            why = error_message(reply.body, "the tasks service refused the change")
            refused_tasks += [(task.id, why) for task in chunk]
            continue
        for result in reply.body["results"]:
            if result["status"] == 200:
                done.tasks += 1
            else:
                said = (result.get("error") or {}).get("message") if result["status"] == 422 else ""
                why = said or BULK_OUTCOMES.get(result["status"], "it was refused")
                refused_tasks.append((str(result["id"]), why))
    if refused_tasks:
        ids = [("id", task_id) for task_id, _ in refused_tasks]
        found = await fetch_items(request, admin, "tasks", "/tasks", ids)
        titles = {task["id"]: task["title"] for task in found}
        done.refused += [
            NotHandedOver(
                titles.get(task_id, "A task that no longer exists"), task_url(task_id), why
            )
            for task_id, why in refused_tasks
        ]
    for ppa in ppas:
        path = f"/ppas/{ppa.id}"
        url = PPA_PAGE.format(ppa_id=ppa.id)
        reply = await api(
            request,
            admin,
            "portfolio",
            "PATCH",
            path,
            json={"lead_id": colleague_id},
            headers=if_match(str(ppa.version)),
        )
        if reply.ok:
            done.ppas.append({"title": reply.body["title"], "url": url})
            continue
        current = await api(request, admin, "portfolio", "GET", path)
        title = current.body["title"] if current.ok else "A PPA that no longer exists"
        why = PPA_OUTCOMES.get(reply.status) or error_message(reply.body, "it was refused")
        done.refused.append(NotHandedOver(title, url, why))
    return done
