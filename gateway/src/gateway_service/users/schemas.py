"""User request and response schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field

from obcms_platform.auth import Role
from obcms_platform.schemas import RequestModel, ResponseModel

Username = Annotated[str, Field(min_length=1, max_length=150, pattern=r"^[\w.@+-]+$")]


class UserCreate(RequestModel):
    username: Username
    password: Annotated[str, Field(min_length=1, max_length=1024)]
    role: Role = Role.STAFF
    full_name: Annotated[str, Field(max_length=300)] = ""
    email: Annotated[str, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None


class UserRead(ResponseModel):
    id: uuid.UUID
    username: str
    full_name: str
    email: str | None
    role: Role
    is_active: bool
    last_login_at: datetime | None
    created_at: datetime
