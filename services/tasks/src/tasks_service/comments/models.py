"""The tasks service's comments: on tasks."""

from __future__ import annotations

from obcms_platform.comments import CommentColumns, CommentedRecord, Comments
from obcms_platform.links import Record
from tasks_service.db import Base, outbox
from tasks_service.tasks.models import Task


class Comment(CommentColumns, Base):
    __tablename__ = "comments"


COMMENTS = Comments(Comment, outbox, [CommentedRecord(Record.TASK, Task, "tasks", "task")])
