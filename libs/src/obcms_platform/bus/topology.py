"""Exchange, queues and bindings of the bus: one durable queue per consuming service.

Publishers declare every queue with its bindings before publishing: kombu's Redis transport
routes a topic message only to queues whose bindings it already knows and silently drops it
otherwise.
"""

from __future__ import annotations

from kombu.entity import Exchange, Queue, binding

from obcms_platform import registry

EXCHANGE = Exchange("obcms.events", type="topic", durable=True)

# Consuming deployable -> routing-key patterns it handles (the registry's `consumes`).
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = registry.subscriptions()


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


def topic_matches(pattern: str, routing_key: str) -> bool:
    """AMQP topic matching: words split on ``.``; ``*`` is exactly one word, ``#`` zero or more."""
    return _match(pattern.split("."), routing_key.split("."))


def _match(pattern: list[str], words: list[str]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_match(rest, words[skip:]) for skip in range(len(words) + 1))
    if not words:
        return False
    return (head == "*" or head == words[0]) and _match(rest, words[1:])


def subscribes(consumer: str, event_type: str) -> bool:
    """Whether `consumer`'s queue is bound to receive events of `event_type`."""
    return any(topic_matches(pattern, event_type) for pattern in SUBSCRIPTIONS[consumer])
