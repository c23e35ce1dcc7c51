"""The facade's route table holds: a path whose segments climb out of the resource ('..',
'.', percent-encoded or with backslashes) is refused before any service is called, so it
can reach neither a service's own endpoints (metrics, docs, probes) nor another service's
resources through the wrong client.

Requests go out over a raw connection: httpx (and so TestClient) would collapse the dot
segments on the client side, before the gateway ever saw them."""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest
from gateway_helpers import ServedApp

from gateway_service.proxy.routes import ROUTE_TABLE

FRONTS_CALENDAR = True  # the conftest gateway fronts the calendar service too

# Endpoints every service serves outside /api/v1.
SERVICE_ENDPOINTS = ("metrics", "openapi.json", "docs", "healthz")
# One resource per service, to aim at through another service's prefix.
RESOURCE_OF = {service: resource for resource, service in ROUTE_TABLE.items()}
# Ways of writing '..' and '.' that a server or proxy on the way may read as one.
DOT_SPELLINGS = (
    "..",
    "%2e%2e",
    "%2E%2E",
    "%2E.",
    ".%2e",
    "..%2f",
    "..%2F..%2f",
    "..\\",
    "..%5c",
    ".",
    "%2e",
)


def raw_get(gateway: ServedApp, path: str, headers: dict[str, str]) -> tuple[int, str]:
    """GET `path` exactly as written (no client-side normalisation)."""
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def refused(status: int, body: str) -> bool:
    """The gateway's own refusal: 400 naming the path, in the error format."""
    if status != 400:
        return False
    error: dict[str, Any] = json.loads(body)["error"]
    return error["field"] == "path" and "'..'" in error["message"]


def escapes(prefix: str) -> list[str]:
    """Paths under `prefix` that climb to each service endpoint and to every other service's
    resource."""
    service = ROUTE_TABLE[prefix]
    paths = [f"/api/v1/{prefix}/../../../{target}" for target in SERVICE_ENDPOINTS]
    paths.append(f"/api/v1/{prefix}/../../openapi.json")
    paths += [
        f"/api/v1/{prefix}/../{resource}"
        for other, resource in RESOURCE_OF.items()
        if other != service
    ]
    paths += [f"/api/v1/{prefix}/x/../../{resource}" for resource in RESOURCE_OF.values()]
    # A decoded '?' or '#' must not hide the dot segments after it.
    paths += [f"/api/v1/{prefix}/{mark}/../../../../metrics" for mark in ("%3F", "%23")]
    return paths


@pytest.mark.parametrize("prefix", sorted(ROUTE_TABLE))
def test_dot_segments_never_leave_the_resource(gateway, admin_headers, prefix):
    reached = {}
    for path in escapes(prefix):
        status, body = raw_get(gateway, path, admin_headers)
        if not refused(status, body):
            reached[path] = f"{status} {body[:80]!r}"
    assert reached == {}


@pytest.mark.parametrize("spelling", DOT_SPELLINGS)
def test_encoded_and_backslash_dot_segments_are_refused_for_every_prefix(
    gateway, admin_headers, spelling
):
    reached = {}
    for prefix in sorted(ROUTE_TABLE):
        for path in (
            f"/api/v1/{prefix}/{spelling}/{spelling}/{spelling}/metrics",
            f"/api/v1/{prefix}/{spelling}/ppas",
            f"/api/v1/{prefix}/{spelling}",
        ):
            status, body = raw_get(gateway, path, admin_headers)
            if not refused(status, body):
                reached[path] = f"{status} {body[:80]!r}"
    assert reached == {}


def test_the_metrics_of_a_service_stay_out_of_reach(gateway, admin_headers):
    """What the escape used to give away: the tasks service's Prometheus metrics."""
    status, body = raw_get(gateway, "/api/v1/tasks/../../../metrics", admin_headers)
    assert status == 400
    assert "obcms_http_requests_total" not in body


def test_ordinary_paths_and_dots_inside_a_segment_still_reach_their_service(gateway, admin_headers):
    for prefix, service in (("tasks", "tasks"), ("ppas", "portfolio"), ("events", "calendar")):
        status, body = raw_get(gateway, f"/api/v1/{prefix}?limit=1", admin_headers)
        assert status == 200, f"{service}: {body[:200]}"
    # A name with dots in it is a name, not a dot segment: the service answers for it.
    status, body = raw_get(gateway, "/api/v1/task-templates/a..b", admin_headers)
    assert status == 404, body[:200]
    assert json.loads(body)["error"]["message"] == "task template a..b not found"
