"""The access matrix of every operation in the OpenAPI documents of the three services and
the gateway: no credentials -> 401, a role below the one a route demands -> 403, bad internal
tokens -> 401 (CSRF and the pages: test_csrf_and_pages.py).

The routes and the role each needs are read from the apps themselves (their OpenAPI
documents and route dependencies), so a new route is covered the day it is added."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from security_helpers import (
    SERVICES,
    Operation,
    bad_internal_tokens,
    operations,
    schema_app,
)

from gateway_service.auth.identity import _admin as gateway_admin_check
from obcms_platform.auth import Role
from obcms_platform.auth.dependencies import INVALID_TOKEN_MESSAGE
from obcms_platform.testing import auth_headers

ROLES = [Role.STAFF, Role.MANAGER, Role.ADMIN]
GATEWAY_ROLE_CHECKS = {gateway_admin_check: Role.ADMIN}

SERVICE_OPERATIONS = [
    pytest.param(service, operation, id=f"{service} {operation.label}")
    for service in SERVICES
    for operation in operations(schema_app(service))
]
GATEWAY_OPERATIONS = [
    pytest.param(operation, id=operation.label)
    for operation in operations(schema_app("gateway"), GATEWAY_ROLE_CHECKS)
]


def _below(role: Role | None) -> list[Role]:
    return [] if role is None else ROLES[: ROLES.index(role)]


def _role_params(params: list[Any]) -> list[Any]:
    """(…, operation, role) for every role below the one the operation needs."""
    return [
        pytest.param(*param.values, role, id=f"{param.id} as {role.value}")
        for param in params
        for role in _below(param.values[-1].required_role)
    ]


def _call(client: TestClient, operation: Operation, headers: dict[str, str], prefix: str = ""):
    return client.request(
        operation.method, prefix + operation.url(), json=operation.body(), headers=headers
    )


def _assert_unauthorized(response, label: str) -> None:
    assert response.status_code == 401, f"{label}: {response.status_code} {response.text[:300]}"
    error = response.json()["error"]
    assert error["code"] == "unauthorized", error
    assert response.headers.get("www-authenticate") == "Bearer", label


def _assert_forbidden(response, label: str, role: Role) -> None:
    assert response.status_code == 403, f"{label}: {response.status_code} {response.text[:300]}"
    assert "role" in response.json()["error"]["message"], response.text


def test_the_matrix_knows_the_role_of_the_guarded_routes():
    """The role derivation finds what the code declares (so the matrix below is not empty)."""
    required = {
        (service, param.values[1].label): param.values[1].required_role
        for param in SERVICE_OPERATIONS
        for service in [param.values[0]]
    }
    assert required["tasks", "POST /api/v1/task-templates"] is Role.MANAGER
    assert required["portfolio", "POST /api/v1/budget-ceilings"] is Role.MANAGER
    assert required["calendar", "POST /api/v1/resources"] is Role.MANAGER
    assert required["calendar", "POST /api/v1/leaves/{leave_id}/approve"] is Role.MANAGER
    assert required["calendar", "POST /api/v1/bookings/{booking_id}/approve"] is Role.MANAGER
    assert required["tasks", "GET /api/v1/tasks"] is None
    gateway = {param.values[0].label: param.values[0].required_role for param in GATEWAY_OPERATIONS}
    assert gateway["POST /api/v1/users"] is Role.ADMIN
    assert gateway["PUT /api/v1/admin/maintenance"] is Role.ADMIN
    assert gateway["GET /api/v1/users/me"] is None


# --- services -----------------------------------------------------------------------------


@pytest.mark.parametrize(("service", "operation"), SERVICE_OPERATIONS)
def test_service_route_without_a_token_is_401(service_clients, service, operation):
    response = _call(service_clients[service], operation, {})
    if operation.is_public:
        assert response.status_code in {200, 503}, operation.label
    else:
        _assert_unauthorized(response, operation.label)


@pytest.mark.parametrize(
    ("service", "operation"), [p for p in SERVICE_OPERATIONS if not p.values[1].is_public]
)
def test_service_route_refuses_every_bad_internal_token(service_clients, service, operation):
    for problem, token in bad_internal_tokens(service).items():
        headers = {"Authorization": f"Bearer {token}"}
        response = _call(service_clients[service], operation, headers)
        _assert_unauthorized(response, f"{operation.label} with a token {problem}")
        # One fixed message: the reason (the token library's words) is only logged.
        assert response.json()["error"]["message"] == INVALID_TOKEN_MESSAGE, problem


@pytest.mark.parametrize(("service", "operation", "role"), _role_params(SERVICE_OPERATIONS))
def test_service_route_refuses_a_lower_role(service_clients, service, operation, role):
    response = _call(service_clients[service], operation, auth_headers(uuid.uuid4(), [role]))
    _assert_forbidden(response, operation.label, role)


@pytest.mark.parametrize(
    ("service", "operation"), [p for p in SERVICE_OPERATIONS if p.values[1].required_role]
)
def test_service_route_admits_the_role_it_needs(service_clients, service, operation):
    """The control of the test above: the same request with the role is not refused."""
    headers = auth_headers(uuid.uuid4(), [operation.required_role])
    response = _call(service_clients[service], operation, headers)
    assert response.status_code not in {401, 403}, f"{operation.label}: {response.text[:300]}"
    assert response.status_code < 500, f"{operation.label}: {response.text[:300]}"


# --- the gateway --------------------------------------------------------------------------


@pytest.mark.parametrize("operation", GATEWAY_OPERATIONS)
def test_gateway_route_without_credentials_is_401(gateway_client, operation):
    response = _call(gateway_client, operation, {})
    if operation.is_public:
        assert response.status_code != 401, operation.label
        assert response.status_code < 500, operation.label
    else:
        _assert_unauthorized(response, operation.label)


@pytest.mark.parametrize(
    ("service", "operation"), [p for p in SERVICE_OPERATIONS if not p.values[1].is_public]
)
def test_service_route_through_the_gateway_without_credentials_is_401(
    gateway_client, service, operation
):
    """The public surface: every service path under the gateway's /api/v1 needs a caller."""
    _assert_unauthorized(_call(gateway_client, operation, {}), operation.label)


