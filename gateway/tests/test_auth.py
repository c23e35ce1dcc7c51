"""Login, sessions, logout, throttling, CSRF, bearer tokens and roles, over real HTTP."""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Callable

from gateway_helpers import (
    ADMIN_PASSWORD,
    USER_PASSWORD,
    create_user,
    csrf_header,
    login,
    session_works,
    token_for,
)
from sqlalchemy import create_engine, update

from gateway_service.users.models import User
from obcms_platform.db import normalise_url

TASKS_CREATE = "/oobc-management/staff/tasks/create/"
TASK_FORM = {"title": "CSRF probe", "domain": "general", "status": "not_started"}


def test_login_page_renders_a_form_with_a_csrf_token(make_client):
    client = make_client()
    page = client.get("/accounts/login/?next=/oobc-management/staff/tasks/")
    assert page.status_code == 200
    assert 'name="username"' in page.text
    assert 'name="password"' in page.text
    token = client.cookies["csrftoken"]
    assert f'name="csrftoken" value="{token}"' in page.text
    assert 'value="/oobc-management/staff/tasks/"' in page.text


def test_login_sets_an_http_only_session_and_a_csrf_cookie(make_client):
    client = make_client()
    response = login(client, "admin", ADMIN_PASSWORD, next="/oobc-management/staff/tasks/")
    assert response.status_code == 303
    assert response.headers["location"] == "/oobc-management/staff/tasks/"
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("sessionid="))
    assert "HttpOnly" in session
    assert "SameSite=lax" in session
    assert "Path=/" in session
    assert "Secure" not in session  # test mode: plain-HTTP localhost
    assert any(c.startswith("csrftoken=") for c in cookies)
    me = client.get("/api/v1/users/me")
    assert me.status_code == 200
    assert me.json()["username"] == "admin"
    assert me.json()["role"] == "admin"


def test_login_refuses_an_open_redirect(make_client):
    response = login(make_client(), "admin", ADMIN_PASSWORD, next="//evil.example/")
    assert response.headers["location"] == "/"


def test_wrong_password_and_unknown_user_are_refused_alike(make_client):
    client = make_client()
    for username in ("admin", f"nobody-{uuid.uuid4().hex}"):
        response = login(client, username, "wrong-password")
        assert response.status_code == 401
        assert "Please enter a correct username and password." in response.text
        assert "sessionid" not in client.cookies
    # The failed attempts count against the throttle of each username only.
    assert login(make_client(), "admin", ADMIN_PASSWORD).status_code == 303


def test_five_failures_throttle_the_username_from_that_address(make_client, admin_headers):
    user = create_user(make_client(), admin_headers)
    client = make_client()
    for _ in range(5):
        assert login(client, user["username"], "wrong-password").status_code == 401
    blocked = login(client, user["username"], USER_PASSWORD)
    assert blocked.status_code == 429
    assert "Too many failed login attempts" in blocked.text
    assert int(blocked.headers["retry-after"]) > 0
    token = client.post(
        "/api/v1/auth/token", data={"username": user["username"], "password": USER_PASSWORD}
    )
    assert token.status_code == 429
    assert token.json()["error"]["code"] == "too_many_attempts"
    # Another account from the same address is not affected.
    other = create_user(make_client(), admin_headers)
    assert login(make_client(), other["username"], USER_PASSWORD).status_code == 303


def test_a_successful_login_resets_the_failure_count(make_client, admin_headers):
    user = create_user(make_client(), admin_headers)
    client = make_client()
    for _ in range(4):
        login(client, user["username"], "wrong-password")
    assert login(client, user["username"], USER_PASSWORD).status_code == 303
    for _ in range(4):
        assert login(make_client(), user["username"], "wrong").status_code == 401
    assert login(make_client(), user["username"], USER_PASSWORD).status_code == 303


def test_login_rotates_the_session_id(make_client):
    client = make_client()
    login(client, "admin", ADMIN_PASSWORD)
    first = client.cookies["sessionid"]
    # The browser sends the old session id along (and so the form's CSRF token).
    login(client, "admin", ADMIN_PASSWORD, csrftoken=client.cookies["csrftoken"])
    second = client.cookies["sessionid"]
    assert first != second
    assert not session_works(make_client(), first)
    assert client.get("/api/v1/users/me").status_code == 200


def test_logout_ends_the_session(make_client):
    client = make_client()
    login(client, "admin", ADMIN_PASSWORD)
    session_id = client.cookies["sessionid"]
    response = client.post("/accounts/logout/", headers=csrf_header(client))
    assert response.status_code == 303
    assert response.headers["location"] == "/accounts/login/"
    replay = make_client()
    replay.cookies.set("sessionid", session_id)
    assert replay.get("/api/v1/users/me").status_code == 401
    assert replay.get("/oobc-management/staff/tasks/").status_code == 303


def test_csrf_refuses_an_unsafe_session_request_without_the_token(make_client):
    client = make_client()
    login(client, "admin", ADMIN_PASSWORD)
    page = client.post(TASKS_CREATE, data=TASK_FORM)
    assert page.status_code == 403
    assert "CSRF" in page.text
    api = client.post("/api/v1/tasks", json={"title": "no token"})
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "csrf_failed"
    wrong = client.post("/api/v1/tasks", json={"title": "bad"}, headers={"X-CSRFToken": "forged"})
    assert wrong.status_code == 403
    logout = client.post("/accounts/logout/")
    assert logout.status_code == 403


