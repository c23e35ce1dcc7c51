"""The JSON API facade against the real tasks and portfolio services."""

from __future__ import annotations

import asyncio
import gc
import http.client
import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
from aiohttp import ClientResponse
from feed_helpers import FEED
from gateway_helpers import ADMIN_PASSWORD, USER_PASSWORD, create_user, served, token_for

from gateway_service.proxy.clients import BackendClients
from gateway_service.settings import GatewaySettings
from obcms_platform.cli import SERVICE_KEEP_ALIVE_SECONDS
from obcms_platform.settings import RunMode
from obcms_platform.testing import ServiceDatabases
from obcms_platform.testing.processes import Collector
from tasks_service.app import create_app as create_tasks_app
from tasks_service.settings import TasksSettings


def test_task_create_carries_the_callers_identity_to_the_service(make_client, staff):
    client = make_client()
    created = client.post(
        "/api/v1/tasks",
        json={"title": f"Proxied {uuid.uuid4().hex[:6]}", "priority": "high"},
        headers=staff["headers"],
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["created_by"] == staff["id"]
    assert body["priority"] == "high"
    assert created.headers["etag"] == '"1"'
    assert created.headers["location"] == f"/api/v1/tasks/{body['id']}"


def test_roles_reach_the_service(make_client, staff, admin_headers):
    client = make_client()
    task = client.post("/api/v1/tasks", json={"title": "Owned"}, headers=staff["headers"]).json()
    other = create_user(make_client(), admin_headers, "staff")
    other_headers = token_for(make_client(), other["username"], USER_PASSWORD)
    refused = client.delete(f"/api/v1/tasks/{task['id']}", headers=other_headers)
    assert refused.status_code == 403  # the service saw a plain staff member, not the creator
    manager = create_user(make_client(), admin_headers, "manager")
    manager_headers = token_for(make_client(), manager["username"], USER_PASSWORD)
    allowed = client.delete(f"/api/v1/tasks/{task['id']}", headers=manager_headers)
    assert allowed.status_code == 204, allowed.text  # ... and here a manager


def test_etag_and_if_match_pass_through(make_client, staff):
    client = make_client()
    headers = staff["headers"]
    task = client.post("/api/v1/tasks", json={"title": "Versioned"}, headers=headers).json()
    path = f"/api/v1/tasks/{task['id']}"
    fetched = client.get(path, headers=headers)
    assert fetched.status_code == 200
    etag = fetched.headers["etag"]
    stale = client.patch(
        path, json={"status": "in_progress"}, headers={**headers, "If-Match": '"0"'}
    )
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "precondition_failed"
    fresh = client.patch(
        path, json={"status": "in_progress"}, headers={**headers, "If-Match": etag}
    )
    assert fresh.status_code == 200
    assert fresh.headers["etag"] == '"2"'
    deleted = client.delete(path, headers={**headers, "If-Match": '"2"'})
    assert deleted.status_code == 204
    assert client.get(path, headers=headers).status_code == 404


def test_list_filters_and_pagination_pass_through(make_client, staff):
    client = make_client()
    marker = uuid.uuid4().hex[:8]
    for status in ("not_started", "completed", "completed"):
        client.post(
            "/api/v1/tasks",
            json={"title": f"Filter {marker}", "status": status},
            headers=staff["headers"],
        )
    listing = client.get(
        "/api/v1/tasks",
        params=[("q", marker), ("status", "completed"), ("limit", "1")],
        headers=staff["headers"],
    )
    assert listing.status_code == 200
    body = listing.json()
    assert body["total"] == 2
    assert len(body["items"]) == 1
    invalid = client.get("/api/v1/tasks", params={"status": "bogus"}, headers=staff["headers"])
    assert invalid.status_code == 422
    assert invalid.json()["error"]["field"].startswith("status")


def test_compressed_bodies_stream_through_unchanged(make_client, staff):
    client = make_client()
    for number in range(30):
        client.post("/api/v1/tasks", json={"title": f"Bulk {number}"}, headers=staff["headers"])
    response = client.get(
        "/api/v1/tasks",
        params={"limit": 30},
        headers={**staff["headers"], "Accept-Encoding": "gzip"},
    )
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"  # compressed by the service
    assert len(response.json()["items"]) == 30


def test_a_client_that_asks_for_no_encoding_gets_plain_json_with_single_headers(
    gateway, make_client, staff
):
    client = make_client()
    for number in range(30):
        client.post("/api/v1/tasks", json={"title": f"Plain {number}"}, headers=staff["headers"])
    # No Accept-Encoding at all, as curl sends by default.
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=30)
    try:
        connection.putrequest("GET", "/api/v1/tasks?limit=30", skip_accept_encoding=True)
        for name, value in staff["headers"].items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
        names = [name.lower() for name, _ in response.getheaders()]
    finally:
        connection.close()
    assert response.status == 200
    assert response.getheader("content-encoding") is None
    assert len(json.loads(body)["items"]) == 30
    assert names.count("date") == 1, response.getheaders()
    assert names.count("server") <= 1, response.getheaders()


