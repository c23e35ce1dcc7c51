"""Base classes for request and response schemas shared by every service."""

from __future__ import annotations

from datetime import date
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict

EARLIEST_DATE = date(1970, 1, 1)
LATEST_DATE = date(2199, 12, 31)

T = TypeVar("T")


class RequestModel(BaseModel):
    """Unknown fields are refused (a typo must not be dropped silently); text is trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


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
