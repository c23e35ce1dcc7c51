"""What the tasks service exports in the background: the task list, as its download does."""

from __future__ import annotations

from obcms_platform.export_jobs import ExportJobs, exportable
from tasks_service.db import outbox
from tasks_service.exports.models import ExportJob
from tasks_service.tasks.routes import tasks

TASK_EXPORTS = ExportJobs("tasks", ExportJob, outbox, (exportable(tasks),))
