"""The portfolio event worker: `obcms-portfolio worker` (Celery app in `worker:app`)."""

from obcms_platform.bus.worker import service_worker
from obcms_platform.export_jobs import ExportJobLimits
from obcms_platform.storage import storage_from_settings
from portfolio_service.db import bus, load_models
from portfolio_service.events import handlers
from portfolio_service.settings import get_settings

load_models()
settings = get_settings()
storage = storage_from_settings(settings, settings.service_name)
app = service_worker(settings, bus, handlers(storage, ExportJobLimits.of(settings)))
