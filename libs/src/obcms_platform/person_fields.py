"""The fields of a JSON schema marked as naming people (`schemas.PERSON_MARK`), and the ids a
body holds in them: read by the gateway from each service's OpenAPI document (the writes it
checks) and by imports from a create schema (the cells whose people a report lists), so
that both find the same fields.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from obcms_platform.schemas import ACTIVE_PERSON, KNOWN_PERSON, PERSON_MARK

MODES = frozenset({ACTIVE_PERSON, KNOWN_PERSON})
# A step of a field's path in a body: a property's name, or None: each item of a list.
Step = str | None


@dataclass(frozen=True)
class PersonField:
    """A field naming a person, reached by `steps`, and whom it may name (`mode`)."""

    steps: tuple[Step, ...]
    mode: str


def person_fields(schema: Any, schemas: Mapping[str, Any]) -> tuple[PersonField, ...]:
    """The marked fields under `schema`, whose references (``#/components/schemas/X``,
    ``#/$defs/X``) name the entries of `schemas`; each once."""
    return tuple(dict.fromkeys(_marked(schema, schemas, (), frozenset())))


def _marked(
    schema: Any, schemas: Mapping[str, Any], steps: tuple[Step, ...], seen: frozenset[str]
) -> Iterator[PersonField]:
    """`seen`: the schemas referred to on the way (a schema containing itself is walked
    once)."""
    if not isinstance(schema, dict):
        return
    reference = schema.get("$ref")
    if isinstance(reference, str):
        name = reference.rsplit("/", 1)[-1]
        if name not in seen:
            yield from _marked(schemas.get(name), schemas, steps, seen | {name})
        return
    mode = schema.get(PERSON_MARK)
    if mode in MODES:
        yield PersonField(steps, mode)
    for combined in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(combined, ()):
            yield from _marked(option, schemas, steps, seen)
    for name, field in schema.get("properties", {}).items():
        yield from _marked(field, schemas, (*steps, name), seen)
    yield from _marked(schema.get("items"), schemas, (*steps, None), seen)


def named(value: Any, steps: tuple[Step, ...], path: str = "") -> Iterator[tuple[str, uuid.UUID]]:
    """The ids at `steps` in `value` with their field paths (`items[0].user_id`)."""
    if not steps:
        person = as_id(value)
        if person is not None:
            yield path, person
        return
    step, rest = steps[0], steps[1:]
    if step is None:
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from named(item, rest, f"{path}[{index}]")
    elif isinstance(value, dict) and step in value:
        yield from named(value[step], rest, f"{path}.{step}" if path else step)


def as_id(value: Any) -> uuid.UUID | None:
    """`value` as the id a service reads in it (an id, or text in any of the forms it takes:
    braced, ``urn:uuid:``); None when it is none (the service's to refuse)."""
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return uuid.UUID(value)
    return None
