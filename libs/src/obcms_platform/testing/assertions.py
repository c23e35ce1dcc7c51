"""Assertions every suite shares."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from typing import Any, Literal

import httpx
from pydantic import ValidationError

from obcms_platform.errors import ErrorResponse


class _Unchecked(enum.Enum):
    FIELD = "any field"


ANY_FIELD = _Unchecked.FIELD


def assert_error(
    response: httpx.Response,
    status: int,
    field: str | Literal[_Unchecked.FIELD] | None = ANY_FIELD,
) -> dict[str, Any]:
    """`response` is the platform's one error shape with `status` and a message, naming
    `field` (None: naming no field; left out: any); returns the body's ``error``."""
    assert response.status_code == status, response.text
    body = response.json()
    try:
        error = ErrorResponse.model_validate(body).error
    except ValidationError as invalid:
        raise AssertionError(f"not the platform's error shape: {body}\n{invalid}") from None
    assert error.status == status, body
    assert error.message, body
    if field is not ANY_FIELD:
        assert error.field == field, body
    return dict(body["error"])


def wrongly_refused(
    cases: Iterable[tuple[Any, str]], send: Callable[[Any], httpx.Response]
) -> list[tuple[Any, str, int, Any]]:
    """The (input, field, status, field named) of each case whose `send(input)` is not a 422
    with a message naming `field` (a list-valued field may name its position: "status[0]").
    Collected rather than asserted one by one, so that a failure lists every wrong case."""
    wrong = []
    for given, field in cases:
        response = send(given)
        error = response.json().get("error") or {}
        named = (error.get("field") or "").split("[")[0]
        if response.status_code != 422 or named != field or not error.get("message"):
            wrong.append((given, field, response.status_code, error.get("field")))
    return wrong
