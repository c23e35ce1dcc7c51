"""Tracing and logs of a real service process: OTLP export when configured, trace ids in logs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from obcms_platform.devstack.embedded import free_port
from obcms_platform.testing import Caller


class Collector:
    """A minimal OTLP/HTTP endpoint recording what it receives."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, bytes]] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                collector.requests.append((self.path, body))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def traces(self) -> bytes:
        return b"".join(body for path, body in self.requests if path == "/v1/traces")


@pytest.fixture
def collector() -> Iterator[Collector]:
    instance = Collector()
    yield instance
    instance.server.shutdown()


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "tasks_service.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
    ]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(process.communicate()[0])


def _stop(process: subprocess.Popen[str]) -> list[dict[str, object]]:
    process.terminate()
    output = process.communicate(timeout=30)[0]
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


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
    process = _serve(env, port)
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/api/v1/tasks", headers=staff.headers)
        assert response.status_code == 200
        deadline = time.monotonic() + 10
        while b"/api/v1/tasks" not in collector.traces() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        logs = _stop(process)
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
    process = _serve(env, port)
    try:
        assert (
            httpx.get(f"http://127.0.0.1:{port}/api/v1/tasks", headers=staff.headers).status_code
            == 200
        )
    finally:
        logs = _stop(process)
    assert collector.requests == []
    access = [line for line in logs if line.get("logger") == "obcms.access"]
    assert access
    assert access[0]["trace_id"] is None
