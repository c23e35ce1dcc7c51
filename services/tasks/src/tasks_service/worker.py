"""The tasks event worker: `obcms-tasks worker` (Celery app `tasks_service.worker:app`)."""

from obcms_platform.bus.worker import service_worker
from tasks_service.db import bus, load_models
from tasks_service.events import HANDLERS
from tasks_service.settings import get_settings

load_models()
app = service_worker(get_settings(), bus, HANDLERS)
