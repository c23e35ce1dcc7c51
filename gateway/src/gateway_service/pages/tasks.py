"""Task pages: the work list and the board over the same URL filters, the bulk edit, the
quick actions (complete, start, take), the new-task form, the detail/edit form (which carries
the task's version: a stale save is refused, never an overwrite), the tasks a task waits for
(added and removed one at a time, never through the form) and delete (asked first).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from gateway_service import formatting
from gateway_service.auth.identity import Identity, PageUser
from gateway_service.pages.collaboration import panel
from gateway_service.pages.common import (
    CHOICES_LIMIT,
    PAGE_SIZE,
    PEOPLE_JSON,
    TASK_DOMAINS,
    TASK_PRIORITIES,
    TASK_STATUSES,
    UUID_PATTERN,
    FormError,
    Reply,
    api,
    changed_inputs,
    download,
    fetch,
    fetch_items,
    if_match,
    merged_form,
    offset_param,
    page_links,
    parse_id,
    read_form,
    read_state,
    redirect,
    refusal_errors,
    sort_links,
    user_names,
    who_changed,
)
from gateway_service.pages.events import active_people, tom_select_assets
from gateway_service.pages.exports import background_export
from gateway_service.web import render, wants_json
from obcms_platform.errors import ServiceUnavailableError, error_response
from obcms_platform.formatting import quoted
from obcms_platform.links import MY_TASKS_LINK
from obcms_platform.repeats import Repeat
from obcms_platform.vocabulary import Frequency, values

TASKS_PAGE = "/oobc-management/staff/tasks/"
MY_TASKS = MY_TASKS_LINK
TASK_NEW = TASKS_PAGE + "new/"
TASK_CREATE = TASKS_PAGE + "create/"
TASK_BULK = TASKS_PAGE + "bulk/"
TASK_PAGE = TASKS_PAGE + "{task_id}/"
TASK_SEARCH = TASKS_PAGE + "search.json"
SEARCH_LIMIT = 20
# `?saved=` words of the "Waits for" section ("Dependency added"), not of the task.
DEPENDENCY_SAVED = ("added", "removed")

# Query parameters passed to `GET /tasks` as they are (the service validates them).
PASSED_FILTERS = (
    "q",
    "assignee",
    "team",
    "status",
    "priority",
    "domain",
    "related_ppa_id",
    "related_assessment_id",
    "related_event_id",
    "assigned_directly",
)
# The assignee filter: the person and whether their teams' tasks are left out.
ASSIGNEE_FILTERS = ("assignee", "assigned_directly")
# The filters a phone folds behind "Filters (n active)", each counted once ("Directly only"
# is part of the assignee's; a range's dates are the due filter's).
FOLDED_FILTERS = ("assignee", "team", "status", "priority", "domain", "due")
DUE_CHOICES = {
    "overdue": "Overdue",
    "today": "Due today",
    "week": "Due this week",
    "range": "Between…",
}
# Column header -> the service's sort key; "assignee" sorts the shown page by name only
# (the service cannot sort by a person's name).
SORT_COLUMNS = {
    "title": "Title",
    "assignee": "Assignees",
    "status": "Status",
    "priority": "Priority",
    "due_date": "Due",
    "created_at": "Created",
}
DEFAULT_SORT = "-created_at"  # newest first, as the original list (the guide checks it)
# The filter form's "Sort by" (a phone shows no column headings to click).
SORT_CHOICES = {
    "-created_at": "Newest first",
    "created_at": "Oldest first",
    "due_date": "Due soonest",
    "-due_date": "Due latest",
    "-priority": "Most urgent",
    "title": "Title A to Z",
    "status": "Status",
    "assignee": "Assignees",
}
BOARD_GROUPS = ("status", "priority", "assignee", "team")
BOARD_LIMIT = 200  # cards on one board (the filters narrow it)
# Cards shown in one column; the rest are a link away, in the list filtered to the column (138
# "Not started" cards made the board 18,000 px tall).
COLUMN_CARDS = 20
# The fields a board drag or a card's menu changes (the groups where a column is a value).
MOVABLE = {"status": TASK_STATUSES, "priority": TASK_PRIORITIES}
# Form inputs of the task form -> the API's fields (errors land beside these inputs).
FORM_FIELDS = (
    "title",
    "description",
    "domain",
    "status",
    "priority",
    "start_date",
    "due_date",
    "assignee_ids",
    "team_ids",
    "repeat",
    "repeat_until",
)
LIST_FIELDS = ("assignee_ids", "team_ids")
# The service's field -> the form's input ("repeat" holds the rule: `repeats`, its interval).
FORM_INPUTS = {
    **{name: name for name in FORM_FIELDS},
    "repeats": "repeat",
    "repeat_interval": "repeat",
}
CLEARABLE_DATES = ("start_date", "due_date", "repeat_until")
FREQUENCIES = values(Frequency)
# The rules the form offers ("monthly:3" = every 3 months); a task's other rule (set through
# the API) is offered beside them.
REPEAT_CHOICES = (
    "daily:1",
    "weekly:1",
    "weekly:2",
    "monthly:1",
    "monthly:3",
    "monthly:6",
    "yearly:1",
)
QUICK_ACTIONS = {
    "complete": ({"status": "completed"}, "completed"),
    "start": ({"status": "in_progress"}, "started"),
    # The tasks service decides the status a reopened task returns to (the one it had before
    # it was completed): its own route, no status sent (`_reopen`).
    "reopen": ({}, "reopened"),
}
QUICK_NAMES = frozenset({*QUICK_ACTIONS, "take", "move"})  # the quick actions' routes
# `?saved=` words of the quick actions: their message names the task (`?task=`).
QUICK_WORDS = frozenset({word for _, word in QUICK_ACTIONS.values()} | {"assigned", "moved"})
UNDONE = "undone"  # `?saved=` after an undo (`?undone=` the field it put back)
# Quick actions asked first of someone the task is not assigned to (a colleague's task,
# listed through a team, was completed by mistake in one click).
ASKED_FIRST = frozenset({"complete", "start"})
# The statuses a bulk change asks about first when it would set them on colleagues' tasks.
BULK_ASKED = {"completed": "Complete", "in_progress": "Start"}
# The fields an Undo puts back (what the quick actions change) -> their allowed values
# (None: people's ids).
UNDOABLE: dict[str, tuple[str, ...] | None] = {**MOVABLE, "assignee_ids": None}
ASSIGNEES_MAX = 200  # the tasks service's most assignees of a task
# `?bulk=` of the list after a bulk change with no task ticked: said beside the bulk toolbar.
BULK_UNSELECTED = "unselected"
NOTHING_SELECTED = "Select at least one task: tick the box beside each task to change."
# `?saved=` of the list after a bulk change that changed every selected task; `?change=`
# (repeated), `?changed=` and `?unchanged=` say what it did (`BulkDone`).
BULK_SAVED = "tasks-changed"
BULK_CHANGE = "change"
# The query parameters of the message after a quick action or a bulk change (left out of a
# page's own links).
TOAST_PARAMS = frozenset(
    {"saved", "task", "undo", "version", UNDONE, "bulk", BULK_CHANGE, "changed", "unchanged"}
)
STALE = "This task was changed by {who} since you opened it"

router = APIRouter(include_in_schema=False)


def task_url(task_id: str) -> str:
    return TASK_PAGE.format(task_id=task_id)


def _today(user: Identity) -> date:
    return datetime.now(formatting.zone_named(user.time_zone)).date()


def _local_path(value: str, fallback: str) -> str:
    """A redirect target from a form: only a path of this site (no other host)."""
    parts = urlsplit(value)
    if value.startswith("/") and not value.startswith("//") and not parts.netloc:
        return value
    return fallback


def _with_saved(url: str, word: str) -> str:
    return url + ("&" if "?" in url else "?") + f"saved={word}"


def card_anchor(task_id: str) -> str:
    """The id of a task's card on the board (a move without script lands back on it)."""
    return f"task-{task_id}"


