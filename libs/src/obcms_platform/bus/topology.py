"""Exchange, queues and bindings of the bus: one durable queue per consuming service.

Publishers declare every queue with its bindings before publishing: kombu's Redis transport
routes a topic message only to queues whose bindings it already knows and silently drops it
otherwise.
"""

from __future__ import annotations

from kombu.entity import Exchange, Queue, binding

EXCHANGE = Exchange("obcms.events", type="topic", durable=True)

# Consuming service -> routing-key patterns it handles. Add a consumer here when its worker
# exists: a declared queue nobody consumes grows without bound.
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "tasks": (
        "ppa.created",
        "ppa.deleted",
        "ppa.approval_changed",
        "assessment.created",
        "assessment.deleted",
        "event.created",
        "event.deleted",
    ),
    "portfolio": ("task.*",),
    # Every change that shows on the calendar feed invalidates the gateway's feed cache.
    "gateway": (
        "task.*",
        "event.*",
        "ppa.*",
        "assessment.*",
        "milestone.*",
        "workflow_stage.*",
        "need.*",
        "booking.*",
        "leave.*",
    ),
}


def queue_name(consumer: str) -> str:
    return f"{consumer}.events"


def consumer_queue(consumer: str) -> Queue:
    return Queue(
        queue_name(consumer),
        bindings=[binding(EXCHANGE, routing_key=pattern) for pattern in SUBSCRIPTIONS[consumer]],
        durable=True,
    )


def all_queues() -> list[Queue]:
    return [consumer_queue(consumer) for consumer in SUBSCRIPTIONS]
