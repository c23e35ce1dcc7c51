"""Tracing and logs of a real service process: OTLP export when configured, trace ids in logs."""

from __future__ import annotations

import os

import httpx

from obcms_platform import registry
from obcms_platform.devstack.embedded import free_port
from obcms_platform.testing import Caller
from obcms_platform.testing.processes import Collector, serve_app, stop_and_read_logs
from obcms_platform.testing.service_probes import assert_traced_and_logged


def test_requests_are_traced_over_otlp_and_logged_with_trace_ids(
    collector: Collector, tasks_db_url: str, redis_url: str, staff: Caller
) -> None:
    assert_traced_and_logged(
        registry.TASKS, collector, tasks_db_url, redis_url, "/api/v1/tasks", staff.headers
    )


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
