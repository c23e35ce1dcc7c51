"""The gateway event worker: `obcms-gateway worker` (Celery app `gateway_service.worker:app`).

It consumes the ``gateway.events`` queue and invalidates the feed cache (see events.py).
"""

from gateway_service.db import bus, load_models
from gateway_service.events import handlers
from gateway_service.settings import get_settings
from obcms_platform.bus.worker import service_worker

load_models()
settings = get_settings()
app = service_worker(settings, bus, handlers(settings.redis_url))