def test_portfolio_routes_reach_the_portfolio_service(make_client, admin_headers):
    client = make_client()
    ppa = client.post(
        "/api/v1/ppas",
        json={"title": "Solar dryers", "category": "oobc_ppa", "start_date": "2027-01-04"},
        headers=admin_headers,
    )
    assert ppa.status_code == 201, ppa.text
    fetched = client.get(f"/api/v1/ppas/{ppa.json()['id']}", headers=admin_headers)
    assert fetched.json()["title"] == "Solar dryers"
    dashboard = client.get("/api/v1/portfolio/dashboard", headers=admin_headers)
    assert dashboard.status_code == 200


def test_unknown_api_paths_are_404(make_client, staff):
    client = make_client()
    for path in ("/api/v1/nothing-here", "/api/v1/", "/api/v1/taskss/1"):
        response = client.get(path, headers=staff["headers"])
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"


def test_a_service_not_deployed_is_503_naming_it(make_client, staff):
    response = make_client().get("/api/v1/events", headers=staff["headers"])
    assert response.status_code == 503
    assert "calendar" in response.json()["error"]["message"]


@pytest.fixture(scope="module")
def stopped_tasks_url(postgres_server, redis_url) -> str:
    """The URL of a real tasks service that has been started and then stopped."""
    url = ServiceDatabases(postgres_server, "tasks_service").fresh()
    app = create_tasks_app(TasksSettings(database_url=url, redis_url=redis_url, mode=RunMode.TEST))
    with served(app) as server:
        base = server.url
    return base


def test_a_stopped_service_is_503_naming_it_and_health_says_so(in_process, stopped_tasks_url):
    client = in_process(tasks_url=stopped_tasks_url)
    headers = token_for(client, "admin", "admin-password-for-tests")
    response = client.get("/api/v1/tasks", headers=headers)
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "service_unavailable"
    assert "tasks service" in error["message"]
    health = client.get("/health/")
    assert health.status_code == 503
    body = health.json()
    assert body["status"] == "unhealthy"
    assert body["services"] == {"tasks": "error", "portfolio": "ok"}
    assert body["database"] == "ok"
    assert body["cache"] == "ok"
    # Pages say so too, as a page.
    login = client.post(
        "/accounts/login/", data={"username": "admin", "password": "admin-password-for-tests"}
    )
    assert login.status_code == 303
    page = client.get("/oobc-management/staff/tasks/")
    assert page.status_code == 503
    assert "tasks service" in page.text


