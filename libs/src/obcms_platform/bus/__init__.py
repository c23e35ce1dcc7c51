"""The event bus: transactional outbox, relay, topic exchange, idempotent consumers.

A producer writes its domain change and the announcing event in one transaction
(`Outbox.add`). The relay publishes outbox rows to the ``obcms.events`` topic exchange and
marks them sent only after the broker took them. Each consuming service has one durable
queue bound by routing-key patterns (`topology`); its Celery worker runs `EventConsumer`,
which records the event id in an inbox table in the same transaction as the handler's
effect, retries with backoff and finally dead-letters.
"""

from obcms_platform.bus.envelope import Event
from obcms_platform.bus.outbox import Outbox
from obcms_platform.bus.tables import BusTables, bus_tables

__all__ = ["BusTables", "Event", "Outbox", "bus_tables"]