def names_list(names: Iterable[str]) -> str:
    """People named in a sentence: "Rashid Lidasan and Omar Macabangkit"."""
    shown = list(names)
    return " and ".join([", ".join(shown[:-1]), shown[-1]] if len(shown) > 2 else shown)


def others_tasks(
    tasks: Iterable[dict[str, Any]],
    me: str,
    my_teams: Mapping[str, str],
    names: Mapping[str, str],
) -> dict[str, dict[str, str]]:
    """Of `tasks` (listed as mine: assigned to me or to one of my teams), those not assigned
    to me myself: id -> whose they are ("Norhana Ampatuan", "Unassigned") and why they are
    listed ("via MANA and Research team"); `my_teams`: id -> name of my teams."""
    found = {}
    for task in tasks:
        if me in task["assignee_ids"]:
            continue
        whose = [names.get(person, "Unknown user") for person in task["assignee_ids"]]
        teams = [f"{my_teams[team]} team" for team in task["team_ids"] if team in my_teams]
        found[task["id"]] = {
            "whose": names_list(whose) or "Unassigned",
            "via": "via " + ", ".join(teams) if teams else "",
        }
    return found


async def my_teams(request: Request, user: Identity) -> dict[str, str]:
    """id -> name of the teams `user` belongs to."""
    teams = await fetch_items(request, user, "tasks", "/teams", {"mine": "true"})
    return {team["id"]: team["name"] for team in teams}


@dataclass(frozen=True)
class Undo:
    """What puts back a quick action's change: `field` to `value` (a status or priority, or
    the assignees' ids), at the `version` the action left the task at (a change since is
    refused by the service, never overwritten)."""

    field: str
    value: str | list[str]
    version: str

    @classmethod
    def parse(cls, change: str, version: str) -> Undo | None:
        """`change` as `encoded()` makes it ("status:in_progress", "assignee_ids:<id>,<id>"),
        if it names a field an undo may put back and a value that field may have."""
        field, _, value = change.partition(":")
        if field not in UNDOABLE or not version.isdigit():
            return None
        allowed = UNDOABLE[field]
        if allowed is not None:
            return cls(field, value, version) if value in allowed else None
        people = value.split(",") if value else []
        if len(people) > ASSIGNEES_MAX or not all(map(UUID_PATTERN.fullmatch, people)):
            return None
        return cls(field, people, version)

    @classmethod
    def of_change(cls, before: dict[str, Any], after: dict[str, Any], field: str) -> Undo | None:
        """The undo of the change of `field` from task `before` to `after`: only when nothing
        else changed the task in between (one version on) and the field did change."""
        if after["version"] != before["version"] + 1 or before[field] == after[field]:
            return None
        return cls(field, before[field], str(after["version"]))

    def encoded(self) -> str:
        value = ",".join(self.value) if isinstance(self.value, list) else self.value
        return f"{self.field}:{value}"

    def query(self) -> str:
        """The query parameters that carry it to the message after the action."""
        return urlencode({"undo": self.encoded(), "version": self.version})


@dataclass(frozen=True)
class UndoButton:
    """The message's Undo form: it posts `undo` of task `task_id`, then comes back to `back`."""

    task_id: str
    undo: Undo
    back: str


async def saved_task(request: Request, user: Identity) -> dict[str, Any] | None:
    """The task the message after a quick action or its undo names (`?saved=`, `?task=`)."""
    task_id = request.query_params.get("task", "")
    saved = request.query_params.get("saved")
    if saved not in QUICK_WORDS | {UNDONE} or not UUID_PATTERN.fullmatch(task_id):
        return None
    reply = await api(request, user, "tasks", "GET", f"/tasks/{task_id}")
    return reply.body if reply.ok else None


def task_message(
    request: Request, task: dict[str, Any] | None, fallback: str | None
) -> dict[str, Any]:
    """The page's message after a quick action on `task` (`saved_task`): its subject, the
    task's title in quotes ("“Send invitations” completed"; `fallback` when there is no such
    task: the title is the service's, never the query's) and its Undo button (`?undo=`,
    `?version=`); after an undo, the whole sentence ("“Send invitations” is back to In
    progress", said from the task as it is now)."""
    query = request.query_params
    if task is None or query.get("task") != task["id"]:
        return {"saved_subject": fallback}
    subject = quoted(task["title"])
    if query.get("saved") == UNDONE:
        sentence = _undone_sentence(subject, task, query.get(UNDONE, ""))
        return {"saved_subject": subject, "notice": sentence}
    undo = Undo.parse(query.get("undo", ""), query.get("version", ""))
    button = UndoButton(task["id"], undo, _here(request)) if undo else None
    return {"saved_subject": subject, "undo": button}


def _undone_sentence(subject: str, task: dict[str, Any], field: str) -> str:
    """What an undo of `field` says it did, from `task` as it is now."""
    if field == "status":
        return f"{subject} is back to {formatting.label(task['status'])}"
    if field == "priority":
        return f"{subject} is back to {formatting.label(task['priority'])} priority"
    return f"{subject} is back to its former assignees"


async def saved_task_subject(
    request: Request, user: Identity, fallback: str | None
) -> dict[str, Any]:
    """`task_message` of the task `?task=` names; a repeating task just completed links the
    occurrence its completion created."""
    task = await saved_task(request, user)
    message = task_message(request, task, fallback)
    if request.query_params.get("saved") == "completed":
        message["continued_by"] = await _occurrence(request, user, task, "next_task_id")
    return message


def repeat_choices(form: TaskForm) -> list[tuple[str, str]]:
    """The form's "Repeats" choices as (value, words); a task's own rule among them."""
    offered = list(REPEAT_CHOICES)
    if form.rule() is not None and form.repeat not in offered:
        offered.append(form.repeat)
    return [(value, _every(*value.split(":"))) for value in offered]


def repeat_words(task: dict[str, Any]) -> str:
    """ "Every 3 months, until Wed 30 Jun 2027" ("" for a task that does not repeat)."""
    if not task.get("repeats"):
        return ""
    until = date.fromisoformat(task["repeat_until"]) if task["repeat_until"] else None
    return Repeat(Frequency(task["repeats"]), task["repeat_interval"], until=until).described()


def _every(frequency: str, interval: str) -> str:
    return Repeat(Frequency(frequency), int(interval)).described()


# --- the list and the board ----------------------------------------------------------------


@dataclass(frozen=True)
class ListQuery:
    """The page's URL filters and the `GET /tasks` query they make."""

    filters: dict[str, str]
    params: list[tuple[str, str]]
    sort: str
    view: str
    group: str


def _list_query(request: Request, user: Identity, *, mine: bool) -> ListQuery:
    query = request.query_params
    params = [(k, v) for k, v in query.multi_items() if k in PASSED_FILTERS and v]
    if mine:
        params = [(k, v) for k, v in params if k not in ASSIGNEE_FILTERS]
        params.append(("assignee", "me"))
    elif query.get("assignee") in (None, "", "none") or query.get("assigned_directly") != "true":
        # "Directly only" as its box sends it, and with someone chosen: else nobody's tasks
        # to narrow (the service would refuse it).
        params = [(k, v) for k, v in params if k != "assigned_directly"]
    filters = {k: v for k, v in params}
    due = query.get("due", "")
    today = _today(user)
    if due == "overdue":
        params.append(("overdue", "true"))
    elif due == "today":
        params += [("due_after", today.isoformat()), ("due_before", today.isoformat())]
    elif due == "week":
        monday = today - timedelta(days=today.weekday())
        params += [
            ("due_after", monday.isoformat()),
            ("due_before", (monday + timedelta(days=6)).isoformat()),
        ]
    elif due == "range":
        for name in ("due_after", "due_before"):
            if value := query.get(name, "").strip():
                params.append((name, value))
                filters[name] = value
    if due in DUE_CHOICES:
        filters["due"] = due
    sort = query.get("sort", DEFAULT_SORT)
    if sort.removeprefix("-") not in SORT_COLUMNS:
        sort = DEFAULT_SORT
    view = "board" if query.get("view") == "board" else "list"
    group = query.get("group", "status")
    if group not in BOARD_GROUPS:
        group = "status"
    return ListQuery(filters, params, sort, view, group)


