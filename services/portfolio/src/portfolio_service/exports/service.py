"""What the portfolio service exports in the background: the lists its downloads export."""

from __future__ import annotations

from obcms_platform.export_jobs import ExportJobs, exportable
from portfolio_service.assessments.routes import assessments
from portfolio_service.db import outbox
from portfolio_service.exports.models import ExportJob
from portfolio_service.funding.routes import tranches
from portfolio_service.needs.routes import needs
from portfolio_service.ppas.routes import ppas

PORTFOLIO_EXPORTS = ExportJobs(
    "portfolio",
    ExportJob,
    outbox,
    tuple(exportable(routes) for routes in (ppas, needs, assessments, tranches)),
)
