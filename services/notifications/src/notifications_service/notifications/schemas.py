"""Notifications as the API shows them."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from notifications_service.kinds import Kind
from obcms_platform.schemas import ResponseModel


class NotificationRead(ResponseModel):
    id: uuid.UUID
    kind: Kind
    title: str
    body: str
    link: str
    count: int
    created_at: datetime
    read_at: datetime | None


class NotificationFilters(BaseModel):
    unread: bool = False


class UnreadCount(BaseModel):
    unread: int


class MarkedRead(BaseModel):
    marked: int
