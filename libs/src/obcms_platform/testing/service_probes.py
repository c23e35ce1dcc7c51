"""What the services' own tests watch a service do: the SQL statements a call runs, calls
raced against each other, and a real process's traces and access log."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from obcms_platform.devstack.embedded import free_port
from obcms_platform.registry import Deployable
from obcms_platform.testing.auth import Caller
from obcms_platform.testing.processes import Collector, serve_app, stop_and_read_logs
from obcms_platform.testing.timing import deadline


@contextmanager
def recorded_statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """(SQL, parameters) of each statement `engine` runs inside the block, filled as they run."""
    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


FEED = "/api/v1/feed"  # every service's feed route


def get_feed(client: TestClient, caller: Caller, **params: Any) -> dict[str, Any]:
    response = client.get(FEED, params=params, headers=caller.headers)
    assert response.status_code == 200, response.text
    feed: dict[str, Any] = response.json()
    return feed


def refused_feed(client: TestClient, caller: Caller, **params: Any) -> dict[str, Any]:
    """The error of a feed request that must be a 422."""
    response = client.get(FEED, params=params, headers=caller.headers)
    assert response.status_code == 422, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


def count_feed_statements(
    client: TestClient, caller: Caller, **params: Any
) -> tuple[int, dict[str, Any]]:
    """How many SQL statements one feed request runs, and the feed."""
    app = cast(FastAPI, client.app)
    with recorded_statements(app.state.database.engine) as statements:
        feed = get_feed(client, caller, **params)
    return len(statements), feed


def run_concurrently(calls: list[Callable[[], Any]]) -> list[Any]:
    """Start every call at the same moment (one thread each) and return their results."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def assert_traced_and_logged(
    service: Deployable,
    collector: Collector,
    database_url: str,
    redis_url: str,
    path: str,
    headers: dict[str, str],
) -> None:
    """In a real process of `service` exporting to `collector`, GET `path` is a trace (its
    SQL statements spans of it) and an access log line carrying the trace id."""
    port = free_port()
    env = {
        **os.environ,
        service.database_url_variable: database_url,
        f"{service.env_prefix}REDIS_URL": redis_url,
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
        "OTEL_SERVICE_NAME": f"{service.name}-under-test",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    process = serve_app(f"{service.package}.app:create_app", env, port)
    try:
        response = httpx.get(f"http://127.0.0.1:{port}{path}", headers=headers)
        assert response.status_code == 200, response.text
        until = time.monotonic() + deadline(10)
        while path.encode() not in collector.traces() and time.monotonic() < until:
            time.sleep(0.1)
    finally:
        logs = stop_and_read_logs(process)
    exported = collector.traces()
    assert f"GET {path}".encode() in exported
    assert f"{service.name}-under-test".encode() in exported
    assert b"SELECT" in exported  # SQLAlchemy statements are spans of the same trace
    access = [line for line in logs if line.get("logger") == "obcms.access"]
    assert access, logs
    assert access[0]["route"] == path
    assert access[0]["status"] == 200
    trace_id = access[0]["trace_id"]
    assert isinstance(trace_id, str)
    assert len(trace_id) == 32
    assert trace_id != "0" * 32