def _listed_for(filters: Mapping[str, str], user: Identity) -> str | None:
    """The person whose tasks, and their teams', the list's filters select ("me", My tasks,
    or someone chosen); None when it is nobody's, or only their own (`assigned_directly`)."""
    assignee = filters.get("assignee")
    if assignee in (None, "none") or filters.get("assigned_directly") == "true":
        return None
    return str(user.id) if assignee == "me" else assignee


def _service_sort(sort: str) -> str:
    """The service's order of the page's `sort` (by assignee: the page sorts by name)."""
    return "-created_at" if sort.removeprefix("-") == "assignee" else sort


async def _changeable(
    request: Request, user: Identity, tasks: list[dict[str, Any]]
) -> frozenset[str]:
    """Of `tasks`, the ids of those `user` may change: the list offers its quick actions, its
    selection and the board's moves on those only (the tasks service's rules decide)."""
    if not tasks:
        return frozenset()
    reply = await api(
        request,
        user,
        "tasks",
        "GET",
        "/tasks/permitted",
        params=[("id", task["id"]) for task in tasks],
    )
    return frozenset(str(task_id) for task_id in reply.body["update"]) if reply.ok else frozenset()


async def _list_tasks(
    request: Request,
    user: Identity,
    params: list[tuple[str, str]],
    sort: str,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int, FormError | None, int]:
    """One page of tasks: (items, total, the service's refusal of the filters, status)."""
    reply = await api(
        request,
        user,
        "tasks",
        "GET",
        "/tasks",
        params=[
            *params,
            ("limit", str(limit)),
            ("offset", str(offset)),
            ("sort", _service_sort(sort)),
        ],
    )
    if reply.ok:
        return reply.body["items"], reply.body["total"], None, 200
    return [], 0, reply.as_error(), reply.status


def _column_list_url(request: Request, *, mine: bool, group: str, key: str) -> str | None:
    """The list of a board column's tasks: the board's filters and the column's own (None
    for "No team", which no filter selects)."""
    value = key or ("none" if group == "assignee" else "")
    if not value:
        return None
    dropped = {"view", "group", "offset", group, *TOAST_PARAMS}
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in dropped]
    # "My tasks" is filtered to me: a colleague's column is theirs, in the list of all tasks.
    base = MY_TASKS if mine and group != "assignee" else TASKS_PAGE
    return base + "?" + urlencode([*kept, (group, value)])


def _board_columns(
    request: Request,
    tasks: list[dict[str, Any]],
    group: str,
    names: dict[str, str],
    teams: dict[str, str],
    *,
    mine: bool,
) -> list[dict[str, Any]]:
    """The board's columns in order, each with its first cards, how many it holds and where
    the list shows them all (a task with two assignees or teams shows in each of their
    columns)."""
    columns: dict[str, dict[str, Any]] = {}
    if group in MOVABLE:
        for value in MOVABLE[group]:
            columns[value] = {"key": value, "title": formatting.label(value), "tasks": []}
        for task in tasks:
            columns[task[group]]["tasks"].append(task)
        ordered = list(columns.values())
    else:
        field, lookup, nobody = (
            ("assignee_ids", names, "Unassigned")
            if group == "assignee"
            else ("team_ids", teams, "No team")
        )
        for task in tasks:
            for key in task[field] or [""]:
                title = lookup.get(key, "Unknown") if key else nobody
                column = columns.setdefault(key, {"key": key, "title": title, "tasks": []})
                column["tasks"].append(task)
        ordered = sorted(
            columns.values(), key=lambda column: (column["key"] == "", column["title"].lower())
        )
    for column in ordered:
        cards = column["tasks"]
        column["count"] = len(cards)
        column["hidden"] = max(0, len(cards) - COLUMN_CARDS)
        column["tasks"], column["rest"] = cards[:COLUMN_CARDS], cards[COLUMN_CARDS:]
        # "No team" has no list filter: its other cards are behind a disclosure instead.
        column["list_url"] = _column_list_url(request, mine=mine, group=group, key=column["key"])
    return ordered


async def _task_list_page(request: Request, user: Identity, *, mine: bool = False) -> Response:
    listing = _list_query(request, user, mine=mine)
    offset = offset_param(request)
    board = listing.view == "board"
    tasks, total, list_error, status = await _list_tasks(
        request,
        user,
        listing.params,
        listing.sort,
        BOARD_LIMIT if board else PAGE_SIZE,
        0 if board else offset,
    )
    # A range ending before it starts is the "To" date's fault, said beside it.
    range_error = None
    if list_error is not None and list_error.field == "due_before":
        range_error, list_error = "\u201cTo\u201d must not be before \u201cFrom\u201d", None
    changeable = await _changeable(request, user, tasks)
    people = {a for task in tasks for a in task["assignee_ids"]}
    if listing.filters.get("assignee") not in (None, "me", "none"):
        people.add(listing.filters["assignee"])
    query = request.query_params
    bulk_done = (
        BulkDone.parse(query, query.getlist(BULK_CHANGE))
        if query.get("saved") == BULK_SAVED
        else None
    )
    names = await user_names(request, people | set(bulk_done.people() if bulk_done else ()))
    if listing.sort.removeprefix("-") == "assignee":
        tasks.sort(
            key=lambda t: [names.get(a, "").lower() for a in t["assignee_ids"]] or ["\uffff"],
            reverse=listing.sort.startswith("-"),
        )
    team_list, linked, message = await asyncio.gather(
        fetch_items(request, user, "tasks", "/teams"),
        _related_records(request, user, listing.filters),
        saved_task_subject(request, user, "Task"),
    )
    # The bulk change's choices of whom to assign (a list with tasks has one): anyone active.
    assignable = await active_people(request, limit=CHOICES_LIMIT) if tasks and not board else []
    teams = {team["id"]: team["name"] for team in team_list}
    listed_for = _listed_for(listing.filters, user)
    their_teams = {
        team["id"]: team["name"]
        for team in team_list
        if any(member["user_id"] == listed_for for member in team["members"])
    }
    return render(
        request,
        "tasks.html",
        {
            "tasks": tasks,
            "total": total,
            "names": names,
            "teams": team_list,
            "team_names": teams,
            "linked": linked,
            "filters": listing.filters,
            "sort": listing.sort,
            "sort_links": sort_links(request, listing.sort, SORT_COLUMNS),
            "columns": SORT_COLUMNS,
            "sort_choices": SORT_CHOICES,
            "view": listing.view,
            "group": listing.group,
            "board": _board_columns(request, tasks, listing.group, names, teams, mine=mine)
            if board
            else [],
            "movable": MOVABLE.get(listing.group, ()),
            "list_error": list_error.text if list_error else None,
            # The filters the view switch and the export keep (no view, page or message).
            "view_params": [
                (k, v)
                for k, v in request.query_params.multi_items()
                if k not in {"view", "group", "offset", *TOAST_PARAMS}
            ],
            # Any filter of the person's (My tasks' own "assigned to me" is none of theirs):
            # an empty list then says "no match", else that there are no tasks yet.
            "filtered": any(name != "assignee" or not mine for name in listing.filters),
            # The filters the "Filters (n active)" disclosure holds that are set (the search
            # is beside it; My tasks' own "assigned to me" is none of the person's).
            "active_filters": sum(
                name in listing.filters for name in FOLDED_FILTERS if name != "assignee" or not mine
            ),
            "bulk_problem": NOTHING_SELECTED
            if request.query_params.get("bulk") == BULK_UNSELECTED
            else None,
            "changeable": changeable,
            "range_error": range_error,
            "domains": TASK_DOMAINS,
            "statuses": TASK_STATUSES,
            "priorities": TASK_PRIORITIES,
            "due_choices": DUE_CHOICES,
            "groups": BOARD_GROUPS,
            "pages": page_links(request, total, offset),
            "background_export": background_export(
                request, "tasks", "tasks", _export_filters(listing), total
            ),
            "mine": mine,
            # A list of someone's tasks holds their teams' too: each says why it is there.
            "listed_through": others_tasks(tasks, listed_for, their_teams, names)
            if listed_for
            else {},
            "here": _here(request),
            "card_anchor": card_anchor,
            "tom_select": tom_select_assets(),
            "people_url": PEOPLE_JSON,
            "active_people": assignable,
            # Filters and removals find deactivated people too: the work they left.
            "everyone_url": f"{PEOPLE_JSON}?everyone=true",
            **message,
            **({"notice": bulk_done.sentence(names, str(user.id))} if bulk_done else {}),
        },
        status_code=status,
    )


