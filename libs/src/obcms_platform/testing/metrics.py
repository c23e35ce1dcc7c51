"""Reading a process's Prometheus metrics in a test."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def metric_value(text: str, name: str, **labels: str) -> float:
    """The value of sample `name` (e.g. ``obcms_bus_events_consumed_total``) in Prometheus
    text whose labels include `labels`; 0 when there is none (not counted yet, or the process
    is not serving)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                return float(sample.value)
    return 0.0