def test_csrf_accepts_the_header_or_the_form_field(make_client):
    client = make_client()
    login(client, "admin", ADMIN_PASSWORD)
    token = client.cookies["csrftoken"]
    with_header = client.post(TASKS_CREATE, data=TASK_FORM, headers={"X-CSRFToken": token})
    assert with_header.status_code == 303
    with_field = client.post(TASKS_CREATE, data={**TASK_FORM, "csrftoken": token})
    assert with_field.status_code == 303
    api = client.post(
        "/api/v1/tasks", json={"title": "session + header"}, headers=csrf_header(client)
    )
    assert api.status_code == 201, api.text


def test_bearer_token_flow_is_exempt_from_csrf(make_client, staff):
    client = make_client()
    client.cookies.set("sessionid", "not-a-session")
    me = client.get("/api/v1/users/me", headers=staff["headers"])
    assert me.status_code == 200
    assert me.json()["username"] == staff["username"]
    created = client.post("/api/v1/tasks", json={"title": "via token"}, headers=staff["headers"])
    assert created.status_code == 201, created.text


def test_token_endpoint_answers_the_documented_shape(make_client):
    response = make_client().post(
        "/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert len(body["access_token"]) >= 40
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert make_client().get("/api/v1/users/me", headers=headers).status_code == 200
    assert make_client().delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert make_client().get("/api/v1/users/me", headers=headers).status_code == 401
    bad = make_client().post("/api/v1/auth/token", data={"username": "admin", "password": "x"})
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "unauthorized"


def test_api_without_or_with_bad_credentials_is_401(make_client):
    client = make_client()
    for path in ("/api/v1/tasks", "/api/v1/users/me", "/api/v1/ppas", "/api/v1/admin/maintenance"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "unauthorized"
    forged = client.get("/api/v1/tasks", headers={"Authorization": "Bearer forged"})
    assert forged.status_code == 401
    assert "invalid or expired" in forged.json()["error"]["message"]


def test_pages_redirect_anonymous_people_to_the_login_form(make_client):
    response = make_client().get("/oobc-management/staff/tasks/?status=completed")
    assert response.status_code == 303
    assert response.headers["location"] == (
        "/accounts/login/?next=/oobc-management/staff/tasks/%3Fstatus%3Dcompleted"
    )


def test_admin_creates_and_lists_users_and_staff_is_forbidden(make_client, admin_headers, staff):
    client = make_client()
    listing = client.get("/api/v1/users", headers=admin_headers, params={"limit": 500})
    assert listing.status_code == 200
    assert staff["username"] in {user["username"] for user in listing.json()["items"]}
    for method, path in (
        ("GET", "/api/v1/users"),
        ("POST", "/api/v1/users"),
        ("GET", "/api/v1/admin/maintenance"),
        ("PUT", "/api/v1/admin/maintenance"),
    ):
        response = client.request(method, path, headers=staff["headers"], json={"enabled": False})
        assert response.status_code == 403, (method, path)
        assert response.json()["error"]["code"] == "forbidden"


def test_user_creation_validates_and_refuses_duplicates(make_client, admin_headers, staff):
    client = make_client()
    duplicate = client.post(
        "/api/v1/users",
        json={"username": staff["username"], "password": USER_PASSWORD},
        headers=admin_headers,
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["field"] == "username"
    short = client.post(
        "/api/v1/users",
        json={"username": f"u{uuid.uuid4().hex[:8]}", "password": "short"},
        headers=admin_headers,
    )
    assert short.status_code == 422
    assert short.json()["error"]["field"] == "password"
    bad_role = client.post(
        "/api/v1/users",
        json={"username": "x1", "password": USER_PASSWORD, "role": "root"},
        headers=admin_headers,
    )
    assert bad_role.status_code == 422
    assert bad_role.json()["error"]["field"] == "role"


def test_manager_logs_in_with_a_session_and_gets_the_manager_role(make_client, admin_headers):
    manager = create_user(make_client(), admin_headers, "manager")
    client = make_client()
    assert login(client, manager["username"], USER_PASSWORD).status_code == 303
    assert client.get("/api/v1/users/me").json()["role"] == "manager"
    headers = token_for(make_client(), manager["username"], USER_PASSWORD)
    assert make_client().get("/api/v1/users", headers=headers).status_code == 403


def _set_user(database_url: str, user_id: str, **values: object) -> None:
    engine = create_engine(normalise_url(database_url))
    with engine.begin() as connection:
        connection.execute(update(User).where(User.id == uuid.UUID(user_id)).values(**values))
    engine.dispose()


def _new_staff(client) -> tuple[dict[str, str], Callable[..., None]]:
    """A new staff member's headers, and a function changing their row in the database."""
    user = create_user(client, token_for(client, "admin", ADMIN_PASSWORD), "staff")
    headers = token_for(client, user["username"], USER_PASSWORD)
    return headers, functools.partial(_set_user, client.app.state.settings.database_url, user["id"])


def test_a_deactivated_user_is_refused_once_the_identity_cache_expires(in_process):
    client = in_process(identity_cache_seconds=1)
    headers, change = _new_staff(client)
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    change(is_active=False)
    # Within the cache time the resolved user is reused (no database read per request) ...
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    time.sleep(1.2)
    # ... after it the deactivation applies, and it is not cached as a refusal either.
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401
    change(is_active=True)
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200


def test_without_the_identity_cache_a_role_change_applies_to_the_next_request(in_process):
    client = in_process(identity_cache_seconds=0)
    headers, change = _new_staff(client)
    team = {"name": f"Team {uuid.uuid4().hex[:8]}"}
    assert client.get("/api/v1/users", headers=headers).status_code == 403
    assert client.post("/api/v1/teams", json=team, headers=headers).status_code == 403
    change(role="manager")
    assert client.get("/api/v1/users/me", headers=headers).json()["role"] == "manager"
    # The service sees the new role too: the internal token is not reused across roles.
    assert client.post("/api/v1/teams", json=team, headers=headers).status_code == 201
    change(is_active=False)
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401
