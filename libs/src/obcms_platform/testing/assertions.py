"""Assertions every suite shares."""

from __future__ import annotations

import enum
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
