"""Tombstones of the bus: what this service knows was deleted elsewhere.

The consumer's inbox makes a redelivered event a no-op; a tombstone does the same for events
that arrive out of order: a PPA's, an assessment's or a calendar event's creation or approval
event, retried or arriving late after its deletion was handled, must generate nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column

from obcms_platform.db import enum_column
from obcms_platform.vocabulary import SubjectKind
from tasks_service.db import Base


class DeletedSubject(Base):
    """A PPA, assessment or calendar event whose deletion was handled: its creation or
    approval events, retried or arriving late, must generate nothing any more."""

    __tablename__ = "deleted_subjects"

    subject_kind: Mapped[SubjectKind] = mapped_column(
        enum_column(SubjectKind, "subject_kind"), primary_key=True
    )
    subject_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    deleted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
