"""Comment routes of calendar events: ``/api/v1/events/{event_id}/comments``."""

from __future__ import annotations

from calendar_service.authz import COMMENT_RULES
from calendar_service.comments.models import COMMENTS
from obcms_platform.comments import comment_routes

routers = comment_routes(COMMENTS, COMMENT_RULES)