def _here(request: Request) -> str:
    """This page's path and query, without the message of what was just done."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in TOAST_PARAMS]
    return request.url.path + ("?" + urlencode(kept) if kept else "")


@router.get(TASKS_PAGE)
async def task_list(request: Request, user: PageUser) -> Response:
    return await _task_list_page(request, user)


@router.get(MY_TASKS)
async def my_tasks(request: Request, user: PageUser) -> Response:
    """Tasks assigned to me, directly or through one of my teams."""
    return await _task_list_page(request, user, mine=True)


def _export_filters(listing: ListQuery) -> list[tuple[str, str]]:
    """The service's filters of the tasks the list page shows, in its order (the service's:
    by assignee is by creation)."""
    return [*listing.params, ("sort", _service_sort(listing.sort))]


async def _task_export(request: Request, user: Identity, *, mine: bool) -> Response:
    """Every task the list page's filters select, in its order, as the file of ``?format=``
    (csv or xlsx)."""
    listing = _list_query(request, user, mine=mine)
    params = [
        *_export_filters(listing),
        ("format", request.query_params.get("format") or "csv"),
    ]
    return await download(request, user, "tasks", "/tasks", "the task list", params=params)


@router.get(TASKS_PAGE + "export/")
async def task_export(request: Request, user: PageUser) -> Response:
    return await _task_export(request, user, mine=False)


@router.get(MY_TASKS + "export/")
async def my_task_export(request: Request, user: PageUser) -> Response:
    return await _task_export(request, user, mine=True)


# --- the form (new and edit) ----------------------------------------------------------------


@dataclass
class TaskForm:
    """What the form shows: the values as typed, or the task's."""

    title: str = ""
    description: str = ""
    domain: str = "general"
    status: str = "not_started"
    priority: str = "medium"
    start_date: str = ""
    due_date: str = ""
    assignee_ids: list[str] | None = None
    team_ids: list[str] | None = None
    repeat: str = ""  # "" (does not repeat) or "<frequency>:<interval>", as REPEAT_CHOICES
    repeat_until: str = ""
    version: str = ""
    # The inputs the submission had (a PATCH changes only those).
    present: frozenset[str] = frozenset(FORM_FIELDS)
    # The values the edit form was opened with (`common.read_state`; None: not known).
    read: dict[str, Any] | None = None

    @classmethod
    def of_task(cls, task: dict[str, Any]) -> TaskForm:
        return cls(
            title=task["title"],
            description=task["description"],
            domain=task["domain"],
            status=task["status"],
            priority=task["priority"],
            start_date=task["start_date"] or "",
            due_date=task["due_date"] or "",
            assignee_ids=list(task["assignee_ids"]),
            team_ids=list(task["team_ids"]),
            repeat=f"{task['repeats']}:{task['repeat_interval']}" if task["repeats"] else "",
            repeat_until=task["repeat_until"] or "",
            version=str(task["version"]),
        )

    @classmethod
    async def submitted(cls, request: Request) -> TaskForm:
        values, raw = await read_form(request)

        def chosen(name: str) -> list[str]:
            return [v for v in raw.getlist(name) if isinstance(v, str) and v]

        return cls(
            **{name: values.get(name, "") for name in FORM_FIELDS if name not in LIST_FIELDS},
            assignee_ids=chosen("assignee_ids"),
            team_ids=chosen("team_ids"),
            version=values.get("version", ""),
            present=frozenset(name for name in FORM_FIELDS if name in raw),
            read=read_state(values),
        )

    def inputs(self) -> dict[str, Any]:
        """The values of the inputs the form has, as it shows them."""
        return {name: getattr(self, name) for name in FORM_FIELDS if name in self.present}

    def read_state(self, task: dict[str, Any] | None) -> str:
        """What an edit form carries as the values it was opened with (`common.READ_STATE`):
        those it was first opened with, else the task's."""
        if task is None:
            return ""
        shown = self.read if self.read is not None else TaskForm.of_task(task).inputs()
        return json.dumps(shown)

    def problems(self) -> dict[str, str]:
        """What the form can tell before asking the service, in words (all at once)."""
        found: dict[str, str] = {}
        if "title" in self.present and not self.title:
            found["title"] = "Enter a title"
        for name in CLEARABLE_DATES:
            value = getattr(self, name, "")
            if value:
                try:
                    date.fromisoformat(value)
                except ValueError:
                    found[name] = "Enter a date, e.g. 2026-12-14"
        if self.repeat and self.rule() is None:
            found["repeat"] = "Choose how often the task repeats"
        return found

    def rule(self) -> tuple[str, int] | None:
        """The chosen rule as (frequency, interval); None for none or one not understood."""
        frequency, _, interval = self.repeat.partition(":")
        if frequency not in FREQUENCIES or not interval.isdigit():
            return None
        return frequency, int(interval)

    def payload(self, *, new: bool, only: Iterable[str] | None = None) -> dict[str, Any]:
        """The API body: the submitted inputs (or of them `only` those named); an emptied
        date clears it on an edit. A task that does not repeat has no end to its repeating
        (a date typed there is dropped, not refused)."""
        body: dict[str, Any] = {}
        inputs = self.present if only is None else self.present & set(only)
        for name in inputs:
            value = getattr(self, name)
            if name == "repeat":
                rule = self.rule()
                if rule is not None:
                    body["repeats"], body["repeat_interval"] = rule
                elif not new:
                    body["repeats"] = body["repeat_until"] = None
            elif name == "repeat_until" and not self.repeat:
                if not new:
                    body[name] = None
            elif name in CLEARABLE_DATES:
                if value or not new:
                    body[name] = value or None
            elif isinstance(value, list) or value or name in {"title", "description"}:
                body[name] = value
        if new:
            body.setdefault("assignee_ids", self.assignee_ids or [])
        return body


@dataclass(frozen=True)
class RelatedRecord:
    """The record a task is linked to: what it is ("PPA"), its page and its title (None when
    its service cannot say: gone, not the reader's to see, or not answering)."""

    what: str
    url: str
    title: str | None


# A task's link field -> what it links to, its service, its API path and its page.
RELATED_RECORDS = {
    "related_ppa_id": ("PPA", "portfolio", "/ppas/{}", "/oobc-management/portfolio/ppas/{}/"),
    "related_assessment_id": (
        "assessment",
        "portfolio",
        "/assessments/{}",
        "/oobc-management/portfolio/assessments/{}/",
    ),
    "related_event_id": (
        "event",
        "calendar",
        "/events/{}",
        "/oobc-management/calendar/events/{}/",
    ),
}


