"""A notification: one message to one person, in their inbox and/or by email.

`dedup_key` names what it is about (``task_assigned:<task>:<version>``,
``task_due_soon:<task>:<due date>``): the same key for the same person is stored once, so a
redelivered event or a re-run job notifies nobody twice."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from notifications_service.db import Base
from notifications_service.kinds import Kind
from obcms_platform.db import enum_column


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    recipient_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[Kind] = mapped_column(enum_column(Kind, "kind"))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    # A path of the web UI (``/go/task/<id>``, `obcms_platform.links`); emails make it absolute.
    link: Mapped[str] = mapped_column(String(500), default="")
    dedup_key: Mapped[str] = mapped_column(String(200))
    # Summaries ("4 tasks generated for ...") count what they stand for.
    count: Mapped[int] = mapped_column(Integer, default=1)
    in_app: Mapped[bool] = mapped_column(Boolean, default=True)
    # Waiting to go out in the person's next daily digest email.
    in_digest: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("recipient_id", "dedup_key", name="uq_notifications__recipient_key"),
        Index("ix_notifications__recipient_id_created_at", "recipient_id", "created_at"),
        Index(
            "ix_notifications__unread",
            "recipient_id",
            postgresql_where="read_at IS NULL AND in_app",
        ),
        Index("ix_notifications__digest", "recipient_id", postgresql_where="in_digest"),
    )
