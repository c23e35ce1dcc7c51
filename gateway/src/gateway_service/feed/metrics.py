"""Prometheus metrics of the feed aggregation (exposed on the gateway's /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

FEED_SOURCE_DURATION = Histogram(
    "obcms_feed_source_duration_seconds",
    "Time to get one source's part of the calendar feed, by source and outcome "
    "(ok, error, timeout); cache hits are not observed.",
    ["source", "outcome"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0),
)
FEED_CACHE = Counter(
    "obcms_feed_cache_total",
    "Calendar feed cache lookups (one per requested source), by result (hit, miss).",
    ["result"],
)
FEED_ANSWER_CACHE = Counter(
    "obcms_feed_answer_cache_total",
    "Finished calendar feed answers looked up in the cache, by result (hit, miss).",
    ["result"],
)
