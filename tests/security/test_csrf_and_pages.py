"""CSRF on every unsafe route of the gateway, and its pages closed to anonymous people.

The routes come from the gateway app itself (pages, the login/logout forms, the JSON API and
the facade's catch-all), so a new form is covered the day it is added."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from gateway_helpers import ADMIN_PASSWORD, csrf_header, signed_in
from security_helpers import UNSAFE_METHODS, api_routes, schema_app

from gateway_service.security.csrf import CSRF_MESSAGE
from gateway_service.security.middleware import PROBE_PATHS
from obcms_platform.unsubscribe import UNSUBSCRIBE_PREFIX

GATEWAY_ROUTES = api_routes(schema_app("gateway"))
# Requests every unsafe method of every route could receive.
UNSAFE = [
    pytest.param(method, route, id=f"{method} {route.path}")
    for route in GATEWAY_ROUTES
    for method in sorted(route.methods & UNSAFE_METHODS)
]
PAGES = [
    pytest.param(route, id=route.path)
    for route in GATEWAY_ROUTES
    if "GET" in route.methods
    and not route.include_in_schema
    and not route.path.startswith("/api/")
    and route.path not in PROBE_PATHS | {"/accounts/login/"}
    # Calendar subscriptions and the one-click unsubscribe of emails: the token in the
    # address is the credential (no session).
    and not route.path.startswith(("/calendar/ics/", UNSUBSCRIBE_PREFIX))
]


def concrete(route: APIRoute) -> str:
    """The route's path with a value of the right type for each parameter."""
    path = route.path
    for parameter in route.dependant.path_params:
        value = str(uuid.uuid4()) if parameter.field_info.annotation is uuid.UUID else "tasks"
        path = path.replace(f"{{{parameter.name}}}", value).replace(
            f"{{{parameter.name}:path}}", value
        )
    return path


@pytest.fixture(scope="module")
def session_client(make_gateway_client) -> Iterator[TestClient]:
    """A browser signed in as the admin: the session and csrftoken cookies."""
    with make_gateway_client() as client:
        yield signed_in(client, "admin", ADMIN_PASSWORD)


def _send(client: TestClient, method: str, route: APIRoute, headers: dict[str, str], **form):
    return client.request(method, concrete(route), data=form or None, headers=headers)


def test_the_unsafe_routes_include_every_page_form():
    paths = {param.values[1].path for param in UNSAFE}
    assert "/oobc-management/staff/tasks/create/" in paths
    assert "/oobc-management/portfolio/ppas/{ppa_id}/approval/" in paths
    assert "/accounts/logout/" in paths
    assert "/api/v1/{path:path}" in paths
    assert len(paths) > 25


@pytest.mark.parametrize(("method", "route"), UNSAFE)
def test_unsafe_request_with_a_session_and_no_csrf_token_is_403(session_client, method, route):
    for headers, form in (
        ({}, {}),  # no token at all
        ({"X-CSRFToken": "forged"}, {}),  # a made-up header
        ({}, {"csrftoken": "forged", "title": "x"}),  # a made-up form field
    ):
        response = _send(session_client, method, route, headers, **form)
        assert response.status_code == 403, f"{method} {route.path}: {response.status_code}"
        assert "CSRF verification failed" in response.text
    assert CSRF_MESSAGE in _send(session_client, method, route, {"Accept": "application/json"}).text


@pytest.mark.parametrize(
    ("method", "route"), [p for p in UNSAFE if p.values[1].path != "/accounts/logout/"]
)
def test_the_csrf_token_lets_the_same_request_through(session_client, method, route):
    """The control of the test above: with the token the request reaches its route."""
    response = _send(session_client, method, route, csrf_header(session_client))
    assert "CSRF verification failed" not in response.text, f"{method} {route.path}"
    assert response.status_code < 500, f"{method} {route.path}: {response.text[:300]}"


@pytest.mark.parametrize("route", PAGES)
def test_page_sends_an_anonymous_person_to_the_login_form(gateway_client, route):
    gateway_client.cookies.clear()
    response = gateway_client.get(concrete(route))
    assert response.status_code == 303, route.path
    assert response.headers["location"].startswith("/accounts/login/?next=")
