"""The tasks event worker: `obcms-tasks worker` (Celery app `tasks_service.worker:app`)."""

from obcms_platform.bus.worker import service_worker
from obcms_platform.export_jobs import ExportJobLimits
from obcms_platform.storage import storage_from_settings
from tasks_service.db import bus, load_models
from tasks_service.events import handlers
from tasks_service.settings import get_settings

load_models()
settings = get_settings()
storage = storage_from_settings(settings, settings.service_name)
app = service_worker(settings, bus, handlers(storage, ExportJobLimits.of(settings)))
