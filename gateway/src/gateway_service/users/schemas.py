"""User request and response schemas."""

from __future__ import annotations

import re
import uuid
import zoneinfo
from datetime import datetime
from functools import cache
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from obcms_platform.auth import Role
from obcms_platform.schemas import RequestModel, ResponseModel

# Letters that look alike across scripts ("admin" with a Cyrillic U+0430 "a") cannot be told apart
# on screen: usernames keep to ASCII letters, digits and a few separators.
USERNAME_CHARACTERS = re.compile(r"[A-Za-z0-9._@-]+")
USERNAME_RULE = "use only ASCII letters, digits and . _ - @ (no spaces or accented letters)"


def _safe_username(value: str) -> str:
    if not USERNAME_CHARACTERS.fullmatch(value):
        raise PydanticCustomError("username_characters", USERNAME_RULE)
    return value


@cache
def time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@cache
def _time_zones_by_lower_case() -> dict[str, str]:
    return {name.lower(): name for name in time_zone_names()}


def _iana_time_zone(value: str) -> str:
    """The zone's name as written in the time zone database ("europe/london" is London)."""
    name = _time_zones_by_lower_case().get(value.strip().lower())
    if name is None:
        raise PydanticCustomError(
            "time_zone", "not a time zone of the list, such as Asia/Manila or Europe/London"
        )
    return name


Username = Annotated[str, Field(min_length=1, max_length=150), AfterValidator(_safe_username)]
# Kept exactly as typed (request models trim other text): login does not trim either.
Password = Annotated[
    str, StringConstraints(strip_whitespace=False), Field(min_length=1, max_length=1024)
]
FullName = Annotated[str, Field(max_length=300)]
# Once an account has a name, it is how everyone sees the person: it may change, not empty.
NewFullName = Annotated[str, Field(min_length=1, max_length=300)]
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def _email_address(value: str) -> str:
    if not EMAIL.fullmatch(value):
        raise PydanticCustomError("email", "must be an e-mail address, e.g. name@example.org")
    return value


Email = Annotated[str, Field(max_length=320), AfterValidator(_email_address)]
TimeZoneName = Annotated[str, Field(max_length=64), AfterValidator(_iana_time_zone)]


class UserCreate(RequestModel):
    username: Username
    password: Password
    role: Role = Role.STAFF
    full_name: FullName = ""
    email: Email | None = None
    # Set by whoever onboards the person (abroad, they read their own times from the first
    # e-mail); none: the office's.
    time_zone: TimeZoneName | None = None


class UserUpdate(RequestModel):
    """An admin's change to an account: absent (or null) fields are left as they are, except
    `email` and `time_zone`, which null clears."""

    role: Role | None = None
    is_active: bool | None = None
    full_name: NewFullName | None = None
    email: Email | None = None
    time_zone: TimeZoneName | None = None  # null: the office's


class ProfileUpdate(RequestModel):
    """A user's change to their own profile: absent fields are left as they are; `email` or
    `time_zone` null clears it (no time zone = the office's)."""

    full_name: NewFullName | None = None
    email: Email | None = None
    time_zone: TimeZoneName | None = None


class PasswordReset(RequestModel):
    """An admin sets a new password (the user's sessions and tokens end)."""

    password: Password


class PasswordChange(RequestModel):
    current_password: Password
    new_password: Password


class UserRead(ResponseModel):
    id: uuid.UUID
    username: str
    full_name: str
    email: str | None
    time_zone: str | None
    role: Role
    is_active: bool
    last_login_at: datetime | None
    created_at: datetime
    version: int
