"""Comment routes of PPAs, assessments and needs: ``/api/v1/ppas/{ppa_id}/comments``..."""

from __future__ import annotations

from obcms_platform.comments import comment_routes
from portfolio_service.authz import COMMENT_RULES
from portfolio_service.comments.models import COMMENTS

routers = comment_routes(COMMENTS, COMMENT_RULES)
