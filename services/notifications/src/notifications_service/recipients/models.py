"""The people notifications go to: the gateway's users as this service needs them, kept
current by the gateway's ``user.changed`` events (never edited here)."""

from __future__ import annotations

import uuid

from sqlalchemy import Boolean, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from notifications_service.db import Base
from obcms_platform.auth import Role
from obcms_platform.db import Timestamped, enum_column


class Recipient(Timestamped, Base):
    __tablename__ = "recipients"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    username: Mapped[str] = mapped_column(String(150), default="")
    full_name: Mapped[str] = mapped_column(String(300), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), default=Role.STAFF)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The user's row version in the gateway when announced: an older event changes nothing.
    source_version: Mapped[int] = mapped_column(Integer, default=0)
