"""Tracing and logs of a real service process: OTLP export when configured, trace ids in logs."""

from __future__ import annotations

import os
import time

import httpx

from obcms_platform.devstack.embedded import free_port
from obcms_platform.testing import Caller
from obcms_platform.testing.processes import Collector, serve_app, stop_and_read_logs


def test_requests_are_traced_over_otlp_and_logged_with_trace_ids(
    collector: Collector, tasks_db_url: str, redis_url: str, staff: Caller
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "OBCMS_TASKS_DATABASE_URL": tasks_db_url,
        "OBCMS_TASKS_REDIS_URL": redis_url,
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
        "OTEL_SERVICE_NAME": "tasks-under-test",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    process = serve_app("tasks_service.app:create_app", env, port)
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/api/v1/tasks", headers=staff.headers)
        assert response.status_code == 200
        deadline = time.monotonic() + 10
        while b"/api/v1/tasks" not in collector.traces() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        logs = stop_and_read_logs(process)
    exported = collector.traces()
    assert b"GET /api/v1/tasks" in exported
    assert b"tasks-under-test" in exported
    assert b"SELECT" in exported  # SQLAlchemy statements are spans of the same trace
    access = [line for line in logs if line.get("logger") == "obcms.access"]
    assert access, logs
    assert access[0]["route"] == "/api/v1/tasks"
    assert access[0]["status"] == 200
    trace_id = access[0]["trace_id"]
    assert isinstance(trace_id, str)
    assert len(trace_id) == 32
    assert trace_id.encode() not in (b"0" * 32,)


def test_without_otlp_settings_nothing_is_exported_and_logs_have_no_trace(
    collector: Collector, tasks_db_url: str, redis_url: str, staff: Caller
) -> None:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    env.update({"OBCMS_TASKS_DATABASE_URL": tasks_db_url, "OBCMS_TASKS_REDIS_URL": redis_url})
    process = serve_app("tasks_service.app:create_app", env, port)
    try:
        assert (
            httpx.get(f"http://127.0.0.1:{port}/api/v1/tasks", headers=staff.headers).status_code
            == 200
        )
    finally:
        logs = stop_and_read_logs(process)
    assert collector.requests == []
    access = [line for line in logs if line.get("logger") == "obcms.access"]
    assert access
    assert access[0]["trace_id"] is None
