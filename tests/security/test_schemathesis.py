"""Property-based API tests (schemathesis) of every operation in the OpenAPI documents of
the three services and the gateway: generated requests, valid and invalid, never get a 5xx
and every response matches the schema the app publishes (body and status code).

Each service is called over HTTP (uvicorn) with an admin's internal token, the gateway with
an admin's bearer token. The examples are few and derandomized, so a run is quick and
repeatable: the same seed, the same requests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from gateway_helpers import ADMIN_PASSWORD, served, token_for
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)
from security_helpers import schema_app

from gateway_service.app import create_app as create_gateway_app

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261201,
        "phases": {"stateful": {"enabled": False}},
        "generation": {"mode": "all", "max-examples": 8},
    }
)
EXAMPLES = settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
# The facade adds no logic of its own per operation: fewer examples there, and none of the
# coverage phase's boundary cases (nine in ten of a service's requests), which test the
# service's validation that the services' own tests above cover; the generated requests,
# valid and invalid, still check that the facade passes every answer through unchanged.
FEWER_EXAMPLES = settings(EXAMPLES, max_examples=4)
FACADE_CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261201,
        "phases": {"stateful": {"enabled": False}, "coverage": {"enabled": False}},
        "generation": {"mode": "all", "max-examples": 4},
    }
)


def _schema(name: str, config: schemathesis.Config = CONFIG) -> Any:
    return schemathesis.openapi.from_dict(schema_app(name).openapi(), config=config)


tasks_schema = _schema("tasks")
portfolio_schema = _schema("portfolio")
calendar_schema = _schema("calendar")
gateway_schema = _schema("gateway")


def _check(case: Any, base_url: str, headers: dict[str, str]) -> None:
    case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)


@tasks_schema.parametrize()
@EXAMPLES
def test_tasks_api(case, backends, admin):
    _check(case, backends["tasks"], admin.headers)


@portfolio_schema.parametrize()
@EXAMPLES
def test_portfolio_api(case, backends, admin):
    _check(case, backends["portfolio"], admin.headers)


@calendar_schema.parametrize()
@EXAMPLES
def test_calendar_api(case, backends, admin):
    _check(case, backends["calendar"], admin.headers)


# The gateway's own probes answer for it; service feeds are the gateway's aggregated feed.
NOT_FORWARDED = r"^/(healthz|readyz)$|^/api/v1/(feed|events\.ics)"


@schemathesis.pytest.parametrize(
    **{
        name: _schema(name, FACADE_CONFIG).exclude(path_regex=NOT_FORWARDED)
        for name in ("tasks", "portfolio", "calendar")
    }
)
@FEWER_EXAMPLES
def test_service_api_through_the_gateway(case, served_gateway, gateway_admin):
    """The facade forwards status, body and headers unchanged: the services' own schemas
    hold for the gateway's /api/v1 too."""
    _check(case, served_gateway, gateway_admin)


@pytest.fixture(scope="module")
def served_gateway(make_gateway_settings) -> Iterator[str]:
    with served(create_gateway_app(make_gateway_settings())) as server:
        yield server.url


def _admin_token(gateway_url: str) -> dict[str, str]:
    with httpx.Client(base_url=gateway_url) as client:
        return token_for(client, "admin", ADMIN_PASSWORD)


@pytest.fixture(scope="module")
def gateway_admin(served_gateway: str) -> dict[str, str]:
    return _admin_token(served_gateway)


@gateway_schema.parametrize()
@EXAMPLES
def test_gateway_api(case, served_gateway, gateway_admin):
    """(Maintenance mode that PUT /api/v1/admin/maintenance turns on is turned off after
    each test by the suite's `_maintenance_off` fixture.)"""
    # Revoking the token of the request must not end the admin session of the other cases.
    revokes = case.method == "DELETE" and case.path == "/api/v1/auth/token"
    headers = _admin_token(served_gateway) if revokes else gateway_admin
    _check(case, served_gateway, headers)
