"""What a person leaves behind when their account is deactivated: their open tasks, the
PPAs they lead, the events they organise from now on and their pending leave and booking
requests, each linked so that the admin can hand them over. The people page shows it
before the deactivation is confirmed and after it.

Read from the services as the admin; a part whose service cannot be read is said to be
unchecked rather than failing the page.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from gateway_service.auth.identity import Identity
from gateway_service.pages.common import UpstreamError, fetch_items
from gateway_service.pages.home import OPEN_TASK_STATUSES
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
