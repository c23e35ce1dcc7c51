"""The files attached to tasks: their rows (the files themselves are in the storage)."""

from __future__ import annotations

from obcms_platform.attachments import AttachableRecord, AttachmentColumns
from tasks_service.db import Base


class Attachment(AttachmentColumns, Base):
    pass


TASK_FILES = AttachableRecord("tasks", "task", Attachment, what="task")
