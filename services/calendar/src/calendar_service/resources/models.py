"""Bookable resources: vehicles, equipment, rooms, facilitators."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from calendar_service.db import Base, history
from obcms_platform.columns import Identified, Versioned
from obcms_platform.db import Timestamped, enum_column
from obcms_platform.vocabulary import ResourceType as ResourceType


class Resource(Identified, Versioned, Timestamped, Base):
    __tablename__ = "resources"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    resource_type: Mapped[ResourceType] = mapped_column(enum_column(ResourceType, "resource_type"))
    capacity: Mapped[int | None] = mapped_column(Integer)
    location: Mapped[str] = mapped_column(String(300), default="")
    is_available: Mapped[bool] = mapped_column(Boolean, default=True)
    booking_requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (CheckConstraint("capacity >= 0", name="capacity"),)


history.keep(Resource, "resource")
