"""Base classes for request and response schemas shared by every service."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, timezone
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from obcms_platform.errors import InvalidInputError

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


class UpdateModel(RequestModel):
    """A PATCH body: every field is optional and only the fields sent change. Null clears
    only the fields named in `clearable` (those with an empty state); for any other field
    it is refused, as the column has no empty state to clear to."""

    clearable: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        # A misspelt name would leave its field refusing null with no hint why.
        unknown = cls.clearable - cls.model_fields.keys()
        if unknown:
            raise TypeError(f"{cls.__name__}.clearable names no field: {sorted(unknown)}")

    def changes(self, *, field_prefix: str = "") -> dict[str, Any]:
        """The fields sent, by name, to apply; a 422 naming (after `field_prefix`, the path
        of this body in the request) the first one sent as null that may not be cleared."""
        values = self.model_dump(exclude_unset=True)
        for name, value in values.items():
            if value is None and name not in self.clearable:
                field = f"{field_prefix}{name}"
                raise InvalidInputError(f"{field}: cannot be left empty", field=field)
        return values


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _plausible_date(value: date) -> date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(f"must be between {EARLIEST_DATE} and {LATEST_DATE}")
    return value


PlausibleDate = Annotated[date, AfterValidator(_plausible_date)]


def _local_time(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("give the time of day in your own time zone, without a UTC offset")
    return value


# A time of day in the person's own time zone (a digest's hour, quiet hours): an offset would
# be dropped by the column, so it is refused rather than silently lost.
LocalTime = Annotated[time, AfterValidator(_local_time)]

# The last time zone to reach a new day (UTC+14, Line Islands).
_LAST_ZONE = timezone(timedelta(hours=14))


def today_somewhere() -> date:
    """The latest day that is today anywhere: a date reporting what has happened (a status
    update, an indicator's actual) is in the future only after it, so that no user's local
    today is refused by a server a day behind them."""
    return datetime.now(_LAST_ZONE).date()


def ensure_not_future(day: date, today: date, *, field: str, why: str) -> None:
    """Refuse (422 naming `field`) a `day` after `today` for a record of what has happened
    (`why` says what the record is: "an update reports what has happened")."""
    if day > today:
        raise InvalidInputError(f"{field}: {why}; the day must not be in the future", field=field)


def deduplicated(values: list[T]) -> list[T]:
    """Drop repeated entries, keeping the first occurrence's position."""
    return list(dict.fromkeys(values))


TextWithoutNul = Annotated[str, AfterValidator(refuse_nul)]

# The text fields of every service's records: a title (its column is a String(300)), a long
# text (a description, a summary) and a note (a reason, a comment).
Title = Annotated[TextWithoutNul, Field(min_length=1, max_length=300)]
LongText = Annotated[TextWithoutNul, Field(max_length=20_000)]
Note = Annotated[TextWithoutNul, Field(max_length=5_000)]

# A list's `q`: the words to look for (`records.text_match`).
SEARCH_TEXT_MAX = 200
SearchText = Annotated[TextWithoutNul, Field(max_length=SEARCH_TEXT_MAX)]

# A field naming a person: the gateway, which owns the accounts, refuses a write naming
# nobody it knows before it reaches the service (`gateway_service.proxy.people`), learning
# the fields from the service's OpenAPI document, where the mark is `PERSON_MARK`.
PERSON_MARK = "x-obcms-person"
# Whom a person field may name: an active account (someone named anew: assigned, invited,
# filing for) or any account, inactive ones too (a list a change replaces, which may keep
# someone who has left since). A field removing people is not marked: cleaning up always works.
ACTIVE_PERSON = "active"
KNOWN_PERSON = "known"
ActivePersonId = Annotated[uuid.UUID, Field(json_schema_extra={PERSON_MARK: ACTIVE_PERSON})]
KnownPersonId = Annotated[uuid.UUID, Field(json_schema_extra={PERSON_MARK: KNOWN_PERSON})]
