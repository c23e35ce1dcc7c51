"""The notifications event worker: `obcms-notifications worker` (Celery app
`notifications_service.worker:app`)."""

from notifications_service.db import bus, load_models
from notifications_service.events import handlers
from notifications_service.settings import get_settings
from obcms_platform.bus.worker import service_worker

load_models()
settings = get_settings()
app = service_worker(settings, bus, handlers(settings))
