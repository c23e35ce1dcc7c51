"""A record's activity stream: its change history (`GET …/{id}/history`) as a page shows it,
newest first: when (the viewer's time), who (full name; "The system" for a change nobody made
through the API), why, and each field from what to what in words; merged (`merged`) with
its comments and file uploads, so that one stream tells everything that happened to it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from fastapi import Request

from gateway_service.auth.identity import Identity
from gateway_service.formatting import label, pesos
from gateway_service.pages.common import api, user_names

# How many changes a record's page shows (the API pages through all of them).
SHOWN = 20
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T")
PEOPLE_FIELDS = frozenset(
    {
        "assignee_ids",
        "lead_id",
        "organizer_id",
        "owner_id",
        "participant_ids",
        "approved_by",
        "booked_by",
        "user_id",
    }
)
# Fields whose values are codes of a vocabulary, shown as words ("not_started" -> "Not started").
CODE_FIELDS = frozenset(
    {
        "status",
        "priority",
        "domain",
        "category",
        "sector",
        "approval_status",
        "event_type",
        "primary_methodology",
        "assessment_level",
        "urgency_level",
        "feasibility",
        "leave_type",
        "resource_type",
        "role",
        "stage",
        "tranche_type",
        "repeats",
        "created_from_template",  # a template's name ("Meeting (standard)")
    }
)
FIELD_NAMES = {
    "assignee_ids": "Assignees",
    "team_ids": "Teams",
    "depends_on": "Waits for",
    "related_ppa_id": "Related PPA",
    "related_assessment_id": "Related assessment",
    "related_event_id": "Related event",
    "created_from_template": "Template",
    "ppa_ids": "Addressed by PPAs",
    "password_hash": "Password",
    "participant_ids": "Participants",
    "organizer_id": "Organizer",
    "approved_by": "Decided by",
    "booked_by": "Booked by",
    "user_id": "Person on leave",
    "is_active": "Active",
    "email": "E-mail",
}


def name_fields(titles: Mapping[str, str]) -> None:
    """Name fields as a form titles its inputs ("MOA reference", "Members"): a record's form
    declares its titles once, the Activity says them (the names above stay)."""
    for name, title in titles.items():
        FIELD_NAMES.setdefault(name, title)


# Money, written as the pages write it ("₱1,500,000.00").
# (A PPA's funding totals too, which its history keeps as each tranche moves them.)
AMOUNT_FIELDS = frozenset(
    {"budget_allocation", "budget_ceiling", "amount", "allocated", "obligated", "disbursed"}
)
# What the services derive for their own use (an event's span for its queries): no news.
DERIVED_FIELDS = frozenset({"span_start", "span_end"})
ACTIONS = {"created": "created it", "updated": "changed", "deleted": "deleted it"}


@dataclass(frozen=True)
class Change:
    field: str
    old: str | None
    new: str | None
    kind: str  # "day", "moment" or "text": how the template shows `old` and `new`


@dataclass(frozen=True)
class Activity:
    at: str
    who: str
    action: str
    cause: str | None
    changes: list[Change]
    kind: Literal["change"] = "change"


@dataclass(frozen=True)
class CommentEntry:
    """A comment in the stream: `body_html` is the service's sanitised rendering (the only
    text a page shows unescaped); a deleted comment has none and says so."""

    at: str
    who: str
    id: str
    body: str
    body_html: str
    mentions: list[tuple[str, str]]  # (id, full name) of the people it mentions
    version: int
    edited: bool
    deleted: bool
    may_edit: bool
    may_delete: bool
    kind: Literal["comment"] = "comment"


@dataclass(frozen=True)
class UploadEntry:
    """A file attached to the record (while it is attached)."""

    at: str
    who: str
    filename: str
    kind: Literal["upload"] = "upload"


Entry = Activity | CommentEntry | UploadEntry


def merged(*streams: Iterable[Entry]) -> list[Entry]:
    """One stream, newest first (times compared as moments, whatever their offset)."""
    entries = [entry for stream in streams for entry in stream]
    return sorted(entries, key=lambda entry: datetime.fromisoformat(entry.at), reverse=True)


async def activity(
    request: Request, user: Identity, service: str, path: str
) -> tuple[list[Activity], int]:
    """The last `SHOWN` changes of the record at `path` (``/tasks/{id}``) and how many there
    are in all; none when the service keeps no history of it or refuses."""
    reply = await api(request, user, service, "GET", f"{path}/history", params={"limit": SHOWN})
    if not reply.ok:
        return [], 0
    return await stream(request, reply.body["items"], int(reply.body["total"]))


async def stream(
    request: Request, entries: list[dict[str, Any]], total: int
) -> tuple[list[Activity], int]:
    """History `entries` (as JSON) in words, and `total`, as `activity` answers them (the
    gateway's own records' history is read from its database, not over HTTP)."""
    people = {entry["actor_id"] for entry in entries if entry["actor_id"]}
    for entry in entries:
        for change in entry["changes"]:
            if change["field"] in PEOPLE_FIELDS:
                people.update(_ids(change["old"]) + _ids(change["new"]))
    names = await user_names(request, people)
    return [
        Activity(
            at=entry["at"],
            who=names.get(entry["actor_id"], "Someone") if entry["actor_id"] else "The system",
            action=ACTIONS.get(entry["action"], label(entry["action"])),
            cause=entry["cause"],
            changes=[
                _change(change, names)
                for change in entry["changes"]
                if change["field"] not in DERIVED_FIELDS
            ],
        )
        for entry in entries
    ], total


def _ids(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)] if value else []


def _change(change: dict[str, Any], names: dict[str, str]) -> Change:
    field = change["field"]
    # A redacted value, or a structured one (a repeat rule): that it changed, not its insides.
    if change.get("redacted") or isinstance(change["new"] or change["old"], dict):
        return Change(
            field=FIELD_NAMES.get(field, label(field)), old=None, new="changed", kind="text"
        )
    old, new = change["old"], change["new"]
    kind = "text"
    if isinstance(new or old, str) and DAY.match(new or old):
        kind = "day"
    elif isinstance(new or old, str) and MOMENT.match(new or old):
        kind = "moment"
    return Change(
        field=FIELD_NAMES.get(field, label(field)),
        old=_shown(field, old, names),
        new=_shown(field, new, names),
        kind=kind,
    )


def _shown(field: str, value: Any, names: dict[str, str]) -> str | None:
    """The value in words: None stays None (the template says "—")."""
    if value is None or value == []:
        return None
    if field in PEOPLE_FIELDS:
        return ", ".join(names.get(person, "unknown user") for person in _ids(value))
    if field in CODE_FIELDS:
        return label(value)
    if field in AMOUNT_FIELDS:
        return pesos(value)
    if isinstance(value, list):
        return f"{len(value)} linked"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
