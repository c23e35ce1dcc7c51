"""The portfolio service's background exports: their rows (the files are in the storage)."""

from __future__ import annotations

from obcms_platform.export_jobs import ExportJobColumns
from portfolio_service.db import Base


class ExportJob(ExportJobColumns, Base):
    pass