@pytest.fixture
def silent_backend() -> Iterator[str]:
    """A TCP server that accepts connections and never answers (a hung service)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_a_hung_service_times_out_as_503(in_process, silent_backend):
    client = in_process(
        portfolio_url=silent_backend,
        portfolio_timeout_seconds=0.5,
        health_check_timeout_seconds=0.5,
    )
    headers = token_for(client, "admin", "admin-password-for-tests")
    response = client.get("/api/v1/ppas", headers=headers)
    assert response.status_code == 503
    assert "portfolio service timed out" in response.json()["error"]["message"]
    health = client.get("/health/")
    assert health.status_code == 503
    assert health.json()["services"]["portfolio"] == "error"


@pytest.fixture
def gc_disabled() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_backend_answers_are_freed_without_a_garbage_collection(
    in_process, calendar_backend, gc_disabled
):
    """A service's answer (a feed part can be megabytes) is freed once the gateway has
    used it, not held until a full garbage collection."""
    client = in_process(calendar_url=calendar_backend)
    headers = token_for(client, "admin", ADMIN_PASSWORD)
    window = {"start": "2031-05-01", "end": "2031-06-01"}
    assert client.get(FEED, params=window, headers=headers).status_code == 200
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200
    assert client.get("/api/v1/tasks/not-a-uuid", headers=headers).status_code == 422
    held = [response.url for response in gc.get_objects() if isinstance(response, ClientResponse)]
    assert held == []


def test_pooled_connections_are_given_up_before_the_service_closes_them():
    """A request sent on a keep-alive connection the service is just closing fails as
    "unreachable": the gateway's pool must drop idle connections sooner than the services'
    uvicorn closes them (with both at their 5 s defaults, a busy machine hit it)."""

    async def expiries() -> dict[str, float | None]:
        clients = BackendClients(GatewaySettings(mode=RunMode.TEST))
        try:
            return {
                name: clients.session(name).connector._keepalive_timeout  # type: ignore[union-attr]
                for name in clients.deployed
            }
        finally:
            await clients.aclose()

    found = asyncio.run(expiries())
    assert found, "no backend pool to check"
    for name, expiry in found.items():
        assert expiry is not None, name
        assert expiry < SERVICE_KEEP_ALIVE_SECONDS / 2, name


@pytest.fixture
def recording_backend() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A service that answers every GET with a ``Set-Cookie``; the headers of each request it
    gets, in order."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            received.append(dict(self.headers.items()))
            body = b"[]"
            self.send_response(200)
            self.send_header("Set-Cookie", "session=first-callers; Path=/")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


def test_a_cookie_a_service_sets_is_never_sent_for_another_caller(
    recording_backend: tuple[str, list[dict[str, str]]],
) -> None:
    """The gateway's clients are shared by every caller: a cookie one service answer set
    must not ride along on the next caller's requests (pages, downloads)."""
    from gateway_service.auth.identity import Identity
    from obcms_platform.auth import Role

    url, received = recording_backend
    first = Identity(uuid.uuid4(), "first", "First Caller", Role.STAFF)
    second = Identity(uuid.uuid4(), "second", "Second Caller", Role.STAFF)

    async def requests() -> None:
        clients = BackendClients(GatewaySettings(mode=RunMode.TEST, tasks_url=url))
        try:
            await clients.call("tasks", "GET", "/api/v1/tasks", first)
            await clients.call("tasks", "GET", "/api/v1/tasks", second)
            download = await clients.open_stream("tasks", "/api/v1/tasks", second)
            await download.aclose()
        finally:
            await clients.aclose()

    asyncio.run(requests())
    assert [headers.get("Cookie") for headers in received] == [None, None, None]


# A gateway process calling a service within a span of its own: prints the span's trace id.
TRACED_CALL = """
import asyncio, os, uuid
from opentelemetry import trace
from gateway_service.auth.identity import Identity
from gateway_service.proxy.clients import BackendClients
from gateway_service.settings import GatewaySettings
from obcms_platform.auth import Role
from obcms_platform.settings import RunMode
from obcms_platform.telemetry import configure_tracing

configure_tracing("gateway")


async def main():
    clients = BackendClients(GatewaySettings(mode=RunMode.TEST, tasks_url=os.environ["BACKEND"]))
    caller = Identity(uuid.uuid4(), "someone", "Some One", Role.STAFF)
    with trace.get_tracer("test").start_as_current_span("page") as span:
        await clients.call("tasks", "GET", "/api/v1/tasks", caller)
        print(format(span.get_span_context().trace_id, "032x"))
    await clients.aclose()


asyncio.run(main())
"""


@pytest.mark.parametrize("traced", [True, False], ids=["tracing on", "tracing off"])
def test_a_request_to_a_service_carries_the_gateways_trace(
    recording_backend: tuple[str, list[dict[str, str]]], traced: bool
) -> None:
    """With tracing on, a service's spans continue the gateway's trace: each request the
    gateway sends carries it (W3C ``traceparent``). Off, nothing is added."""
    url, received = recording_backend
    env = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    env["BACKEND"] = url
    if traced:
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = Collector().endpoint
    done = subprocess.run(
        [sys.executable, "-c", TRACED_CALL], env=env, capture_output=True, text=True, check=True
    )
    (headers,) = received
    if traced:
        trace_id = done.stdout.split()[-1]
        assert trace_id != "0" * 32
        assert headers["traceparent"].split("-")[1] == trace_id
    else:
        assert "traceparent" not in headers