@pytest.mark.parametrize("operation", [p for p in GATEWAY_OPERATIONS if not p.values[0].is_public])
def test_gateway_route_refuses_a_bad_bearer_token(gateway_client, operation):
    for token in ("not-a-token", *bad_internal_tokens("gateway").values()):
        response = _call(gateway_client, operation, {"Authorization": f"Bearer {token}"})
        _assert_unauthorized(response, operation.label)


@pytest.mark.parametrize(("operation", "role"), _role_params(GATEWAY_OPERATIONS))
def test_gateway_route_refuses_a_lower_role(gateway_client, gateway_users, operation, role):
    response = _call(gateway_client, operation, gateway_users.headers(role.value))
    _assert_forbidden(response, operation.label, role)


@pytest.mark.parametrize(("service", "operation", "role"), _role_params(SERVICE_OPERATIONS))
def test_service_route_through_the_gateway_refuses_a_lower_role(
    gateway_client, gateway_users, service, operation, role
):
    """The gateway forwards the caller's own role: a staff token never gains a manager's."""
    response = _call(gateway_client, operation, gateway_users.headers(role.value))
    _assert_forbidden(response, operation.label, role)


# --- what is open to anyone ---------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_service_probes_metrics_and_docs_need_no_credentials(service_clients, service):
    client = service_clients[service]
    for path in ("/healthz", "/metrics", "/openapi.json", "/docs"):
        assert client.get(path).status_code == 200, f"{service} {path}"


def test_gateway_probes_metrics_and_login_need_no_credentials(gateway_client):
    gateway_client.cookies.clear()
    for path in ("/healthz", "/metrics", "/accounts/login/", "/openapi.json"):
        assert gateway_client.get(path).status_code == 200, path
