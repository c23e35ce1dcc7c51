"""A write naming a person who has no account here, or naming anew someone whose account is
switched off, is refused before it reaches the service: 422 naming the field, e.g.
``assignee_ids[1]: no active person has this id`` or ``assignee_ids[2]: Rashid Lidasan is
no longer active``.

The services store people as user ids and cannot tell a mistyped or forged id from a real
one; the gateway owns the accounts. Which fields name people, each service's OpenAPI
document says (`obcms_platform.schemas.PERSON_MARK`: an active account, or any account for a
list an edit sends back); the gateway learns them per operation (method and path template)
and reads the body of those operations alone. The public API (`proxy.routes.forward`) and
the pages (`pages.common.api`) both ask `people_refusal`, and send an import through
`checked_import`.

This module is the one place deciding whom a write may name, imports included:
- A list an edit sends back ("known") may keep someone who has left, but not add them. The
  gateway tells which by reading the record the edit changes, as the caller, when (and
  only when) such a field names a switched-off account: the services could not decide it
  alone (they know accounts only as their ``user.changed`` events announced them, some
  later, the calendar not at all), and every edit would have to compare old and new.
- An import's workbook is read by the service (`obcms_platform.imports`), whose report lists
  the people each row names. The gateway first sends the upload as a dry run, checks those
  people, and adds each one that is missing or switched off to the report's problems in
  words (row, column); an import with such a row writes nothing (a real import is sent only
  once the dry run is clean of them). The price, a dry run before each import (a rare,
  bounded write), buys no second reader of workbooks and no second source of accounts.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import msgspec
from cachetools import TTLCache
from fastapi import Request
from multidict import CIMultiDict, CIMultiDictProxy
from pydantic import TypeAdapter, ValidationError

from gateway_service.auth.identity import Identity
from gateway_service.db import in_session
from gateway_service.proxy.api_docs import service_description
from gateway_service.proxy.clients import BackendAnswer, BackendClients
from gateway_service.users.service import Names, names_by_id
from obcms_platform.app import API_PREFIX
from obcms_platform.errors import ErrorBody, ErrorDetail, ErrorResponse
from obcms_platform.imports import ImportProblem, ImportReport, NamedPerson, refusal
from obcms_platform.limits import IMPORT_SEGMENT
from obcms_platform.person_fields import PersonField, Step, named, person_fields
from obcms_platform.schemas import ACTIVE_PERSON, KNOWN_PERSON

# The methods whose bodies may name people.
WRITES = frozenset({"POST", "PUT", "PATCH"})
# A service's person fields are learnt again after this long: one deployed anew may mark
# other fields.
LEARNT_FOR_SECONDS = 600.0
# A path template's parameter: `{task_id}`, or `{path:path}` (which may span segments).
PARAMETER = re.compile(r"\{([^}:]*)(:path)?\}")
# What an id that is no account's is told, by the field's mode.
UNKNOWN = {
    ACTIVE_PERSON: "no active person has this id",
    KNOWN_PERSON: "no person has this id",
}
# A collection's import (`obcms_platform.imports`): a workbook whose rows may name people.
IMPORT_PATH = re.compile(rf"{re.escape(API_PREFIX)}/[^/]+/{IMPORT_SEGMENT}/?")
DRY_RUN = "dry_run"
# An import's `dry_run` as the service reads it (a query parameter's bool: true, 1, yes…).
_flag = TypeAdapter(bool)
_decode_json = msgspec.json.Decoder().decode
JSON_HEADERS = CIMultiDictProxy(CIMultiDict({"Content-Type": "application/json"}))


@dataclass(frozen=True)
class Operation:
    """A write of a service whose body names people; `record_depth`: how many segments its
    path has past the record it changes (one the service answers a GET for), when it has a
    field that may keep people (None: none, or no record to read)."""

    method: str
    path: re.Pattern[str]
    fields: tuple[PersonField, ...]
    record_depth: int | None = None

    def record_path(self, path: str) -> str | None:
        """The path of the record a request to `path` changes."""
        if self.record_depth is None:
            return None
        return path.rsplit("/", self.record_depth)[0] if self.record_depth else path


class PersonFields:
    """The person fields of each service's writes, as its OpenAPI document marks them."""

    def __init__(self, backends: BackendClients) -> None:
        self.backends = backends
        self._learnt: TTLCache[str, tuple[Operation, ...]] = TTLCache(
            maxsize=64, ttl=LEARNT_FOR_SECONDS
        )

    async def of(self, service: str, method: str, path: str) -> Operation | None:
        """The operation of `method` on `path` (a request's path) at `service` when its body
        names people; None otherwise, and while the service does not describe itself (asked
        again on the next write)."""
        operations = self._learnt.get(service)
        if operations is None:
            described = await service_description(self.backends, service)
            if described is None:
                return None
            operations = self._learnt[service] = learnt(described)
        for operation in operations:
            if operation.method == method and operation.path.fullmatch(path):
                return operation
        return None


