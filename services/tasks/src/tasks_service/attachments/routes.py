"""Routes of a task's files: ``/api/v1/tasks/{task_id}/attachments``."""

from __future__ import annotations

from obcms_platform.attachments import AttachmentRoutes
from obcms_platform.resource_routes import collection_router
from tasks_service.attachments.models import TASK_FILES
from tasks_service.authz import TASK_ATTACHMENTS
from tasks_service.tasks.service import get_task

router = collection_router("tasks")

AttachmentRoutes(router, TASK_FILES, TASK_ATTACHMENTS, get_task)
