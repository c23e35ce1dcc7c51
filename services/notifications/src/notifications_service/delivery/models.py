"""Emails waiting to be sent, sent, or given up: a queue in the database, so a failing SMTP
server delays mail without losing it and never holds up the bus."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text, UniqueConstraint, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column

from notifications_service.db import Base
from obcms_platform.db import enum_column
from obcms_platform.vocabulary import EmailState as EmailState


class OutgoingEmail(Base):
    __tablename__ = "outgoing_emails"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    recipient_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    # The one-click unsubscribe address of the List-Unsubscribe header ("": none).
    unsubscribe_url: Mapped[str] = mapped_column(Text, default="", server_default="")
    dedup_key: Mapped[str] = mapped_column(String(200))
    state: Mapped[EmailState] = mapped_column(
        enum_column(EmailState, "state"), default=EmailState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("recipient_id", "dedup_key", name="uq_outgoing_emails__recipient_key"),
        Index("ix_outgoing_emails__due", "next_attempt_at", postgresql_where="state = 'pending'"),
    )
