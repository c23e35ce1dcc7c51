"""Server-rendered pages: Jinja2 templates (autoescaped) shipped in the package."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import Response

from gateway_service import formatting
from gateway_service.static_files import static_url
from obcms_platform.auth import Role
from obcms_platform.obligation import under_obligated_rule
from obcms_platform.vocabulary import UNSPECIFIED_SECTOR

templates = Jinja2Templates(
    env=Environment(
        loader=PackageLoader("gateway_service", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
)
formatting.register(templates.env)
templates.env.globals["static_url"] = static_url
# The group of PPAs without a sector, named as the dashboard names it (reports, tables).
templates.env.globals["unspecified_sector"] = UNSPECIFIED_SECTOR
# When a PPA is under-obligated, in words with the day it is judged (one rule, declared once).
templates.env.globals["under_obligated_rule"] = under_obligated_rule


@dataclass(frozen=True)
class NavLink:
    """An entry of the layout's menu; `section`: current on the pages below it too."""

    label: str
    href: str
    section: bool = False
    role: Role = Role.STAFF

    def is_current(self, path: str) -> bool:
        return path.startswith(self.href) if self.section else path == self.href


NAVIGATION = (
    NavLink("Home", "/"),
    NavLink("Tasks", "/oobc-management/staff/tasks/"),
    NavLink("Calendar", "/oobc-management/staff/calendar/"),
    NavLink("My tasks", "/oobc-management/staff/tasks/mine/"),
    NavLink("Portfolio", "/oobc-management/portfolio/"),
    NavLink("PPAs", "/oobc-management/portfolio/ppas/", section=True),
    NavLink("Assessments", "/oobc-management/portfolio/assessments/", section=True),
    NavLink("Needs", "/oobc-management/portfolio/needs/", section=True),
    NavLink("Resources", "/oobc-management/resources/", section=True),
    NavLink("Leave", "/oobc-management/staff/leave/", section=True),
    NavLink("Teams", "/oobc-management/staff/teams/", section=True),
    NavLink("People", "/accounts/people/", section=True, role=Role.ADMIN),
)


# What `?saved=<what>` makes a page say (its `saved_subject` first: "Event created"). A fixed
# vocabulary: the query's text is never shown.
SAVED_WORDS = frozenset(
    {"created", "saved", "moved", "cancelled", "deleted", "booked", "approved", "rejected"}
    | {"sent", "withdrawn"}  # a request ("Leave request sent", "… withdrawn")
    | {"completed", "started", "reopened", "assigned", "undone"}  # a task's quick actions
    | {"added", "removed"}  # a task's dependencies ("Dependency added")
    | {"linked", "unlinked"}  # links added or removed one at a time (a need's PPAs)
)


# `?saved=` values that are a whole sentence, whatever the page: what people added to a
# record's page (its comments and files, `pages/collaboration.py`).
SAVED_SENTENCES = {
    "comment-posted": "Comment posted",
    "comment-saved": "Comment saved",
    "comment-deleted": "Comment deleted",
    "file-attached": "File attached",
    "file-deleted": "File deleted",
    # A booking made: held at once, or asked of a manager.
    "booked": "Booked: the resource is held for you at that time",
    "booking-requested": "Booking requested: it waits for a manager's approval",
}


def saved_message(request: Request, subject: str | None) -> str | None:
    """The sentence for the page's ``?saved=`` value, if it is one of `SAVED_SENTENCES` or
    `SAVED_WORDS`."""
    word = request.query_params.get("saved", "")
    if word in SAVED_SENTENCES:
        return SAVED_SENTENCES[word]
    if word not in SAVED_WORDS:
        return None
    return f"{subject} {word}" if subject else word.capitalize()


def csrf_token(request: Request) -> str:
    """The CSRF token for forms (asgi-csrf sets the ``csrftoken`` cookie when it is used)."""
    getter = request.scope.get("csrftoken")
    return str(getter()) if callable(getter) else ""


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """Render template `name`; every page also gets the signed-in `user`, the `time_zone`
    its times are shown in (the user's or the office's: an IANA name), the day `printed_on`,
    whether the user may change anyone's records (`may_edit_any`), and `notice` (a page's
    own message, else the `?saved=` sentence, with the page's `saved_subject`), shown in the
    layout's status area."""
    identity = getattr(request.state, "identity", None)
    zone = formatting.zone_named(getattr(identity, "time_zone", None))
    values: dict[str, Any] = {
        "csrf_token": csrf_token(request),
        "user": identity,
        "time_zone": zone.key,
        # The day a printed copy of the page says it was printed (its print header).
        "printed_on": formatting.format_day(datetime.now(zone), zone),
        "may_edit_any": identity is not None and identity.has_role(Role.MANAGER),
        "navigation": NAVIGATION,
        "path": request.url.path,
        **(context or {}),
    }
    if not values.get("notice"):
        values["notice"] = saved_message(request, values.get("saved_subject"))
    return templates.TemplateResponse(
        request, name, values, status_code=status_code, headers=headers
    )


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: an open redirect would hand the session to another site."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ch in target for ch in "\r\n\\"):
        return default
    return target
