"""A write naming a person who has no account here (or whose account is switched off) is
refused before it reaches the service: 422 naming the field, e.g. ``assignee_ids[1]: no
active person has this id``.

The services store people as user ids and cannot tell a mistyped or forged id from a real
one; the gateway owns the accounts. Which fields name people, each service's OpenAPI
document says (`obcms_platform.schemas.PERSON_MARK`: an active account, or any account for a
list an edit sends back); the gateway learns them per operation (method and path template)
and reads the body of those operations alone. The public API (`proxy.routes.forward`) and
the pages (`pages.common.api`) both ask `people_refusal`.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from cachetools import TTLCache
from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway_service.db import in_session
from gateway_service.proxy.api_docs import SCHEMAS_REF, service_description
from gateway_service.proxy.clients import BackendClients
from gateway_service.users.models import User
from obcms_platform.app import API_PREFIX
from obcms_platform.errors import ErrorBody, ErrorDetail, ErrorResponse
from obcms_platform.schemas import ACTIVE_PERSON, KNOWN_PERSON, PERSON_MARK

# The methods whose bodies may name people.
WRITES = frozenset({"POST", "PUT", "PATCH"})
# A service's person fields are learnt again after this long: one deployed anew may mark
# other fields.
LEARNT_FOR_SECONDS = 600.0
# A step of a field's path in a body: a property's name, or None: each item of a list.
Step = str | None
# A path template's parameter: `{task_id}`, or `{path:path}` (which may span segments).
PARAMETER = re.compile(r"\{([^}:]*)(:path)?\}")
MESSAGES = {
    ACTIVE_PERSON: "no active person has this id",
    KNOWN_PERSON: "no person has this id",
}
_decode_json = msgspec.json.Decoder().decode


@dataclass(frozen=True)
class PersonField:
    """A field of an operation's body naming a person, and whom it may name (`mode`)."""

    steps: tuple[Step, ...]
    mode: str


@dataclass(frozen=True)
class Operation:
    """A write of a service whose body names people."""

    method: str
    path: re.Pattern[str]
    fields: tuple[PersonField, ...]


class PersonFields:
    """The person fields of each service's writes, as its OpenAPI document marks them."""

    def __init__(self, backends: BackendClients) -> None:
        self.backends = backends
        self._learnt: TTLCache[str, tuple[Operation, ...]] = TTLCache(
            maxsize=64, ttl=LEARNT_FOR_SECONDS
        )

    async def of(self, service: str, method: str, path: str) -> tuple[PersonField, ...]:
        """The person fields of `method` on `path` (a request's path) at `service`; none
        while the service does not describe itself (asked again on the next write)."""
        operations = self._learnt.get(service)
        if operations is None:
            described = await service_description(self.backends, service)
            if described is None:
                return ()
            operations = self._learnt[service] = learnt(described)
        for operation in operations:
            if operation.method == method and operation.path.fullmatch(path):
                return operation.fields
        return ()


def learnt(described: Mapping[str, Any]) -> tuple[Operation, ...]:
    """The API writes of a service's OpenAPI document whose JSON bodies name people."""
    schemas: Mapping[str, Any] = described.get("components", {}).get("schemas", {})
    found = []
    for template, operations in described.get("paths", {}).items():
        if not template.startswith(f"{API_PREFIX}/"):
            continue
        for method, operation in operations.items():
            if method.upper() not in WRITES or not isinstance(operation, dict):
                continue
            content = operation.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            fields = tuple(dict.fromkeys(_marked(schema, schemas, (), frozenset())))
            if fields:
                found.append(Operation(method.upper(), _path_pattern(template), fields))
    return tuple(found)


def _marked(
    schema: Any, schemas: Mapping[str, Any], steps: tuple[Step, ...], seen: frozenset[str]
) -> Iterator[PersonField]:
    """The marked fields under `schema` (reached by `steps`); `seen`: the schemas referred
    to on the way (a schema containing itself is walked once)."""
    if not isinstance(schema, dict):
        return
    reference = schema.get("$ref")
    if isinstance(reference, str):
        name = reference.removeprefix(SCHEMAS_REF)
        if name not in seen:
            yield from _marked(schemas.get(name), schemas, steps, seen | {name})
        return
    mode = schema.get(PERSON_MARK)
    if mode in MESSAGES:
        yield PersonField(steps, mode)
    for combined in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(combined, ()):
            yield from _marked(option, schemas, steps, seen)
    for name, field in schema.get("properties", {}).items():
        yield from _marked(field, schemas, (*steps, name), seen)
    yield from _marked(schema.get("items"), schemas, (*steps, None), seen)


def _path_pattern(template: str) -> re.Pattern[str]:
    """`/api/v1/tasks/{task_id}` -> a pattern of the paths it serves."""
    pattern, end = "", 0
    for parameter in PARAMETER.finditer(template):
        pattern += re.escape(template[end : parameter.start()])
        pattern += ".+" if parameter.group(2) else "[^/]+"
        end = parameter.end()
    return re.compile(pattern + re.escape(template[end:]))


def _named(value: Any, steps: tuple[Step, ...], path: str = "") -> Iterator[tuple[str, uuid.UUID]]:
    """The ids at `steps` in `value` with their field paths (`items[0].user_id`)."""
    if not steps:
        person = _as_id(value)
        if person is not None:
            yield path, person
        return
    step, rest = steps[0], steps[1:]
    if step is None:
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from _named(item, rest, f"{path}[{index}]")
    elif isinstance(value, dict) and step in value:
        yield from _named(value[step], rest, f"{path}.{step}" if path else step)


def _as_id(value: Any) -> uuid.UUID | None:
    """`value` as the id the service reads in it (in any of the forms it takes: braced,
    ``urn:uuid:``); None when it is none (the service's to refuse)."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return uuid.UUID(value)
    return None


async def people_refusal(
    request: Request, service: str, method: str, path: str, body: bytes | object
) -> ErrorResponse | None:
    """The 422 refusing a write to `service` (`path`: the request's, decoded, without its
    query; `body`: as sent, or the object to be sent) that names a person who has no
    account, or no active one where the field asks for one; None when it names nobody
    unknown. One query of the accounts, and only for a write whose operation has person
    fields."""
    if method not in WRITES or body is None or body == b"":
        return None
    person_fields: PersonFields = request.app.state.person_fields
    fields = await person_fields.of(service, method, path)
    if not fields:
        return None
    if isinstance(body, bytes):
        try:
            body = _decode_json(body)
        except (ValueError, RecursionError):
            return None  # not JSON, or nested too deeply: the service says what is wrong
    named = [
        (field_path, person, field.mode)
        for field in fields
        for field_path, person in _named(body, field.steps)
    ]
    if not named:
        return None
    people = {person for _, person, _ in named}

    def accounts(session: Session) -> dict[uuid.UUID, bool]:
        rows = session.execute(select(User.id, User.is_active).where(User.id.in_(people)))
        return {user_id: active for user_id, active in rows}

    active_by_id = await in_session(request, accounts)
    details = [
        ErrorDetail(field=field_path, message=MESSAGES[mode], type="unknown_person")
        for field_path, person, mode in named
        if not (person in active_by_id and (active_by_id[person] or mode == KNOWN_PERSON))
    ]
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