async def _related_records(
    request: Request, user: Identity, links: dict[str, Any]
) -> dict[str, RelatedRecord]:
    """The records `links` (a task, or the list's filters) names, by link field, with their
    titles: a page says "the PPA “Farm-to-market road”", not an id. A record its service does
    not show is still linked, by what it is."""

    async def related(field: str) -> RelatedRecord:
        what, service, path, page = RELATED_RECORDS[field]
        record_id, title = str(links[field]), None
        try:
            record_id = str(uuid.UUID(record_id))
            reply = await api(request, user, service, "GET", path.format(record_id))
            if reply.ok and isinstance(reply.body, dict):
                title = reply.body.get("title")
        except (ValueError, ServiceUnavailableError):
            pass  # not an id (the list says so) or not answering: linked, untitled
        return RelatedRecord(what, page.format(record_id), title)

    named = [field for field in RELATED_RECORDS if links.get(field)]
    return dict(zip(named, await asyncio.gather(*map(related, named)), strict=True))


async def _form_page(
    request: Request,
    user: Identity,
    form: TaskForm,
    *,
    task: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    general: str | None = None,
    conflict: str | None = None,
    dependency_error: str | None = None,
    refusal: str | None = None,
    status: int = 200,
) -> Response:
    """The task's page (or the new-task form): `refusal` is why a button's action (complete,
    reopen, delete) was refused, said at the top of the page where the button was."""
    teams = await fetch_items(request, user, "tasks", "/teams")
    dependencies = await _dependencies(request, user, task) if task else []
    # What the tasks service's rules let this person do: the page offers only that.
    allowed = (
        await fetch(request, user, "tasks", f"/tasks/{task['id']}/permissions") if task else {}
    )
    collab = (
        await panel(request, user, "task", task["id"], may_change_record=allowed["update"])
        if task
        else None
    )
    people = await active_people(request, limit=CHOICES_LIMIT)
    listed = {person["id"] for person in people}
    missing = [p for p in form.assignee_ids or [] if p not in listed]
    extra = [task["created_by"]] if task and task.get("created_by") else []
    names = await user_names(request, [*missing, *extra, *(task["assignee_ids"] if task else [])])
    people += [{"id": p, "name": names.get(p, p)} for p in missing]
    related = (
        next(iter((await _related_records(request, user, task)).values()), None) if task else None
    )
    # A repeating task's neighbours in its series, by their due dates.
    occurrences = await asyncio.gather(
        *(_occurrence(request, user, task, link) for link in ("previous_task_id", "next_task_id"))
    )
    return render(
        request,
        "task_detail.html" if task else "task_form.html",
        {
            "task": task,
            "allowed": allowed,
            "form": form,
            "read_state": form.read_state(task),
            "errors": errors or {},
            "general_error": general,
            "conflict": conflict,
            "refusal": refusal,
            "people": people,
            "names": names,
            "teams": teams,
            "related": related,
            "activity": collab.entries if collab else [],
            "activity_total": collab.history_total if collab else 0,
            "collab": collab,
            "domains": TASK_DOMAINS,
            "statuses": TASK_STATUSES,
            "priorities": TASK_PRIORITIES,
            "tom_select": tom_select_assets(),
            "people_url": PEOPLE_JSON,
            "dependencies": dependencies,
            "waiting": sum(dependency["status"] != "completed" for dependency in dependencies),
            "dependency_error": dependency_error,
            "search_url": TASK_SEARCH,
            "repeat_choices": repeat_choices(form),
            "repeat_words": repeat_words(task) if task else "",
            "previous_occurrence": occurrences[0],
            "next_occurrence": occurrences[1],
            "continued_by": occurrences[1]
            if request.query_params.get("saved") == "completed"
            else None,
            **_detail_message(request, task),
        },
        status_code=status,
    )


async def _occurrence(
    request: Request, user: Identity, task: dict[str, Any] | None, link: str
) -> dict[str, Any] | None:
    if task is None or not task.get(link):
        return None
    reply = await api(request, user, "tasks", "GET", f"/tasks/{task[link]}")
    return reply.body if reply.ok else None


def _detail_message(request: Request, task: dict[str, Any] | None) -> dict[str, Any]:
    """What the task's page says was just done: a dependency, the task named (a quick
    action's message names its task, with its Undo), or the task."""
    if request.query_params.get("saved") in DEPENDENCY_SAVED:
        return {"saved_subject": "Dependency"}
    return task_message(request, task, "Task")


async def _dependencies(
    request: Request, user: Identity, task: dict[str, Any]
) -> list[dict[str, Any]]:
    """The tasks `task` waits for, in the order they were added."""
    if not task["depends_on"]:
        return []
    params = [("id", other) for other in task["depends_on"]]
    found = {
        other["id"]: other for other in await fetch_items(request, user, "tasks", "/tasks", params)
    }
    return [found[other] for other in task["depends_on"] if other in found]


@router.get(TASK_NEW)
async def task_new(request: Request, user: PageUser) -> Response:
    return await _form_page(request, user, TaskForm())


@router.post(TASK_CREATE)
async def task_create(request: Request, user: PageUser) -> Response:
    form = await TaskForm.submitted(request)
    problems = form.problems()
    if problems:
        if wants_json(request):
            field, message = next(iter(problems.items()))
            return error_response(422, "validation_error", f"{field}: {message}", field=field)
        return await _form_page(request, user, form, errors=problems, status=422)
    body = form.payload(new=True)
    # A task made here is its maker's unless the form names its people (the form, shown
    # again after a refusal, keeps its picker as the person left it: empty).
    body["assignee_ids"] = form.assignee_ids or [str(user.id)]
    reply = await api(request, user, "tasks", "POST", "/tasks", json=body)
    if wants_json(request):
        return JSONResponse(reply.body, status_code=reply.status)
    if reply.ok:
        return redirect(_with_saved(task_url(reply.body["id"]), "created"))
    errors, general = refusal_errors(reply, FORM_INPUTS)
    return await _form_page(
        request, user, form, errors=errors, general=general, status=reply.status
    )


# --- bulk -------------------------------------------------------------------------------------


BULK_OUTCOMES = {
    403: "you may not change it",
    404: "it no longer exists",
    412: "it was changed by someone else meanwhile — review it",
    422: "the change was refused",
}


# The bulk form's choices of a person to add or remove -> the change's field.
BULK_PEOPLE = {"add_assignee": "add_assignee_ids", "remove_assignee": "remove_assignee_ids"}
BULK_PEOPLE_FIELDS = ("assignee_ids", *BULK_PEOPLE.values())  # a bulk change's people


def _bulk_person(value: str, user: Identity) -> str | None:
    """The person a bulk choice names ("me" or an id); None for anything else."""
    if value == "me":
        return str(user.id)
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _bulk_changes(values: dict[str, str], user: Identity) -> tuple[dict[str, Any], str | None]:
    """The bulk form as the service's changes, or what is wrong with it."""
    changes: dict[str, Any] = {}
    if values.get("set_status"):
        changes["status"] = values["set_status"]
    if values.get("set_priority"):
        changes["priority"] = values["set_priority"]
    if values.get("set_due_date"):
        changes["due_date"] = values["set_due_date"]
    assignee = values.get("set_assignee", "")
    if assignee == "me":
        changes["assignee_ids"] = [str(user.id)]
    elif assignee == "none":
        changes["assignee_ids"] = []
    elif assignee:
        changes["assignee_ids"] = [assignee]
    for name, field in BULK_PEOPLE.items():
        if not values.get(name):
            continue
        person = _bulk_person(values[name], user)
        if person is None:
            return {}, "Choose the person to add or remove from the list."
        changes[field] = [person]
    if "assignee_ids" in changes and changes.keys() & BULK_PEOPLE.values():
        return {}, (
            "Either replace the assignees or add or remove one of them, not both: "
            "the replacement would undo the other."
        )
    if changes.get("add_assignee_ids", [None]) == changes.get("remove_assignee_ids"):
        return {}, "The same person cannot be added and removed at once."
    return changes, None


