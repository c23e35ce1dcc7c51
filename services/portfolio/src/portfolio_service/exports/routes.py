"""Routes of the background exports: ``/api/v1/portfolio-exports``."""

from __future__ import annotations

from obcms_platform.export_jobs import ExportJobRoutes
from portfolio_service.authz import EXPORT_RULES
from portfolio_service.exports.service import PORTFOLIO_EXPORTS

router = ExportJobRoutes(PORTFOLIO_EXPORTS, EXPORT_RULES).router
