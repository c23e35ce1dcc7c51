"""Bus metrics: published, consumed by outcome, redelivered.

The outbox backlog and age, the dead letters and the queue lengths are read when Prometheus
scrapes the relay, not on a timer (`obcms_platform.bus.relay.BacklogCollector`).
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

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


@dataclass(frozen=True)
class ScrapedGauge:
    """A gauge whose value is read when Prometheus scrapes (by a collector), not kept."""

    name: str
    documentation: str
    label: str

    def family(self) -> GaugeMetricFamily:
        """An empty family of this gauge, for one scrape's samples."""
        return GaugeMetricFamily(self.name, self.documentation, labels=[self.label])


OUTBOX_BACKLOG = ScrapedGauge(
    "obcms_bus_outbox_backlog", "Outbox events not yet published.", "service"
)
OUTBOX_OLDEST_AGE = ScrapedGauge(
    "obcms_bus_outbox_oldest_age_seconds",
    "Age of the oldest unpublished outbox event (0 when none).",
    "service",
)
DEAD_LETTERS = ScrapedGauge(
    "obcms_bus_dead_letters", "Dead-lettered events not yet replayed.", "service"
)
QUEUE_LENGTH = ScrapedGauge(
    "obcms_bus_queue_length", "Messages waiting in a consumer queue.", "queue"
)