@dataclass(frozen=True)
class BulkDone:
    """What a bulk change did: `changes` (the service's, as `_bulk_changes` makes them) made
    to `changed` tasks, `unchanged` of those selected already being so. The list's message
    after it reads it from the query (`query`, `parse`: known words, dates and ids only)."""

    changes: dict[str, Any]
    changed: int
    unchanged: int

    @classmethod
    def of_results(cls, changes: dict[str, Any], results: list[dict[str, Any]]) -> BulkDone:
        done = [result for result in results if result["status"] == 200]
        changed = sum(1 for result in done if result.get("changed", True))
        return cls(changes, changed, len(done) - changed)

    def query(self) -> list[tuple[str, str]]:
        encoded = [
            (BULK_CHANGE, f"{field}:{','.join(value) if isinstance(value, list) else value}")
            for field, value in self.changes.items()
        ]
        return [("changed", str(self.changed)), ("unchanged", str(self.unchanged)), *encoded]

    @classmethod
    def parse(cls, query: Mapping[str, str], encoded: Iterable[str]) -> BulkDone | None:
        """The change `query` (`changed`, `unchanged`) and its `encoded` changes (`query`'s
        ``change`` entries) say; None when one is not a change a bulk change makes."""
        changes: dict[str, Any] = {}
        for entry in encoded:
            field, _, value = entry.partition(":")
            if field in BULK_PEOPLE_FIELDS:
                people = value.split(",") if value else []
                if len(people) > ASSIGNEES_MAX or not all(map(UUID_PATTERN.fullmatch, people)):
                    return None
                changes[field] = people
            elif field == "due_date":
                try:
                    date.fromisoformat(value)
                except ValueError:
                    return None
                changes[field] = value
            elif value in MOVABLE.get(field, ()):
                changes[field] = value
            else:
                return None
        changed, unchanged = query.get("changed", ""), query.get("unchanged", "")
        if not changes or not changed.isdigit() or not unchanged.isdigit():
            return None
        return cls(changes, int(changed), int(unchanged))

    def people(self) -> list[str]:
        """The people the change names (assigned, added or removed)."""
        return [p for field in BULK_PEOPLE_FIELDS for p in self.changes.get(field, [])]

    def sentence(self, names: Mapping[str, str], me: str) -> str:
        """In words: "2 tasks reassigned to Norhana Ampatuan", "3 tasks completed; 1 already
        was", "Norhana Ampatuan added to 3 tasks; 2 already had them"."""
        changes = self.changes

        def who(person: str) -> str:
            return "you" if person == me else names.get(person, "Unknown user")

        def tasks(count: int) -> str:
            return f"{count} task{'' if count == 1 else 's'}"

        alone = [field for field in BULK_PEOPLE.values() if field in changes]
        if len(changes) == 1 and alone:
            person = changes[alone[0]][0]
            return self._person_sentence(alone[0], who(person), person == me, tasks)
        parts = []
        status = changes.get("status")
        if status == "completed":
            parts.append("completed")
        elif status:
            parts.append(f"marked {formatting.label(status)}")
        if "priority" in changes:
            parts.append(f"set to {formatting.label(changes['priority'])} priority")
        if "due_date" in changes:
            parts.append(f"due {formatting.format_day(changes['due_date'])}")
        if "assignee_ids" in changes:
            people = [who(person) for person in changes["assignee_ids"]]
            parts.append(f"reassigned to {names_list(people)}" if people else "unassigned")
        if "add_assignee_ids" in changes:
            parts.append(f"shared with {who(changes['add_assignee_ids'][0])}")
        if "remove_assignee_ids" in changes:
            parts.append(f"no longer assigned to {who(changes['remove_assignee_ids'][0])}")
        said = f"{tasks(self.changed)} {names_list(parts)}"
        if self.unchanged:
            said += f"; {self.unchanged} already {'was' if self.unchanged == 1 else 'were'}"
        return said

    def _person_sentence(self, field: str, name: str, me: bool, tasks: Callable[[int], str]) -> str:
        """A person added or removed alone: "Norhana Ampatuan added to 3 tasks; 2 already
        had them"."""
        adding = field == "add_assignee_ids"
        said = f"{'You were' if me else name} {'added to' if adding else 'removed from'} "
        said += tasks(self.changed)
        if self.unchanged:
            them = "you" if me else "them"
            said += (
                f"; {self.unchanged} already had {them}"
                if adding
                else f"; {self.unchanged} did not have {them}"
            )
        return said


async def _bulk_summary(
    request: Request, user: Identity, changes: dict[str, Any], results: list[dict[str, Any]]
) -> str:
    """What the change did, in words (`BulkDone.sentence`)."""
    done = BulkDone.of_results(changes, results)
    names = await user_names(request, done.people())
    return done.sentence(names, str(user.id))


@dataclass(frozen=True)
class BulkQuestion:
    """What a bulk change asks first: "Complete 3 tasks?", why ("2 of them are assigned to
    others: Norhana Ampatuan (2)."), and its yes ("Yes, complete all 3")."""

    heading: str
    detail: str
    yes: str


async def _bulk_question(
    request: Request, user: Identity, task_ids: list[str], status: str
) -> BulkQuestion | None:
    """The question before a bulk change sets `status` on tasks some of which are assigned
    to others, not to me; None when all those it changes (not already at `status`) are mine
    or nobody's."""
    me = str(user.id)
    params = [("id", task_id) for task_id in task_ids if UUID_PATTERN.fullmatch(task_id)]
    tasks = await fetch_items(request, user, "tasks", "/tasks", params) if params else []
    theirs = [
        task
        for task in tasks
        if task["assignee_ids"] and me not in task["assignee_ids"] and task["status"] != status
    ]
    if not theirs:
        return None
    counts = Counter(person for task in theirs for person in task["assignee_ids"])
    names = await user_names(request, counts)
    whose = names_list(
        f"{names.get(person, 'Unknown user')} ({count})" for person, count in counts.most_common()
    )
    verb, count = BULK_ASKED[status], len(task_ids)
    if count == 1:
        return BulkQuestion(
            f"{verb} 1 task?", f"It is assigned to others: {whose}.", f"Yes, {verb.lower()} it"
        )
    some = f"{len(theirs)} of them are" if len(theirs) > 1 else "1 of them is"
    return BulkQuestion(
        f"{verb} {count} tasks?",
        f"{some} assigned to others: {whose}.",
        f"Yes, {verb.lower()} all {count}",
    )