def learnt(described: Mapping[str, Any]) -> tuple[Operation, ...]:
    """The API writes of a service's OpenAPI document whose JSON bodies name people."""
    schemas: Mapping[str, Any] = described.get("components", {}).get("schemas", {})
    paths: Mapping[str, Any] = described.get("paths", {})
    found = []
    for template, operations in paths.items():
        if not template.startswith(f"{API_PREFIX}/"):
            continue
        for method, operation in operations.items():
            if method.upper() not in WRITES or not isinstance(operation, dict):
                continue
            content = operation.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            fields = person_fields(schema, schemas)
            if fields:
                keeps = any(field.mode == KNOWN_PERSON for field in fields)
                depth = _record_depth(paths, template) if keeps else None
                found.append(Operation(method.upper(), _path_pattern(template), fields, depth))
    return tuple(found)


def _record_depth(paths: Mapping[str, Any], template: str) -> int | None:
    """How many segments `template` has past the nearest record the service reads: itself
    (``/tasks/{task_id}``), or the record an action or a sub-list belongs to
    (``/events/{event_id}/split``, ``/teams/{team_id}/members``)."""
    depth = 0
    while PARAMETER.search(template):
        if "get" in paths.get(template, {}):
            return depth
        template, depth = template.rsplit("/", 1)[0], depth + 1
    return None


def _path_pattern(template: str) -> re.Pattern[str]:
    """`/api/v1/tasks/{task_id}` -> a pattern of the paths it serves."""
    pattern, end = "", 0
    for parameter in PARAMETER.finditer(template):
        pattern += re.escape(template[end : parameter.start()])
        pattern += ".+" if parameter.group(2) else "[^/]+"
        end = parameter.end()
    return re.compile(pattern + re.escape(template[end:]))


def _kept(record: Any, steps: tuple[Step, ...]) -> set[uuid.UUID]:
    """The ids `record` holds in the field at `steps`: from the first step the record has
    (a write may wrap the record's fields: a split's ``changes.participant_ids``)."""
    while steps and isinstance(record, dict) and steps[0] is not None and steps[0] not in record:
        steps = steps[1:]
    return {person for _, person in named(record, steps)} if steps else set()


async def _accounts(request: Request, people: Collection[uuid.UUID]) -> dict[str, Names]:
    """id (as text) -> the account's names and whether it is active, of those that exist."""
    return await in_session(request, lambda session: names_by_id(session, people))


async def _current(request: Request, user: Identity, service: str, path: str) -> Any:
    """The record at `path` as `user` reads it; None when they cannot (then nobody counts as
    kept on it)."""
    backends: BackendClients = request.app.state.backends
    answer = await backends.call(service, "GET", quote(path), user)
    return answer.json() if answer.status_code == 200 else None


