"""Routes of the background exports: ``/api/v1/tasks-exports``."""

from __future__ import annotations

from obcms_platform.export_jobs import ExportJobRoutes
from tasks_service.authz import EXPORT_RULES
from tasks_service.exports.service import TASK_EXPORTS

router = ExportJobRoutes(TASK_EXPORTS, EXPORT_RULES).router
