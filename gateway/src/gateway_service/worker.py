"""The gateway event worker: `obcms-gateway worker` (Celery app `gateway_service.worker:app`).

It consumes the ``gateway.events`` queue and invalidates the feed cache (see events.py).
When it starts, a service that now consumes ``user.changed`` and has not had the accounts
gets them all (`users.service.announce_to_new_consumers`).
"""

from typing import Any

from celery.signals import worker_ready

from gateway_service.db import bus, load_models
from gateway_service.events import handlers
from gateway_service.settings import get_settings
from gateway_service.users.service import announce_to_new_consumers
from obcms_platform.bus.topology import all_queues
from obcms_platform.bus.worker import service_worker
from obcms_platform.db import Database

load_models()
settings = get_settings()
app = service_worker(settings, bus, handlers(settings.redis_url))


def _announce_accounts(**_: Any) -> None:
    # Every queue declared first, bindings included: the broker routes an announcement only
    # to the queues it knows, and a consumer added by this release may not have started yet.
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        for queue in all_queues():
            queue.bind(channel).declare()  # type: ignore[no-untyped-call]  # kombu is untyped
    database = Database(settings.database_url, pool_size=1)
    try:
        with database.session() as session:
            announce_to_new_consumers(session)
            session.commit()
    finally:
        database.dispose()


worker_ready.connect(_announce_accounts, weak=False)
