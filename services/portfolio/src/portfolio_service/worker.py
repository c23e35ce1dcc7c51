"""The portfolio event worker: `obcms-portfolio worker` (Celery app in `worker:app`)."""

from obcms_platform.bus.worker import service_worker
from portfolio_service.db import bus, load_models
from portfolio_service.events import HANDLERS
from portfolio_service.settings import get_settings

load_models()
app = service_worker(get_settings(), bus, HANDLERS)
