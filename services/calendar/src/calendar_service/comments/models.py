"""The calendar's comments: on events."""

from __future__ import annotations

from calendar_service.calendar_events.models import Event
from calendar_service.db import Base, outbox
from obcms_platform.comments import CommentColumns, CommentedRecord, Comments
from obcms_platform.links import Record


class Comment(CommentColumns, Base):
    __tablename__ = "comments"


COMMENTS = Comments(Comment, outbox, [CommentedRecord(Record.EVENT, Event, "events", "event")])