@router.post(TASK_BULK)
async def task_bulk(request: Request, user: PageUser) -> Response:
    values, raw = await read_form(request)
    back = _local_path(values.get("next", ""), TASKS_PAGE)
    items = []
    for entry in raw.getlist("item"):
        task_id, _, version = str(entry).partition(":")
        if version.isdigit():
            items.append({"id": task_id, "version": int(version)})
    if not items:
        # Said on the list itself, beside its bulk toolbar (its filters and page kept).
        kept = back.split("#")[0]
        return redirect(f"{kept}{'&' if '?' in kept else '?'}bulk={BULK_UNSELECTED}#bulk")
    changes, problem = _bulk_changes(values, user)
    if not changes and problem is None:
        problem = (
            "Choose what to change: a status, a priority, a due date, or the assignees "
            "(replaced, one added or one removed)."
        )
    if problem:
        return render(
            request, "task_bulk.html", {"problem": problem, "back": back}, status_code=422
        )
    status = changes.get("status")
    if status in BULK_ASKED and values.get("confirmed") != "yes":
        question = await _bulk_question(request, user, [str(item["id"]) for item in items], status)
        if question:
            # Yes posts the same change again, confirmed.
            again = [
                (name, value)
                for name, value in raw.multi_items()
                if isinstance(value, str) and name not in ("csrftoken", "confirmed")
            ]
            return render(
                request,
                "task_bulk.html",
                {"question": question, "again": again, "back": back},
            )
    reply = await api(
        request, user, "tasks", "PATCH", "/tasks", json={"items": items, "changes": changes}
    )
    if not reply.ok:
        errors, general = refusal_errors(reply, FORM_INPUTS)
        message = general or "; ".join(errors.values()) or reply.message
        return render(
            request, "task_bulk.html", {"problem": message, "back": back}, status_code=reply.status
        )
    results = reply.body["results"]
    failed = [r for r in results if r["status"] != 200]
    # A person added or removed says how many tasks already were so: on this page.
    if not failed and not changes.keys() & BULK_PEOPLE.values():
        # Every one changed: back to the list as it was (its filters, its page), saying what
        # was done.
        done = BulkDone.of_results(changes, results)
        return redirect(_with_saved(back, BULK_SAVED) + "&" + urlencode(done.query()))
    ids = [str(r["id"]) for r in failed]
    titles = {}
    for task_id in ids:
        found = await api(request, user, "tasks", "GET", f"/tasks/{task_id}")
        titles[task_id] = found.body["title"] if found.ok else "a task that no longer exists"
    failures = [
        {
            "id": str(r["id"]),
            "title": titles[str(r["id"])],
            "url": task_url(str(r["id"])),
            "reason": BULK_OUTCOMES.get(r["status"], "it was refused")
            if r["status"] != 422 or not r.get("error")
            else str(r["error"].get("message") or BULK_OUTCOMES[422]),
            "status": r["status"],
        }
        for r in failed
    ]
    summary = await _bulk_summary(request, user, changes, results)
    return render(
        request,
        "task_bulk.html",
        {"summary": summary, "failures": failures, "back": back},
    )


# --- one task ------------------------------------------------------------------------------


@router.get(TASK_SEARCH)
async def task_search(request: Request, user: PageUser, q: str = "") -> JSONResponse:
    """The task picker's search by title: ``[{"id", "title", "status_label"}]``, by title."""
    params = {"q": q.strip()[:200], "sort": "title", "limit": SEARCH_LIMIT}
    reply = await api(request, user, "tasks", "GET", "/tasks", params=params)
    if not reply.ok:
        return JSONResponse(reply.body, status_code=reply.status)
    return JSONResponse(
        [
            {
                "id": task["id"],
                "title": task["title"],
                "status_label": formatting.label(task["status"]),
            }
            for task in reply.body["items"]
        ]
    )


@router.get(TASK_PAGE)
async def task_detail(request: Request, user: PageUser, task_id: str) -> Response:
    task = await fetch(request, user, "tasks", f"/tasks/{parse_id(task_id, 'task')}")
    return await _form_page(request, user, TaskForm.of_task(task), task=task)


@router.post(TASK_PAGE + "edit/")
async def task_edit(request: Request, user: PageUser, task_id: str) -> Response:
    task_id = parse_id(task_id, "task")
    form = await TaskForm.submitted(request)
    problems = form.problems()
    if problems:
        task = await fetch(request, user, "tasks", f"/tasks/{task_id}")
        return await _form_page(request, user, form, task=task, errors=problems, status=422)
    payload = form.payload(new=False, only=changed_inputs(form.inputs(), form.read))
    headers = if_match(form.version)
    reply = await api(
        request, user, "tasks", "PATCH", f"/tasks/{task_id}", json=payload, headers=headers
    )
    if reply.ok:
        return redirect(_with_saved(task_url(task_id), "saved"))
    task = await fetch(request, user, "tasks", f"/tasks/{task_id}")
    if reply.status == 412:
        who = await who_changed(request, task)
        # What was typed stays where it was changed, the colleague's change elsewhere, at the
        # current version: saving again keeps both.
        stored = TaskForm.of_task(task).inputs()
        current = replace(
            form,
            **merged_form(form.inputs(), form.read, stored),
            version=str(task["version"]),
            read=stored,
        )
        return await _form_page(
            request, user, current, task=task, conflict=STALE.format(who=who), status=412
        )
    errors, general = refusal_errors(reply, FORM_INPUTS)
    return await _form_page(
        request, user, form, task=task, errors=errors, general=general, status=reply.status
    )


async def _change(
    request: Request, user: Identity, task_id: str, changes: dict[str, Any], version: str
) -> Reply:
    headers = if_match(version)
    return await api(
        request, user, "tasks", "PATCH", f"/tasks/{task_id}", json=changes, headers=headers
    )


async def _reopen(request: Request, user: Identity, task_id: str, version: str) -> Reply:
    return await api(
        request, user, "tasks", "POST", f"/tasks/{task_id}/reopen", headers=if_match(version)
    )


def _refusal(reply: Reply) -> str:
    if reply.status == 412:
        return "Someone changed this task meanwhile — reload to see their change"
    if reply.status == 403:
        return "You may not change this task (only its assignees, its creator or a manager may)"
    return reply.message


# --- what a task waits for ---------------------------------------------------------------------


async def _dependency_change(
    request: Request, user: Identity, task_id: str, method: str, other_id: str, word: str
) -> Response:
    """PUT or DELETE one dependency; back to the task, or its page saying why not."""
    reply = await api(request, user, "tasks", method, f"/tasks/{task_id}/dependencies/{other_id}")
    if reply.ok:
        return redirect(_with_saved(task_url(task_id), word) + "#waits-for")
    if reply.status == 404 and method == "DELETE":
        problem = "This task no longer waits for that one (reload the page)"
    elif reply.status in (403, 412):
        problem = _refusal(reply)
    else:
        problem = refusal_errors(reply, FORM_INPUTS)[1] or reply.message
    return await _dependency_refused(request, user, task_id, problem, reply.status)


async def _dependency_refused(
    request: Request, user: Identity, task_id: str, problem: str, status: int
) -> Response:
    task = await fetch(request, user, "tasks", f"/tasks/{task_id}")
    # Someone who may not change the task has no form to show it beside: said at the top.
    forbidden = status == 403
    return await _form_page(
        request,
        user,
        TaskForm.of_task(task),
        task=task,
        status=status,
        refusal=problem if forbidden else None,
        dependency_error=None if forbidden else problem,
    )


@router.post(TASK_PAGE + "dependencies/")
async def task_dependency_add(request: Request, user: PageUser, task_id: str) -> Response:
    """The task waits for the one chosen in the picker (`depends_on`)."""
    task_id = parse_id(task_id, "task")
    values, _ = await read_form(request)
    other_id = values.get("depends_on", "").strip()
    if not UUID_PATTERN.fullmatch(other_id):
        problem = "Choose a task from the list (type part of its title)"
        return await _dependency_refused(request, user, task_id, problem, 422)
    return await _dependency_change(request, user, task_id, "PUT", other_id, "added")


@router.post(TASK_PAGE + "dependencies/{other_id}/remove/")
async def task_dependency_remove(
    request: Request, user: PageUser, task_id: str, other_id: str
) -> Response:
    task_id = parse_id(task_id, "task")
    other_id = parse_id(other_id, "task")
    return await _dependency_change(request, user, task_id, "DELETE", other_id, "removed")


@router.get(TASK_PAGE + "delete/")
async def task_delete_confirm(request: Request, user: PageUser, task_id: str) -> Response:
    task = await fetch(request, user, "tasks", f"/tasks/{parse_id(task_id, 'task')}")
    return render(request, "task_delete.html", {"task": task})


async def _refused_action_page(
    request: Request,
    user: Identity,
    task_id: str,
    reply: Reply | None = None,
    *,
    refusal: str = "",
    status: int = 422,
) -> Response:
    """The task's form again, with why the backend refused a delete or a quick action
    (`reply`), or `refusal` with `status`."""
    task = await fetch(request, user, "tasks", f"/tasks/{task_id}")
    return await _form_page(
        request,
        user,
        TaskForm.of_task(task),
        task=task,
        refusal=_refusal(reply) if reply else refusal,
        status=reply.status if reply else status,
    )


