"""Base classes for request and response schemas shared by every service."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator

T = TypeVar("T")

EARLIEST_DATE = date(1970, 1, 1)
LATEST_DATE = date(2199, 12, 31)


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_contains_nul(item) for item in value)
    return False


def refuse_nul(value: T) -> T:
    """PostgreSQL text cannot hold NUL: refuse it as invalid input instead of failing later."""
    if _contains_nul(value):
        raise ValueError("must not contain NUL characters")
    return value


class RequestModel(BaseModel):
    """Unknown fields are refused (a typo must not be dropped silently); text is trimmed and
    may not contain NUL characters."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return refuse_nul(value)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _plausible_date(value: date) -> date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(f"must be between {EARLIEST_DATE} and {LATEST_DATE}")
    return value


PlausibleDate = Annotated[date, AfterValidator(_plausible_date)]


def deduplicated(values: list[T]) -> list[T]:
    """Drop repeated entries, keeping the first occurrence's position."""
    return list(dict.fromkeys(values))


TextWithoutNul = Annotated[str, AfterValidator(refuse_nul)]
