"""Comment routes of tasks: ``/api/v1/tasks/{task_id}/comments``."""

from __future__ import annotations

from obcms_platform.comments import comment_routes
from tasks_service.authz import COMMENT_RULES
from tasks_service.comments.models import COMMENTS

routers = comment_routes(COMMENTS, COMMENT_RULES)
