"""Bus metrics: published, consumed by outcome, redelivered.

The outbox backlog and age, the dead letters and the queue lengths are read when Prometheus
scrapes the relay, not on a timer (`obcms_platform.bus.relay.BacklogCollector`).
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
EVENTS_REDELIVERED = Counter(
    "obcms_bus_events_redelivered_total",
    "Published events the sweeper found lost for a consumer and sent to its queue again.",
    ["consumer"],
)
