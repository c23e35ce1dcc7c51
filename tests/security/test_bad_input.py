"""Hostile and odd input against the services and the gateway: oversized and deeply nested
bodies, huge pagination, NUL characters, emoji and right-to-left text, SQL-looking strings
and century-long feed windows. Every one gets a clear 4xx naming the input at fault (or is
stored verbatim), never a 500, and the work a request may cause stays bounded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from gateway_helpers import ADMIN_PASSWORD, served, signed_in, token_for
from security_helpers import SERVICES, api_routes, operations, schema_app
from test_csrf_and_pages import concrete

from obcms_platform.feed import MAX_WINDOW_DAYS
from obcms_platform.settings import ServiceSettings

MIB = 1024 * 1024
DEFAULT_BODY_LIMIT = ServiceSettings.model_fields["max_body_bytes"].default

# A valid body per service for a create route, so only the part under test is wrong.
CREATES: dict[str, tuple[str, dict[str, Any]]] = {
    "tasks": ("/api/v1/tasks", {"title": "t", "domain": "general"}),
    "portfolio": ("/api/v1/ppas", {"title": "p", "category": "oobc_ppa"}),
    "calendar": (
        "/api/v1/events",
        {
            "title": "e",
            "event_type": "meeting",
            "start": "2026-03-02T09:00:00+08:00",
            "end": "2026-03-02T10:00:00+08:00",
        },
    ),
}
# The text field of every create body, read back by GET <create path>/<id>.
TEXT_FIELD = "title"
# The services these body and text checks run on: those whose API creates records with
# text (the notifications service takes no text; its bodies pass the same app factory's
# limits, checked here on the others).
CREATING = list(CREATES)

LIST_OPERATIONS = [
    pytest.param(service, operation, id=f"{service} {operation.label}")
    for service in SERVICES
    for operation in operations(schema_app(service))
    if operation.method == "GET"
    and {p["name"] for p in operation.spec.get("parameters", [])} >= {"limit", "offset"}
]
TEXT_QUERY_PARAMETERS = [
    pytest.param(
        service,
        operation,
        parameter["name"],
        id=f"{service} {operation.label} ?{parameter['name']}",
    )
    for service in SERVICES
    for operation in operations(schema_app(service))
    if operation.method == "GET" and not operation.is_public
    for parameter in operation.spec.get("parameters", [])
    if parameter["in"] == "query" and "string" in json.dumps(parameter["schema"])
]
WINDOW_OPERATIONS = [
    pytest.param(service, operation, id=f"{service} {operation.label}")
    for service in SERVICES
    for operation in operations(schema_app(service))
    if {"start", "end"} <= {p["name"] for p in operation.spec.get("parameters", [])}
]
# Every form a page posts to (login and logout included), read from the gateway app.
PAGE_ACTIONS = [
    pytest.param(route, id=route.path)
    for route in api_routes(schema_app("gateway"))
    if "POST" in route.methods and not route.path.startswith("/api/")
]
GATEWAY_FEEDS = [
    "/api/v1/calendar/feed",
    "/api/v1/calendar/feed.ics",
    "/oobc-management/calendar/feed/json/",
    "/oobc-management/calendar/feed/ics/",
]
CENTURY = {"start": "2000-01-01", "end": "2099-12-31"}


def _error(response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


def _nested(depth: int) -> bytes:
    return b'{"title": ' + b"[" * depth + b"]" * depth + b"}"


@pytest.fixture(scope="module")
def gateway(gateway_client, gateway_users) -> tuple[TestClient, dict[str, str]]:
    """The module's gateway and its admin's bearer headers."""
    return gateway_client, gateway_users.admin


# --- body size ----------------------------------------------------------------------------


@pytest.mark.parametrize("service", CREATING)
def test_service_refuses_a_10_mib_body_with_413(service_clients, service, admin):
    path, body = CREATES[service]
    huge = json.dumps({**body, "description": "x" * (10 * MIB)})
    response = service_clients[service].post(
        path, content=huge, headers={**admin.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413, response.text[:300]
    error = _error(response)
    assert error["code"] == "payload_too_large"
    assert error["field"] == "body"
    assert f"{DEFAULT_BODY_LIMIT} bytes" in error["message"]


@pytest.mark.parametrize("service", CREATING)
def test_service_refuses_an_oversized_streamed_body_without_a_length(
    service_clients, service, admin
):
    """Chunked upload (no Content-Length): refused once the body passes the limit."""
    path, _ = CREATES[service]
    chunks = (
        b'{"description": "' + b"x" * (256 * 1024) if i == 0 else b"x" * (256 * 1024)
        for i in range(40)
    )
    response = service_clients[service].post(
        path, content=chunks, headers={**admin.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413, response.text[:300]
    assert _error(response)["code"] == "payload_too_large"


def test_the_body_limit_is_a_setting(make_service_app, admin):
    with TestClient(make_service_app("tasks", max_body_bytes=4096)) as client:
        path, body = CREATES["tasks"]
        small = client.post(path, json={**body, "description": "x" * 3000}, headers=admin.headers)
        large = client.post(path, json={**body, "description": "x" * 5000}, headers=admin.headers)
    assert small.status_code == 201, small.text
    assert large.status_code == 413
    assert "4096 bytes" in _error(large)["message"]


def test_gateway_refuses_a_10_mib_body_on_its_api_the_facade_and_a_form(gateway):
    client, admin = gateway
    huge = b"x" * (10 * MIB)
    api = client.post(
        "/api/v1/users", content=huge, headers={**admin, "Content-Type": "application/json"}
    )
    facade = client.post(
        "/api/v1/tasks", content=huge, headers={**admin, "Content-Type": "application/json"}
    )
    form = client.post(
        "/accounts/login/",
        content=b"username=admin&password=" + huge,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    for response in (api, facade):
        assert response.status_code == 413, response.text[:300]
        assert _error(response)["code"] == "payload_too_large"
    assert form.status_code == 413


# --- JSON shape ---------------------------------------------------------------------------


@pytest.mark.parametrize("service", CREATING)
def test_service_refuses_json_nested_10000_deep_with_422(service_clients, service, admin):
    path, _ = CREATES[service]
    response = service_clients[service].post(
        path, content=_nested(10_000), headers={**admin.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text[:300]
    assert _error(response)["field"] == "body"
    assert "nested too deeply" in _error(response)["message"]


def test_gateway_refuses_json_nested_10000_deep_with_422(gateway):
    client, admin = gateway
    headers = {**admin, "Content-Type": "application/json"}
    for path in ("/api/v1/users", "/api/v1/tasks"):
        response = client.post(path, content=_nested(10_000), headers=headers)
        assert response.status_code == 422, f"{path}: {response.text[:300]}"
        assert _error(response)["field"] == "body"


@pytest.mark.parametrize("service", CREATING)
def test_service_refuses_a_body_that_is_not_utf8_with_422(service_clients, service, admin):
    path, _ = CREATES[service]
    response = service_clients[service].post(
        path,
        content=b'{"title": "\xff\xfe"}',
        headers={**admin.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text[:300]
    assert _error(response)["message"] == "body: must be UTF-8 encoded JSON"


# --- pagination ---------------------------------------------------------------------------


@pytest.mark.parametrize(("service", "operation"), LIST_OPERATIONS)
def test_huge_pagination_is_refused_naming_the_parameter(
    service_clients, service, operation, admin
):
    client = service_clients[service]
    for name, value in (("limit", 10**9), ("offset", 10**12), ("limit", 0), ("offset", -1)):
        response = client.get(operation.url(), params={name: value}, headers=admin.headers)
        assert response.status_code == 422, f"{name}={value}: {response.text[:300]}"
        assert _error(response)["field"] == name
        assert _error(response)["message"].startswith(f"{name}: ")


def test_gateway_user_list_refuses_huge_pagination(gateway):
    client, admin = gateway
    for name, value in (("limit", 10**9), ("offset", 10**12)):
        response = client.get("/api/v1/users", params={name: value}, headers=admin)
        assert response.status_code == 422, response.text[:300]
        assert _error(response)["field"] == name


# --- text: NUL, unicode, SQL --------------------------------------------------------------


@pytest.mark.parametrize("service", CREATING)
def test_nul_in_a_body_field_is_422_naming_it(service_clients, service, admin):
    path, body = CREATES[service]
    field = TEXT_FIELD
    response = service_clients[service].post(
        path, json={**body, field: "before\u0000after"}, headers=admin.headers
    )
    assert response.status_code == 422, response.text[:300]
    assert _error(response)["field"] == field


@pytest.mark.parametrize(("service", "operation", "name"), TEXT_QUERY_PARAMETERS)
def test_nul_in_a_query_parameter_is_422_naming_it(
    service_clients, service, operation, name, admin
):
    # A window parameter comes with its valid partner: one alone is an error of its own.
    partner = {"start": {"end": "2026-04-01"}, "end": {"start": "2026-03-01"}}.get(name, {})
    response = service_clients[service].get(
        operation.url(), params={name: "a\u0000b", **partner}, headers=admin.headers
    )
    assert response.status_code == 422, f"?{name}: {response.status_code} {response.text[:300]}"
    assert _error(response)["field"] == name, response.text


@pytest.mark.parametrize("service", CREATING)
def test_nul_in_a_path_is_a_4xx(service_clients, service, admin):
    path, _ = CREATES[service]
    response = service_clients[service].get(f"{path}/a%00b", headers=admin.headers)
    assert 400 <= response.status_code < 500, response.text[:300]


TRICKY_TEXT = [
    pytest.param("Plan 📅🇵🇭 — review 👩🏽‍💻", id="emoji"),
    pytest.param("خطة العمل السنوية", id="arabic RTL"),
    pytest.param("\u202etxt.exe\u202c and עברית", id="RTL override and hebrew"),
    pytest.param("Robert'); DROP TABLE tasks;--", id="SQL injection"),
    pytest.param("' OR '1'='1' -- ; SELECT pg_sleep(10)", id="SQL tautology"),
    pytest.param("100% of _all_ \\ back\\slash", id="LIKE wildcards"),
]


@pytest.mark.parametrize("text", TRICKY_TEXT)
@pytest.mark.parametrize("service", CREATING)
def test_odd_text_is_stored_and_returned_verbatim(service_clients, service, text, admin):
    client = service_clients[service]
    path, body = CREATES[service]
    field = TEXT_FIELD
    created = client.post(path, json={**body, field: text}, headers=admin.headers)
    assert created.status_code == 201, created.text[:300]
    assert created.json()[field] == text
    fetched = client.get(f"{path}/{created.json()['id']}", headers=admin.headers)
    assert fetched.json()[field] == text


@pytest.mark.parametrize("text", TRICKY_TEXT)
@pytest.mark.parametrize("service", CREATING)
def test_odd_text_in_a_search_finds_exactly_what_contains_it(service_clients, service, text, admin):
    client = service_clients[service]
    path, body = CREATES[service]
    field = TEXT_FIELD
    marker = f"{text} {service}-search"
    client.post(path, json={**body, field: marker}, headers=admin.headers)
    client.post(path, json={**body, field: f"unrelated {service}-search"}, headers=admin.headers)
    found = client.get(path, params={"q": text}, headers=admin.headers)
    assert found.status_code == 200, found.text[:300]
    titles = [item[field] for item in found.json()["items"]]
    assert marker in titles
    assert all(text in title for title in titles), titles


# --- feed windows -------------------------------------------------------------------------


@pytest.mark.parametrize(("service", "operation"), WINDOW_OPERATIONS)
def test_service_refuses_a_century_long_window_naming_end(
    service_clients, service, operation, admin
):
    response = service_clients[service].get(operation.url(), params=CENTURY, headers=admin.headers)
    assert response.status_code == 422, response.text[:300]
    assert _error(response)["field"] == "end"
    assert f"at most {MAX_WINDOW_DAYS} days" in _error(response)["message"]


@pytest.mark.parametrize(("service", "operation"), WINDOW_OPERATIONS)
def test_service_refuses_a_window_far_in_the_past_or_future_naming_it(
    service_clients, service, operation, admin
):
    client = service_clients[service]
    for params, field in (
        ({"start": "0001-01-01", "end": "0001-02-01"}, "start"),
        ({"start": "2026-01-01", "end": "9999-12-31"}, "end"),
        ({"start": "yesterday", "end": "2026-01-01"}, "start"),
    ):
        response = client.get(operation.url(), params=params, headers=admin.headers)
        assert response.status_code == 422, f"{params}: {response.text[:300]}"
        assert _error(response)["field"] == field


def test_the_feed_window_limit_is_a_setting(make_service_app, admin):
    with TestClient(make_service_app("calendar", max_feed_window_days=31)) as client:
        month = client.get(
            "/api/v1/feed",
            params={"start": "2026-03-01", "end": "2026-04-01"},
            headers=admin.headers,
        )
        longer = client.get(
            "/api/v1/feed",
            params={"start": "2026-03-01", "end": "2026-04-02"},
            headers=admin.headers,
        )
    assert month.status_code == 200, month.text
    assert longer.status_code == 422
    assert "at most 31 days" in _error(longer)["message"]


@pytest.mark.parametrize("path", GATEWAY_FEEDS)
def test_gateway_feed_refuses_a_century_long_window_naming_end(gateway, path):
    client, admin = gateway
    response = client.get(path, params=CENTURY, headers=admin)
    assert 400 <= response.status_code < 500, response.text[:300]
    assert _error(response)["field"] == "end"
    assert f"at most {MAX_WINDOW_DAYS} days" in _error(response)["message"]


def _daily_series(client: TestClient, admin: dict[str, str], count: int) -> None:
    """A daily series in March 2041 (no other test uses that month), through the facade."""
    response = client.post(
        "/api/v1/events",
        json={
            **CREATES["calendar"][1],
            "start": "2041-03-04T09:00:00+08:00",
            "end": "2041-03-04T10:00:00+08:00",
            "recurrence": {"freq": "daily", "count": count},
        },
        headers=admin,
    )
    assert response.status_code == 201, response.text


MARCH_2041 = {"start": "2041-03-01", "end": "2041-04-01", "modules": "coordination"}


def test_the_gateway_feed_holds_at_most_its_entry_cap_and_says_so(make_gateway_client):
    with make_gateway_client(max_feed_entries=5) as client:
        admin = token_for(client, "admin", ADMIN_PASSWORD)
        _daily_series(client, admin, 8)
        response = client.get("/api/v1/calendar/feed", params=MARCH_2041, headers=admin)
        ics = client.get("/api/v1/calendar/feed.ics", params=MARCH_2041, headers=admin)
        week = client.get(
            "/api/v1/calendar/feed",
            params={**MARCH_2041, "end": "2041-03-06"},
            headers=admin,
        )
    assert response.status_code == 200, response.text[:300]
    body = response.json()
    assert (body["truncated"], body["entry_limit"]) == (True, 5)
    assert [entry["start"][:10] for entry in body["events"]] == [
        f"2041-03-{day:02d}" for day in range(4, 9)
    ]  # the earliest five
    for answer in (response, ics):
        assert answer.headers["X-Feed-Truncated"] == "true"
        assert answer.headers["X-Feed-Limit"] == "5"
    assert ics.text.count("BEGIN:VEVENT") == 5
    assert (week.json()["truncated"], len(week.json()["events"])) == (False, 2)
    assert week.headers["X-Feed-Truncated"] == "false"


def test_a_source_cut_short_at_its_own_cap_makes_the_gateway_feed_say_truncated(
    make_service_app, make_gateway_client
):
    with (
        served(make_service_app("calendar", max_feed_entries=3)) as calendar,
        make_gateway_client(calendar_url=calendar.url) as client,
    ):
        admin = token_for(client, "admin", ADMIN_PASSWORD)
        _daily_series(client, admin, 8)
        response = client.get("/api/v1/calendar/feed", params=MARCH_2041, headers=admin)
    body = response.json()
    assert body["sources"]["calendar"] == "ok"
    assert len(body["events"]) == 3
    assert (body["truncated"], body["entry_limit"]) == (True, 5000)
    assert response.headers["X-Feed-Truncated"] == "true"


def test_gateway_refuses_nul_in_a_new_user_naming_the_field(gateway):
    client, admin = gateway
    for field in ("username", "full_name"):
        body = {"username": "nul-user", "password": "long-enough-password", field: "a\u0000b"}
        response = client.post("/api/v1/users", json=body, headers=admin)
        assert response.status_code == 422, response.text[:300]
        assert _error(response)["field"] == field


@pytest.mark.parametrize("path", ["/api/v1/auth/token", "/accounts/login/"])
def test_gateway_login_with_nul_in_the_credentials_is_refused_not_a_500(gateway, path):
    client, _ = gateway
    client.cookies.clear()
    for credentials in (
        {"username": "ad\u0000min", "password": "whatever"},
        {"username": "admin", "password": "pass\u0000word"},
    ):
        response = client.post(path, data=credentials)
        assert response.status_code in {401, 422}, f"{credentials}: {response.text[:300]}"


def test_gateway_forwards_an_odd_path_as_sent(gateway):
    """The facade passes the path on still percent-encoded: the service sees the value the
    caller sent (and refuses it) instead of the gateway failing on it."""
    client, admin = gateway
    control = client.get("/api/v1/tasks/%15%5B%0D", headers=admin)
    assert control.status_code == 422, control.text[:300]
    assert _error(control)["field"] == "task_id"
    for path, name in (
        ("/api/v1/task-templates/%C3%89k%C3%B6%15", "Ékö\u0015"),  # non-ASCII and a control
        ("/api/v1/task-templates/abc%3Flimit=1", "abc?limit=1"),  # an encoded '?' stays
    ):
        response = client.get(path, headers=admin)
        assert response.status_code == 404, response.text[:300]
        assert _error(response)["message"] == f"task template {name} not found"


# --- page forms ---------------------------------------------------------------------------


def _multipart(**fields: str) -> dict[str, tuple[None, str]]:
    """`files=` of a multipart form with these plain fields (what a browser sends for a
    form with enctype="multipart/form-data")."""
    return {name: (None, value) for name, value in fields.items()}


@pytest.fixture(scope="module")
def page_client(make_gateway_client) -> Iterator[TestClient]:
    """A gateway of its own for these browser sessions (the module's keeps no cookies)."""
    with make_gateway_client() as client:
        yield client


def _signed_in_again(client: TestClient) -> str:
    """A fresh admin session on `client`; its CSRF token."""
    client.cookies.clear()
    signed_in(client, "admin", ADMIN_PASSWORD)
    token: str = client.cookies["csrftoken"]
    return token


def test_the_page_actions_include_every_section():
    paths = {param.values[0].path for param in PAGE_ACTIONS}
    assert "/oobc-management/staff/tasks/create/" in paths
    assert "/oobc-management/staff/leave/create/" in paths
    assert "/oobc-management/resources/bookings/create/" in paths
    assert len(paths) > 20


@pytest.mark.parametrize("route", PAGE_ACTIONS)
def test_a_page_action_posted_as_multipart_is_answered_like_the_url_encoded_form(
    page_client, route
):
    """Multipart, with the CSRF token in the form or the header, gets the url-encoded form's
    answer (a 4xx for these incomplete forms, never a 500); without a token, 403."""
    client, path, form = page_client, concrete(route), {"title": "Multipart form"}
    answers = {}
    token = _signed_in_again(client)
    answers["url-encoded"] = client.post(path, data={**form, "csrftoken": token})
    token = _signed_in_again(client)
    answers["multipart"] = client.post(path, files=_multipart(**form, csrftoken=token))
    token = _signed_in_again(client)
    answers["multipart, token in the header"] = client.post(
        path, files=_multipart(**form), headers={"X-CSRFToken": token}
    )
    _signed_in_again(client)
    answers["multipart, no token"] = client.post(path, files=_multipart(**form))
    statuses = {how: response.status_code for how, response in answers.items()}
    expected = answers["url-encoded"].status_code
    assert expected < 500, statuses
    assert statuses == {
        "url-encoded": expected,
        "multipart": expected,
        "multipart, token in the header": expected,
        "multipart, no token": 403,
    }
    assert "CSRF verification failed" in answers["multipart, no token"].text


def test_a_task_created_from_a_multipart_form_has_its_fields(page_client):
    client = page_client
    client.cookies.clear()
    admin = token_for(client, "admin", ADMIN_PASSWORD)
    token = _signed_in_again(client)
    title = "Multipart task 📅"
    response = client.post(
        "/oobc-management/staff/tasks/create/",
        files=_multipart(
            title=title, domain="mana", status="not_started", priority="high", csrftoken=token
        ),
    )
    assert response.status_code == 303, response.text[:300]
    client.cookies.clear()
    found = client.get("/api/v1/tasks", params={"q": title}, headers=admin).json()["items"]
    assert [(task["title"], task["domain"], task["priority"]) for task in found] == [
        (title, "mana", "high")
    ]


@pytest.mark.parametrize(
    ("body", "content_type", "field"),
    [
        pytest.param(b"--x--", "multipart/form-data", "body", id="multipart without boundary"),
        pytest.param(
            b'--x\r\nContent-Disposition: form-data; name="report"; filename="a.txt"\r\n\r\n'
            b"data\r\n--x--\r\n",
            "multipart/form-data;boundary=x",
            "report",
            id="a file part",
        ),
        pytest.param(b"title=caf\xe9", "application/x-www-form-urlencoded", "body", id="not UTF-8"),
    ],
)
def test_a_page_form_that_cannot_be_read_is_422_naming_it(page_client, body, content_type, field):
    for with_token in (False, True):
        token = _signed_in_again(page_client)
        headers = {"Content-Type": content_type, **({"X-CSRFToken": token} if with_token else {})}
        response = page_client.post(
            "/oobc-management/staff/tasks/create/", content=body, headers=headers
        )
        assert response.status_code == 422, f"{with_token}: {response.text[:300]}"
        assert _error(response)["field"] == field
