"""Shared pieces of the server-rendered pages: calling a backend as the signed-in user,
turning its answers into pages (errors next to the form, with the service's status), form
parsing and the choice lists the forms offer.

Every backend call goes through `BackendClients.call` (the gateway's pooled clients and
internal tokens); a service that is down or answers 5xx gives the 503 page.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.datastructures import FormData

from gateway_service.auth.identity import Identity
from gateway_service.db import in_session
from gateway_service.proxy.clients import BackendAnswer, BackendClients, FilePart
from gateway_service.proxy.people import (
    asked_dry_run,
    checked_import,
    is_import,
    people_refusal,
    with_dry_run,
)
from gateway_service.users.models import User
from gateway_service.users.service import Names, names_by_id, user_ids
from obcms_platform.app import API_PREFIX
from obcms_platform.auth import Role
from obcms_platform.errors import AppError, ForbiddenError, NotFoundError, ServiceUnavailableError
from obcms_platform.vocabulary import (
    AppropriationClass,
    AssessmentLevel,
    AssessmentStatus,
    BookingStatus,
    EventType,
    Feasibility,
    FundingSource,
    IndicatorKind,
    LeaveType,
    Methodology,
    MilestoneStatus,
    NeedStatus,
    PpaCategory,
    PpaPriority,
    PpaStatus,
    PpaTag,
    ResourceType,
    Sector,
    StageStatus,
    TaskDomain,
    TaskPriority,
    TaskStatus,
    TrancheType,
    UrgencyLevel,
    values,
)

PAGE_SIZE = 50
PEOPLE_JSON = "/oobc-management/people.json"  # the people picker's search (events.py)
CHOICES_LIMIT = 500  # option lists (PPAs, resources, teams) fetched for selects

# The choices the forms offer: the vocabulary's codes, in its order (the services validate).
TASK_DOMAINS = values(TaskDomain)
TASK_STATUSES = values(TaskStatus)
TASK_PRIORITIES = values(TaskPriority)

PPA_CATEGORIES = values(PpaCategory)
PPA_STATUSES = values(PpaStatus)
PPA_PRIORITIES = values(PpaPriority)
SECTORS = values(Sector)
APPROPRIATION_CLASSES = values(AppropriationClass)
FUNDING_SOURCES = values(FundingSource)
PPA_TAGS = values(PpaTag)
MILESTONE_STATUSES = values(MilestoneStatus)
INDICATOR_KINDS = values(IndicatorKind)
STAGE_STATUSES = values(StageStatus)
TRANCHE_TYPES = values(TrancheType)
METHODOLOGIES = values(Methodology)
ASSESSMENT_STATUSES = values(AssessmentStatus)
ASSESSMENT_LEVELS = values(AssessmentLevel)
NEED_STATUSES = values(NeedStatus)
URGENCY_LEVELS = values(UrgencyLevel)
FEASIBILITY = values(Feasibility)

EVENT_TYPES = values(EventType)
RESOURCE_TYPES = values(ResourceType)
BOOKING_STATUSES = values(BookingStatus)
LEAVE_TYPES = values(LeaveType)

UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


class UpstreamError(AppError):
    """A backend refused a read the page cannot do without: its status becomes the page's."""

    def __init__(self, status_code: int, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.status_code = status_code


@dataclass(frozen=True)
class Reply:
    """A backend's answer (never a 5xx: those raise ServiceUnavailableError)."""

    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def message(self) -> str:
        return error_message(self.body, f"the request was refused ({self.status})")

    @property
    def field(self) -> str | None:
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            field = self.body["error"].get("field")
            return str(field) if field else None
        return None

    def as_error(self) -> FormError:
        return FormError(self.status, self.message, self.field)


# ", id <uuid>" in a service's message: the record's id, for the page to link, not to read.
NAMED_ID = re.compile(r",? id [0-9a-fA-F-]{36}")


@dataclass(frozen=True)
class FormError:
    """What a form shows next to itself after a refused submission."""

    status: int
    message: str
    field: str | None = None

    @property
    def related_ids(self) -> list[str]:
        """Record ids named in the message (the conflicting booking of a 409...)."""
        return UUID_PATTERN.findall(self.message)

    @property
    def text(self) -> str:
        """The message as a person reads it, above a form: the field it is about in words
        ("Rank: enter a whole number"), without the ids it names (the page links them:
        `related_ids`) or code words (`in_words`)."""
        return sentence(in_words(self.message))

    def titled(self, titles: Mapping[str, str]) -> FormError:
        """The refusal naming its field as the page's input does (`titles`: field -> the
        input's label): "Days without an update: must be at least 1", not "Stale days: …"."""
        title = titles.get(self.field or "")
        if title is None or not self.message.startswith(f"{self.field}: "):
            return self
        said = in_words(self.message[len(f"{self.field}: ") :])
        return FormError(self.status, f"{title}: {said}", self.field)

    @property
    def reason(self) -> str:
        """The message beside its field: without the field's name before it."""
        message = self.message
        if self.field and message.startswith(f"{self.field}: "):
            message = message[len(self.field) + 2 :]
        return sentence(in_words(message))


def error_message(body: Any, fallback: str) -> str:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message") or fallback)
    return fallback


# A service's words for a person: its field names and codes written as words
# ("start_date" -> "start date", "not_started" -> "not started"), without Pydantic's prefix.
# Not inside a file name or a path ("report_2026.pdf", "/a_b/").
CODE_WORD = re.compile(r"(?<![\w./-])[A-Za-z][a-z]*(?:_[a-z0-9]+)+(?![\w./-])")
VALIDATION_PREFIX = re.compile(r"^(?:Value error|Assertion failed), ")


def sentence(message: str) -> str:
    """`message` starting with a capital, as a sentence does."""
    return message[:1].upper() + message[1:]


def in_words(message: str) -> str:
    """`message` as a person reads it: no code words, no validator prefix, no record ids (a
    page links the record a refusal names, `FormError.related_ids`)."""
    message = NAMED_ID.sub("", VALIDATION_PREFIX.sub("", message))
    return CODE_WORD.sub(lambda found: found.group(0).replace("_", " "), message)


def refusal_errors(
    reply: Reply,
    inputs: Mapping[str, str],
    *,
    labels: Mapping[str, str] | None = None,
    nested_under: str = "",
    stale: str | None = None,
    forbidden: str | None = None,
) -> tuple[dict[str, str], str | None]:
    """A service's refusal as {form input: message} beside the inputs, and what belongs to
    no input.

    `inputs` maps the service's field (its dotted path without list indices, or the path's
    first name) to the form's input; `labels` puts an input's label before its message;
    `nested_under` is the body key the form's fields are sent under (an occurrence's
    `changes`). A 412 is `stale` and a 403 `forbidden` (the page's own sentence: the
    service's rule summary after it only repeated it), when given.
    """
    if reply.status == 412 and stale is not None:
        return {}, stale
    if reply.status == 403 and forbidden is not None:
        return {}, forbidden
    error = reply.body.get("error") if isinstance(reply.body, dict) else None
    details: list[tuple[str, str]] = []
    if isinstance(error, dict):
        details = [
            (str(item.get("field") or ""), str(item.get("message", "")))
            for item in error.get("details") or []
        ] or [(str(error.get("field") or ""), str(error.get("message", "")))]
    errors: dict[str, str] = {}
    general: list[str] = []
    for name, message in details:
        path = name.removeprefix(f"{nested_under}.") if nested_under else name
        plain = ".".join(part.split("[")[0] for part in path.split("."))
        target = inputs.get(plain) or inputs.get(plain.split(".")[0])
        for said in (name, path):  # the service may start the message with the field's path
            if said and message.startswith(f"{said}: "):
                message = message[len(said) + 2 :]
                break
        message = in_words(message)
        label = (labels or {}).get(target or "")
        if target and label:
            errors.setdefault(target, f"{label}: {message}")
        elif target:
            errors.setdefault(target, sentence(message))
        elif message:
            general.append(sentence(message))
    if not errors and not general:
        general.append(reply.message)
    return errors, " ".join(general) or None


def parse_id(value: str, what: str) -> str:
    """A path id; anything that is not a UUID is an unknown record (404 page)."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise NotFoundError(what, value) from None


async def api(
    request: Request,
    user: Identity,
    service: str,
    method: str,
    path: str,
    *,
    params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
    json: object = None,
    files: Mapping[str, FilePart] | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """One call to `service` at `/api/v1{path}` as `user` (`headers`: e.g. If-Match;
    `files`: a multipart body). A write naming a person without an account is refused as
    the service would refuse it, and an import is checked for the people its rows name
    (`proxy.people`)."""
    target = f"{API_PREFIX}{path}"
    refused = await people_refusal(request, user, service, method, target.split("?", 1)[0], json)
    if refused is not None:
        return Reply(refused.error.status, refused.model_dump())
    backends: BackendClients = request.app.state.backends
    query = None
    if params is not None:
        items = params.items() if isinstance(params, Mapping) else params
        query = [(k, str(v)) for k, v in items if v not in (None, "")]

    async def send(query: list[tuple[str, str]] | None) -> BackendAnswer:
        for _, file, _ in (files or {}).values():
            file.seek(0)  # a checked import sends its file twice
        return await backends.call(
            service,
            method,
            target,
            user,
            params=query,
            json=json,
            files=files,
            headers=headers,
        )

    if (
        is_import(method, target.split("?", 1)[0])
        and (dry_run := asked_dry_run(query or [])) is not None
    ):
        upstream = await checked_import(
            request, dry_run, lambda as_dry_run: send(with_dry_run(query or [], as_dry_run))
        )
    else:
        upstream = await send(query)
    if upstream.status_code >= 500:
        raise ServiceUnavailableError(
            f"the {service} service answered {upstream.status_code}; try again shortly"
        )
    try:
        body = upstream.json() if upstream.content else None
    except ValueError:
        body = None
    return Reply(upstream.status_code, body)


# Headers of a download passed on to the browser as the service sent them.
DOWNLOAD_HEADERS = (
    "content-type",
    "content-length",
    "content-disposition",
    "x-content-type-options",
    "cache-control",
)


async def download(
    request: Request,
    user: Identity,
    service: str,
    path: str,
    what: str,
    *,
    params: Iterable[tuple[str, str]] = (),
) -> StreamingResponse:
    """The file `service` answers at `/api/v1{path}` for `user`, streamed to the browser as
    it comes (never held whole); a refusal is the page's error, in the service's words (or
    "`what` cannot be downloaded")."""
    backends: BackendClients = request.app.state.backends
    query = [(name, value) for name, value in params if value]
    upstream = await backends.open_stream(service, f"{API_PREFIX}{path}", user, params=query)
    if upstream.status_code != 200:
        await upstream.aread()
        await upstream.aclose()
        if upstream.status_code >= 500:
            message = f"the {service} service answered {upstream.status_code}"
            raise ServiceUnavailableError(message + "; try again shortly")
        try:
            body = upstream.json()
        except ValueError:
            body = None
        raise UpstreamError(
            upstream.status_code, error_message(body, f"{what} cannot be downloaded")
        )
    return StreamingResponse(
        upstream.aiter_raw(),
        headers={
            name: upstream.headers[name] for name in DOWNLOAD_HEADERS if name in upstream.headers
        },
        background=BackgroundTask(upstream.aclose),
    )


async def fetch(
    request: Request,
    user: Identity,
    service: str,
    path: str,
    *,
    params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
) -> Any:
    """A read the page needs: 404 -> the 404 page, other refusals -> a page with its status."""
    reply = await api(request, user, service, "GET", path, params=params)
    if reply.ok:
        return reply.body
    raise UpstreamError(reply.status, reply.message, field=reply.field)


async def fetch_items(
    request: Request,
    user: Identity,
    service: str,
    path: str,
    params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """All items of a small list (option lists, a record's related rows)."""
    merged = [
        *(params.items() if isinstance(params, Mapping) else (params or [])),
        ("limit", CHOICES_LIMIT),
    ]
    body = await fetch(request, user, service, path, params=merged)
    items: list[dict[str, Any]] = body["items"]
    return items


async def fetch_page(
    request: Request,
    user: Identity,
    service: str,
    path: str,
    filters: list[tuple[str, str]],
) -> tuple[list[dict[str, Any]], dict[str, Any], FormError | None]:
    """One page of a paginated list at the request's `?offset=`: (its items, its previous/next
    links, the service's refusal). A refused list is an empty page beside its error."""
    offset = offset_param(request)
    params = [*filters, ("limit", PAGE_SIZE), ("offset", offset)]
    reply = await api(request, user, service, "GET", path, params=params)
    if not reply.ok:
        return [], page_links(request, 0, offset), reply.as_error()
    return reply.body["items"], page_links(request, reply.body["total"], offset), None


def sort_links(request: Request, current: str, columns: Iterable[str]) -> dict[str, dict[str, str]]:
    """Each sortable column of a list (its sort key): the URL sorting by it (reversed when it
    is the `current` sort; the other filters kept, back to the first page) and its aria-sort
    value."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in {"sort", "offset"}]
    links = {}
    for column in columns:
        ascending = current == column
        target = f"-{column}" if ascending else column
        state = "ascending" if ascending else "descending" if current == f"-{column}" else "none"
        links[column] = {"url": "?" + urlencode([*kept, ("sort", target)]), "state": state}
    return links


def query_filters(request: Request, names: Iterable[str]) -> list[tuple[str, str]]:
    """The non-empty query parameters among `names`, passed on as they are (the service
    validates them)."""
    wanted = set(names)
    return [(k, v) for k, v in request.query_params.multi_items() if k in wanted and v]


# An edit sends only what the person changed: its form carries the values it was opened with
# (`READ_STATE`, a hidden input, in JSON). When a colleague saved first (412), the form comes
# back at the record's new version with the colleague's values in every input the person did
# not touch and the person's own where they did (each saying what is stored now): saving again
# keeps both changes, and overwrites only where both changed the same input, knowingly.
READ_STATE = "read_state"


def read_state(form: Mapping[str, str]) -> dict[str, Any] | None:
    """The values an edit form was opened with (None: a form without them, or unreadable)."""
    try:
        state = json.loads(form.get(READ_STATE, ""))
    except ValueError:
        return None
    return state if isinstance(state, dict) else None


def changed_inputs(typed: Mapping[str, Any], read: Mapping[str, Any] | None) -> set[str]:
    """The inputs whose typed value differs from the one the form was opened with (every
    input, when that is not known)."""
    if read is None:
        return set(typed)
    return {name for name, value in typed.items() if name not in read or read[name] != value}


def merged_form(
    typed: Mapping[str, Any], read: Mapping[str, Any] | None, stored: Mapping[str, Any]
) -> dict[str, Any]:
    """After a stale save: the person's value in each input they changed, what is stored now
    (a colleague's change) in each other one."""
    changed = changed_inputs(typed, read)
    return {
        **typed,
        **{name: value for name, value in stored.items() if name not in changed and name in typed},
    }


def if_match(version: str) -> dict[str, str] | None:
    """The If-Match header of the version a form was read at (none when it carries none)."""
    return {"If-Match": f'"{version}"'} if version.isdigit() else None


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def read_form(request: Request) -> tuple[dict[str, str], FormData]:
    """The submitted form: single values (trimmed) and the raw form for multi-selects."""
    submitted = await request.form()
    values = {name: value.strip() for name, value in submitted.items() if isinstance(value, str)}
    values.pop("csrftoken", None)
    return values, submitted


def create_payload(form: Mapping[str, str], fields: Iterable[str]) -> dict[str, Any]:
    """The fields that were filled in (the service applies its defaults to the rest)."""
    return {name: form[name] for name in fields if form.get(name)}


def update_payload(
    form: Mapping[str, str], fields: Iterable[str], clearable: Iterable[str] = ()
) -> dict[str, Any]:
    """A PATCH body: submitted fields; an emptied optional field becomes null."""
    clear = set(clearable)
    payload: dict[str, Any] = {}
    for name in fields:
        if name not in form:
            continue
        value = form[name]
        if value:
            payload[name] = value
        elif name in clear:
            payload[name] = None
        elif name in {"description", "summary", "notes", "implementing_office", "location"}:
            payload[name] = ""
    return payload


def ensure_may_decide(user: Identity, requester: object) -> None:
    """Refuse the question before a decision on a request to whom the calendar would refuse
    the decision (`Identity.may_decide`): its page is no use to them."""
    if user.may_decide(requester):
        return
    if str(requester) == str(user.id):
        raise ForbiddenError("Nobody decides their own request: another manager does")
    raise ForbiddenError("Only a manager approves or rejects a request")


def is_manager(user: Identity) -> bool:
    return user.has_role(Role.MANAGER)


def is_admin(user: Identity) -> bool:
    return user.has_role(Role.ADMIN)


async def _users_by_id(request: Request, ids: Iterable[object]) -> dict[str, Names]:
    """id -> the names of the gateway's users among `ids`."""
    keys = user_ids(ids)
    if not keys:
        return {}  # no trip to the database
    return await in_session(request, partial(names_by_id, ids=keys))


async def user_names(
    request: Request, ids: Iterable[object], *, marked: bool = True
) -> dict[str, str]:
    """id -> how a page shows the person: the full name, the username when it is empty;
    "(inactive)" after it for a deactivated account, unless not `marked` (the name as an
    @mention writes it)."""
    users = await _users_by_id(request, ids)
    return {key: names.shown if marked else names.name for key, names in users.items()}


async def who_changed(request: Request, record: Mapping[str, Any]) -> str:
    """The full name of whoever last changed `record` (its `updated_by`), for "changed by X
    since you opened it"; "someone else" when the service does not say (an automatic
    change) or the person is unknown."""
    changer = record.get("updated_by")
    if not changer:
        return "someone else"
    names = await user_names(request, [changer])
    return names.get(str(changer), "someone else")


async def usernames(request: Request, ids: Iterable[object]) -> dict[str, str]:
    """id -> username, for the forms that take people by username."""
    users = await _users_by_id(request, ids)
    return {key: names.username for key, names in users.items()}


async def user_ids_for(request: Request, names: Iterable[str]) -> tuple[list[str], list[str]]:
    """Resolve usernames or ids to user ids: (ids, the entries that match no user)."""
    entries = [name for name in names if name]
    ids: list[str] = []
    unknown: list[str] = []
    usernames = []
    for entry in entries:
        try:
            ids.append(str(uuid.UUID(entry)))
        except ValueError:
            usernames.append(entry)
    if usernames:

        def load(session: Session) -> dict[str, str]:
            rows = session.execute(
                select(User.username, User.id).where(User.username.in_(usernames))
            )
            return {row.username: str(row.id) for row in rows}

        found = await in_session(request, load)
        for name in usernames:
            if name in found:
                ids.append(found[name])
            else:
                unknown.append(name)
    return list(dict.fromkeys(ids)), unknown


def page_links(request: Request, total: int, offset: int, limit: int = PAGE_SIZE) -> dict[str, Any]:
    """Previous/next links of a paginated list (keeping the other query parameters)."""

    def link(to: int) -> str:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "offset"]
        if to:
            params.append(("offset", str(to)))
        return "?" + urlencode(params) if params else request.url.path

    return {
        "total": total,
        "first": offset + 1 if total else 0,
        "last": min(offset + limit, total),
        "previous": link(max(offset - limit, 0)) if offset > 0 else None,
        "next": link(offset + limit) if offset + limit < total else None,
    }


def offset_param(request: Request) -> int:
    raw = request.query_params.get("offset", "0")
    return int(raw) if raw.isdigit() and int(raw) <= 1_000_000 else 0


def vendored(prefix: str) -> str | None:
    """The URL of a vendored script whose file name starts with `prefix`, if it is there."""
    root = resources.files("gateway_service") / "static" / "vendor"
    found: list[str] = []

    def walk(folder: Traversable, path: str) -> None:
        try:
            entries = list(folder.iterdir())
        except (FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:
            if entry.is_dir():
                walk(entry, f"{path}/{entry.name}")
            elif entry.name.lower().startswith(prefix) and entry.name.endswith(".js"):
                found.append(f"{path}/{entry.name}")

    walk(root, "/static/vendor")
    # Prefer the UMD build (it sets the global `Chart`), then the shortest name.
    found.sort(key=lambda url: ("umd" not in url, len(url), url))
    return found[0] if found else None