@router.post(TASK_PAGE + "delete/")
async def task_delete(request: Request, user: PageUser, task_id: str) -> Response:
    task_id = parse_id(task_id, "task")
    values, _ = await read_form(request)
    headers = if_match(values.get("version", ""))
    reply = await api(request, user, "tasks", "DELETE", f"/tasks/{task_id}", headers=headers)
    if reply.ok:
        return redirect(_with_saved(TASKS_PAGE, "deleted"))
    return await _refused_action_page(request, user, task_id, reply)


def _quick_change(
    action: str, values: Mapping[str, str], task: dict[str, Any], user: Identity
) -> tuple[dict[str, Any], str]:
    """The change quick action `action` (one of `QUICK_NAMES`) makes of `task` and the word
    its message says."""
    if action == "take":
        # Beside whoever has it already: taking a shared task never drops a colleague.
        people = list(dict.fromkeys([*task["assignee_ids"], str(user.id)]))
        return {"assignee_ids": people}, "assigned"
    if action == "move":
        return {values["field"]: values["value"]}, "moved"
    changes, word = QUICK_ACTIONS[action]
    return dict(changes), word


def _asked_verb(action: str, changes: Mapping[str, Any], json: bool) -> str | None:
    """The verb of the question a quick action asks first on a colleague's task ("complete"),
    None when it is not asked: complete and start from a list, and a board move (dragged
    or chosen) to Completed."""
    if action == "move":
        return "complete" if changes == {"status": "completed"} else None
    return action if action in ASKED_FIRST and not json else None


@router.post(TASK_PAGE + "undo/")
async def task_undo(request: Request, user: PageUser, task_id: str) -> Response:
    """The message's Undo: puts back the field a quick action changed (`undo`, as
    `Undo.encoded` says it), at the version the action left (`version`): a change made
    since is refused, saying whose, never overwritten."""
    task_id = parse_id(task_id, "task")
    values, _ = await read_form(request)
    back = _local_path(values.get("next", ""), task_url(task_id))
    json = wants_json(request)
    undo = Undo.parse(values.get("undo", ""), values.get("version", ""))
    if undo is None:
        problem = "Nothing was undone: the former value is not one this task can have"
        if json:
            return JSONResponse({"message": problem}, status_code=422)
        return await _refused_action_page(request, user, task_id, refusal=problem, status=422)
    reply = await _change(request, user, task_id, {undo.field: undo.value}, undo.version)
    if reply.ok:
        if json:
            sentence = _undone_sentence(quoted(reply.body["title"]), reply.body, undo.field)
            return JSONResponse({"version": reply.body["version"], "message": sentence})
        said = _with_saved(back.split("#", 1)[0], UNDONE)
        return redirect(said + "&" + urlencode({"task": task_id, UNDONE: undo.field}))
    if reply.status == 412:
        task = await fetch(request, user, "tasks", f"/tasks/{task_id}")
        who = await who_changed(request, task)
        problem = f"Not undone: {who} changed this task after you; it is left as they made it"
        if json:
            return JSONResponse({"message": problem}, status_code=412)
        return await _refused_action_page(request, user, task_id, refusal=problem, status=412)
    if json:
        return JSONResponse({"message": _refusal(reply)}, status_code=reply.status)
    return await _refused_action_page(request, user, task_id, reply)


# Last: `{action}` would otherwise take `delete/`.
@router.post(TASK_PAGE + "{action}/")
async def task_quick_action(
    request: Request, user: PageUser, task_id: str, action: str
) -> Response:
    """Complete / start / reopen / take (assign to me), and a board move (`field`, `value`):
    a redirect back with the toast naming the task and offering its Undo (a move: to its
    card), or JSON for the board's script. Completing or starting a task assigned to others,
    not to me, is asked first (`confirmed=yes` once asked); so is a move to Completed (the
    board's script is answered 409 with the question)."""
    task_id = parse_id(task_id, "task")
    values, _ = await read_form(request)
    back = _local_path(values.get("next", ""), task_url(task_id))
    json = wants_json(request)
    if action not in QUICK_NAMES:
        return Response(status_code=404)
    if action == "move" and values.get("value") not in MOVABLE.get(values.get("field", ""), ()):
        return JSONResponse(
            {"error": {"code": "validation_error", "message": "value: not a column"}},
            status_code=422,
        )
    # The task as the action finds it: whose it is, and what an undo puts back.
    found = await api(request, user, "tasks", "GET", f"/tasks/{task_id}")
    if not found.ok:
        if json:
            return JSONResponse({"message": _refusal(found)}, status_code=found.status)
        return await _refused_action_page(request, user, task_id, found)
    task = found.body
    changes, word = _quick_change(action, values, task, user)
    verb = _asked_verb(action, changes, json)
    if verb and values.get("confirmed") != "yes":
        others = task["assignee_ids"] and str(user.id) not in task["assignee_ids"]
        # Whoever may not change it is told so at once, not asked first.
        if others and task_id in await _changeable(request, user, [task]):
            return await _ask_first(request, task, action, verb, values, back)
    if action == "reopen":
        reply = await _reopen(request, user, task_id, values.get("version", ""))
    else:
        reply = await _change(request, user, task_id, changes, values.get("version", ""))
    changed = next(iter(changes), "status")  # a reopening changes the status
    undo = Undo.of_change(task, reply.body, changed) if reply.ok else None
    if json:
        if reply.ok:
            message = f"{quoted(reply.body['title'])} {word}"
            completed = task["status"] != "completed" and reply.body["status"] == "completed"
            following = (
                await _occurrence(request, user, reply.body, "next_task_id") if completed else None
            )
            if following is not None:
                message += f"; the next one is due {formatting.format_day(following['due_date'])}"
            answer = {"version": reply.body["version"], "message": message}
            if undo:  # what the script's Undo posts (`task_undo`)
                answer["undo"] = {"undo": undo.encoded(), "version": undo.version}
            return JSONResponse(answer)
        return JSONResponse({"message": _refusal(reply)}, status_code=reply.status)
    if reply.ok:
        # A moved card is found again where it went (on a phone the columns are stacked).
        where = f"#{card_anchor(task_id)}" if action == "move" else ""
        path = back.split("#", 1)[0]
        said = _with_saved(path, word) + f"&task={task_id}"
        return redirect(said + (f"&{undo.query()}" if undo else "") + where)
    return await _refused_action_page(request, user, task_id, reply)


async def _ask_first(
    request: Request,
    task: dict[str, Any],
    action: str,
    verb: str,
    values: Mapping[str, str],
    back: str,
) -> Response:
    """The question before `action` on a task assigned to others ("Complete Norhana
    Ampatuan's task “…”?"), whose yes posts it again with `confirmed=yes`; to the board's
    script, a 409 with the question (it asks, then posts again)."""
    names = await user_names(request, task["assignee_ids"])
    whose = names_list(names.get(person, "Unknown user") for person in task["assignee_ids"])
    question = f"{verb.capitalize()} {whose}'s task {quoted(task['title'])}?"
    told = " They will be told that you completed it." if verb == "complete" else ""
    detail = f"It is assigned to {whose}, not to you.{told}"
    if wants_json(request):
        asked = {"question": question, "detail": detail, "yes": f"Yes, {verb} it"}
        return JSONResponse({"message": question, "confirm": asked}, status_code=409)
    # A board move carries its column again.
    kept = {name: values[name] for name in ("field", "value") if name in values}
    return render(
        request,
        "task_confirm.html",
        {
            "task": task,
            "question": question,
            "detail": detail,
            "verb": verb,
            "action": action,
            "kept": kept,
            "version": values.get("version") or str(task["version"]),
            "back": back,
        },
    )