async def people_refusal(
    request: Request,
    user: Identity,
    service: str,
    method: str,
    path: str,
    body: bytes | object,
) -> ErrorResponse | None:
    """The 422 refusing `user`'s write to `service` (`path`: the request's, decoded, without
    its query; `body`: as sent, or the object to be sent) that names a person who has no
    account, or names anew someone whose account is switched off; None when it names
    nobody it may not. One query of the accounts, and only for a write whose operation has
    person fields; one read of the record only when a field that may keep people names a
    switched-off account."""
    if method not in WRITES or body is None or body == b"":
        return None
    person_fields_of: PersonFields = request.app.state.person_fields
    operation = await person_fields_of.of(service, method, path)
    if operation is None:
        return None
    if isinstance(body, bytes):
        try:
            body = _decode_json(body)
        except (ValueError, RecursionError):
            return None  # not JSON, or nested too deeply: the service says what is wrong
    named_people = [
        (field, field_path, person)
        for field in operation.fields
        for field_path, person in named(body, field.steps)
    ]
    if not named_people:
        return None
    accounts = await _accounts(request, {person for _, _, person in named_people})
    record: Any = None
    record_path = operation.record_path(path)
    if record_path is not None and any(
        field.mode == KNOWN_PERSON and not accounts[str(person)].is_active
        for field, _, person in named_people
        if str(person) in accounts
    ):
        record = await _current(request, user, service, record_path)
    details = []
    for field, field_path, person in named_people:
        account = accounts.get(str(person))
        if account is None:
            details.append(
                ErrorDetail(field=field_path, message=UNKNOWN[field.mode], type="unknown_person")
            )
        elif not account.is_active and not (
            field.mode == KNOWN_PERSON and person in _kept(record, field.steps)
        ):
            details.append(
                ErrorDetail(
                    field=field_path,
                    message=f"{account.name} is no longer active",
                    type="inactive_person",
                )
            )
    if not details:
        return None
    first = details[0]
    return ErrorResponse(
        error=ErrorBody(
            status=422,
            code="validation_error",
            message=f"{first.field}: {first.message}",
            field=first.field,
            details=details,
        )
    )


# --- imports -----------------------------------------------------------------------------------

# The upload sent as a dry run (True) or as an import (False).
SendImport = Callable[[bool], Awaitable[BackendAnswer]]


def is_import(method: str, path: str) -> bool:
    """Whether a request (`path`: decoded, without its query) is a collection's import."""
    return method == "POST" and IMPORT_PATH.fullmatch(path) is not None


def asked_dry_run(query: Iterable[tuple[str, str]]) -> bool | None:
    """The `dry_run` an import's query asks for (the last one given, as the service reads
    it; false without one); None when the service will refuse it."""
    given = [value for name, value in query if name == DRY_RUN]
    if not given:
        return False
    try:
        return _flag.validate_python(given[-1])
    except ValidationError:
        return None


def with_dry_run(query: Iterable[tuple[str, str]], dry_run: bool) -> list[tuple[str, str]]:
    """`query` with its `dry_run` set to `dry_run`."""
    kept = [(name, value) for name, value in query if name != DRY_RUN]
    return [*kept, (DRY_RUN, "true" if dry_run else "false")]


async def checked_import(request: Request, dry_run: bool, send: SendImport) -> BackendAnswer:
    """The answer to an import (a dry run when `dry_run`) whose rows name only active people:
    the upload is checked first (a dry run); each cell naming someone without an active
    account joins the report's problems, and then a dry run answers the report (200) and an
    import refuses it (422, nothing written). An import is sent only when the check found no
    problem; any refusal of the check itself (the file, its size, the caller's role) is the
    answer."""
    checked = await send(True)
    if checked.status_code != 200:
        return checked
    try:
        report = ImportReport.model_validate(checked.json())
    except (ValueError, ValidationError):  # no import's report: nobody named to check
        return checked if dry_run else await send(False)
    problems = await _people_problems(request, report.people)
    if dry_run and not problems:
        return checked
    if problems:
        faulty = {problem.row for problem in report.errors}
        newly_faulty = {problem.row for problem in problems} - faulty
        report.valid_rows = max(0, report.valid_rows - len(newly_faulty))
        report.errors = sorted([*report.errors, *problems], key=lambda problem: problem.row)
    if dry_run:
        return BackendAnswer(200, JSON_HEADERS, report.model_dump_json().encode())
    if report.errors:
        report.dry_run = False
        body = refusal(report).model_dump_json().encode()
        return BackendAnswer(422, JSON_HEADERS, body)
    return await send(False)


async def _people_problems(request: Request, people: list[NamedPerson]) -> list[ImportProblem]:
    """A problem of each cell naming someone without an active account (each person once a
    cell)."""
    if not people:
        return []
    accounts = await _accounts(request, {person.user_id for person in people})
    problems: dict[tuple[int, str, uuid.UUID], ImportProblem] = {}
    for person in people:
        account = accounts.get(str(person.user_id))
        if account is not None and account.is_active:
            continue
        message = (
            f"no active person has the id {person.user_id}"
            if account is None
            else f"{account.name} is no longer active"
        )
        problem = ImportProblem(row=person.row, column=person.column, message=message)
        problems.setdefault((person.row, person.column, person.user_id), problem)
    return list(problems.values())
