"""Search everything from one box (the layout's header, or ``/`` from any page): tasks, PPAs,
assessments, needs, events, resources and people whose titles or names hold every word typed,
each kind asked of its service at once, as the reader (their rules decide what they see).

Each kind shows its first few matches with what tells them apart (a task's status and due
date, an event's time in the reader's zone) and links all of them in its own list, filtered
by the same words. A service that does not answer is said in its section; the others still
show."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from gateway_service.auth.identity import Identity, PageUser
from gateway_service.pages.assessments import ASSESSMENTS, NEEDS
from gateway_service.pages.common import api
from gateway_service.pages.events import EVENTS, RESOURCES, active_people
from gateway_service.pages.portfolio import PPAS
from gateway_service.pages.tasks import TASKS_PAGE
from gateway_service.web import render
from obcms_platform.errors import ServiceUnavailableError
from obcms_platform.schemas import SEARCH_TEXT_MAX

SEARCH = "/oobc-management/search/"
SHOWN = 5  # matches of each kind on the page; the rest are in its own list


@dataclass(frozen=True)
class SearchedKind:
    """A kind of record the search asks for: its service's list (`path`, with `params`), its
    pages (`page`: a record's is `page` + its id; `listed`: whether `page` lists them with
    ``?q=``)."""

    key: str
    heading: str
    service: str
    path: str
    page: str
    params: tuple[tuple[str, str], ...] = ()
    listed: bool = True


KINDS = (
    SearchedKind("tasks", "Tasks", "tasks", "/tasks", TASKS_PAGE, (("sort", "-updated_at"),)),
    SearchedKind("ppas", "PPAs", "portfolio", "/ppas", PPAS),
    SearchedKind("assessments", "Assessments", "portfolio", "/assessments", ASSESSMENTS),
    SearchedKind("needs", "Needs", "portfolio", "/needs", NEEDS),
    # The latest first: the coming and the recent meetings, not last year's.
    SearchedKind(
        "events", "Events", "calendar", "/events", EVENTS, (("sort", "-start"),), listed=False
    ),
    SearchedKind("resources", "Resources", "calendar", "/resources", RESOURCES),
)


@dataclass(frozen=True)
class Found:
    """One kind's answer: its first matches and how many there are (None: its service did
    not answer)."""

    kind: SearchedKind
    items: list[dict[str, Any]]
    total: int | None


async def _search(request: Request, user: Identity, kind: SearchedKind, words: str) -> Found:
    params = [("q", words), ("limit", str(SHOWN)), *kind.params]
    try:
        reply = await api(request, user, kind.service, "GET", kind.path, params=params)
    except ServiceUnavailableError:
        return Found(kind, [], None)
    if not reply.ok:  # not the reader's to list (a role's rule): nothing to show
        return Found(kind, [], 0)
    return Found(kind, reply.body["items"], reply.body["total"])


router = APIRouter(include_in_schema=False)


@router.get(SEARCH)
async def search(request: Request, user: PageUser, q: str = "") -> Response:
    words = " ".join(q.split())[:SEARCH_TEXT_MAX]
    found: list[Found] = []
    people: list[dict[str, str]] = []
    if words:
        found, people = await asyncio.gather(
            asyncio.gather(*(_search(request, user, kind, words) for kind in KINDS)),
            active_people(request, words),
        )
    return render(
        request,
        "search.html",
        {
            "q": words,
            "found": found,
            "people": people[:SHOWN],
            "more_people": len(people) > SHOWN,
            "anything": any(kind.items for kind in found) or bool(people),
            "tasks_page": TASKS_PAGE,
        },
    )
