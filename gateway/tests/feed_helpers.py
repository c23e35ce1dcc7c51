"""Helpers of the calendar feed tests: seeding through the gateway, and the bus paths."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
from gateway_helpers import ok
from sqlalchemy.engine import make_url

from gateway_service.db import bus as gateway_bus
from gateway_service.events import handlers as gateway_handlers
from obcms_platform.bus.consumer import EventConsumer, Outcome
from obcms_platform.db import Database
from obcms_platform.testing.metrics import metric_value

FEED = "/api/v1/calendar/feed"
PAGE_FEED = "/oobc-management/calendar/feed/json/"


def feed(
    client: httpx.Client, headers: dict[str, str] | None = None, **params: str
) -> dict[str, Any]:
    return ok(client.get(FEED, params=params, headers=headers or {}), 200)


def ids(payload: dict[str, Any]) -> list[str]:
    return [entry["id"] for entry in payload["events"]]


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _outbox_payloads(
    database_url: str, where: str, params: tuple[str, str]
) -> list[dict[str, Any]]:
    with psycopg.connect(_dsn(database_url)) as conn:
        rows = conn.execute(
            f"SELECT payload FROM bus_outbox WHERE {where} ORDER BY created_at", params
        ).fetchall()
    return [row[0] for row in rows]


def outbox_events(database_url: str, event_type: str, subject_id: str) -> list[dict[str, Any]]:
    """The envelopes a service wrote to its outbox for one subject (what its relay publishes)."""
    return _outbox_payloads(
        database_url,
        "event_type = %s AND payload->>'subject_id' = %s",
        (event_type, subject_id),
    )


def outbox_events_like(database_url: str, pattern: str, since: str) -> list[dict[str, Any]]:
    return _outbox_payloads(
        database_url, "event_type LIKE %s AND created_at >= %s", (pattern, since)
    )


def database_now(database_url: str) -> str:
    with psycopg.connect(_dsn(database_url)) as conn:
        row = conn.execute("SELECT now()::text").fetchone()
    assert row is not None
    return str(row[0])


def handle_in_gateway(database_url: str, redis_url: str, events: list[dict[str, Any]]) -> None:
    """What the gateway worker does with each event (the same consumer, handlers, inbox)."""
    database = Database(database_url, pool_size=1)
    try:
        consumer = EventConsumer("gateway", database, gateway_bus, gateway_handlers(redis_url))
        for event in events:
            assert consumer.handle(event) is Outcome.HANDLED
            assert consumer.handle(event) is Outcome.DUPLICATE  # a redelivery is a no-op
    finally:
        database.dispose()


def metric(client: httpx.Client, name: str, **labels: str) -> float:
    """The value of one sample on the gateway's /metrics (0 when absent)."""
    return metric_value(client.get("/metrics").text, name, **labels)


def unique(label: str) -> str:
    return f"{label} {uuid.uuid4().hex[:8]}"
