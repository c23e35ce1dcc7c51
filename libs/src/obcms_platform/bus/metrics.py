"""Bus metrics: published, consumed by outcome, outbox backlog and age, DLQ size, queues."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_PUBLISHED = Counter(
    "obcms_bus_events_published_total",
    "Events the relay handed to the broker.",
    ["service", "event_type"],
)
PUBLISH_FAILURES = Counter(
    "obcms_bus_publish_failures_total",
    "Relay attempts to publish that the broker did not accept.",
    ["service"],
)
EVENTS_CONSUMED = Counter(
    "obcms_bus_events_consumed_total",
    "Events taken from a queue, by outcome (handled, duplicate, ignored, retried, dead_lettered).",
    ["consumer", "event_type", "outcome"],
)
HANDLE_DURATION = Histogram(
    "obcms_bus_handle_duration_seconds",
    "Time to handle one event, including its transaction.",
    ["consumer", "event_type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0),
)
OUTBOX_BACKLOG = Gauge("obcms_bus_outbox_backlog", "Outbox events not yet published.", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "obcms_bus_outbox_oldest_age_seconds",
    "Age of the oldest unpublished outbox event (0 when none).",
    ["service"],
)
DEAD_LETTERS = Gauge(
    "obcms_bus_dead_letters", "Dead-lettered events not yet replayed.", ["service"]
)
QUEUE_LENGTH = Gauge("obcms_bus_queue_length", "Messages waiting in a consumer queue.", ["queue"])
EVENTS_REDELIVERED = Counter(
    "obcms_bus_events_redelivered_total",
    "Published events the sweeper found lost for a consumer and sent to its queue again.",
    ["consumer"],
)
