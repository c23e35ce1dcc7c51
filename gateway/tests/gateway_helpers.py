"""Helpers of the gateway tests (imported by conftest and the test modules)."""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect

from gateway_service.settings import GatewaySettings
from obcms_platform.cli import SERVICE_KEEP_ALIVE_SECONDS
from obcms_platform.devstack.embedded import free_port
from obcms_platform.settings import RunMode
from obcms_platform.testing.auth import new_key_pair
from obcms_platform.testing.axe import serious_violations, summary
from obcms_platform.testing.browser import new_context

ADMIN_PASSWORD = "admin-password-for-tests"
USER_PASSWORD = "user-password-for-tests"
LOGIN = "/accounts/login/"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
HOST = "obcms.example.org"  # the public host of the production settings


@cache
def real_keys() -> tuple[str, str]:
    """A real Ed25519 key pair (PEM: private, public), not the dev one check-deploy refuses;
    one for the whole session."""
    return new_key_pair()


def production(**overrides: Any) -> dict[str, Any]:
    """Settings that pass check-deploy (as the chart runs the gateway), with `overrides`."""
    private, public = real_keys()
    values: dict[str, Any] = {
        "mode": RunMode.PRODUCTION,
        "internal_token_private_key": private,
        "internal_token_public_key": public,
        "secret_key": secrets.token_urlsafe(48),
        "unsubscribe_secret": secrets.token_urlsafe(48),
        "allowed_hosts": [HOST],
        "argon2_time_cost": 2,
        "argon2_memory_cost_kib": 19_456,
        "argon2_parallelism": 1,
    }
    values.update(overrides)
    return values


class ServedApp:
    """An ASGI app served by uvicorn in a background thread on a free port."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # Served as `obcms_platform.cli` serves it: with uvicorn's 5 s keep-alive the gateway
        # now and then sent a page's request on a connection the service was closing (503).
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_config=None,
            access_log=False,
            timeout_keep_alive=SERVICE_KEEP_ALIVE_SECONDS,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> ServedApp:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


@contextlib.contextmanager
def served(app: FastAPI) -> Iterator[ServedApp]:
    server = ServedApp(app).start()
    try:
        yield server
    finally:
        server.stop()


def login(client: httpx.Client, username: str, password: str, **extra: str) -> httpx.Response:
    """The login form as a browser uses it: the page (csrftoken cookie), then the POST with
    the form's csrftoken field."""
    client.get(LOGIN)
    form = {"username": username, "password": password, "csrftoken": client.cookies["csrftoken"]}
    return client.post(LOGIN, data={**form, **extra})


def ok(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    """The answer's JSON body, once its status is `status` (else the failure shows the body)."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def post(client: httpx.Client, headers: dict[str, str], path: str, json: Any) -> dict[str, Any]:
    """The record created by POSTing `json` to the API's `path` (a 201 is required)."""
    return ok(client.post(f"/api/v1{path}", json=json, headers=headers))


def token_for(client: httpx.Client, username: str, password: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def create_user(
    client: httpx.Client,
    admin_headers: dict[str, str],
    role: str = "staff",
    full_name: str | None = None,
) -> dict[str, Any]:
    body = {"username": f"{role}-{uuid.uuid4().hex[:10]}", "password": USER_PASSWORD, "role": role}
    if full_name is not None:
        body["full_name"] = full_name
    return post(client, admin_headers, "/users", body)


def person(
    client: httpx.Client, admin_headers: dict[str, str], role: str, full_name: str
) -> dict[str, Any]:
    """A new user with a full name, and their API headers (`headers`)."""
    user = create_user(client, admin_headers, role, full_name)
    return {**user, "headers": token_for(client, user["username"], USER_PASSWORD)}


def csrf_header(client: httpx.Client) -> dict[str, str]:
    return {"X-CSRFToken": client.cookies["csrftoken"]}


def state_file(settings: GatewaySettings) -> Path:
    return Path(settings.state_dir) / "admin_password"


def submit(client: httpx.Client, path: str, data: dict[str, Any] | None = None) -> httpx.Response:
    """A page form POST carrying the CSRF form field, as a browser sends it."""
    return client.post(path, data={**(data or {}), "csrftoken": client.cookies["csrftoken"]})


def session_works(client: httpx.Client, session_id: str) -> bool:
    """Whether the browser session `session_id` is signed in (the client's jar is restored)."""
    cookies = dict(client.cookies)
    client.cookies.clear()
    client.cookies.set("sessionid", session_id)
    try:
        response = client.get("/api/v1/users/me")
    finally:
        client.cookies.clear()
        client.cookies.update(cookies)
    assert response.status_code in {200, 401}, response.text
    return response.status_code == 200


def signed_in(client: httpx.Client, username: str, password: str = USER_PASSWORD) -> httpx.Client:
    response = login(client, username, password)
    assert response.status_code == 303, response.text
    return client


def signed_in_page(
    browser: Browser,
    base_url: str,
    username: str,
    password: str,
    viewport: dict[str, int],
    errors: list[str] | None = None,
    **context_options: Any,
) -> Page:
    """A page of a new browser context signed in through the login form, on "My work". With
    `errors`, the page's uncaught script errors are appended to it (from before the login)."""
    context = new_context(browser, base_url=base_url, viewport=viewport, **context_options)
    page = context.new_page()
    if errors is not None:
        page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(LOGIN)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My work", exact=True)).to_be_visible()
    return page


@contextlib.contextmanager
def browser_session(
    browser: Browser,
    base_url: str,
    username: str,
    password: str,
    viewport: dict[str, int],
    **context_options: Any,
) -> Iterator[Page]:
    """A signed-in page (see `signed_in_page`); its context is closed at the end, and then no
    script error may have happened on it."""
    errors: list[str] = []
    page = signed_in_page(
        browser, base_url, username, password, viewport, errors, **context_options
    )
    yield page
    page.context.close()
    assert errors == [], errors


def check_page(page: Page, name: str) -> None:
    """axe at desktop and phone widths, no sideways scroll at 390 px, and a screenshot of
    each (`SCREENSHOTS/<name>-desktop.png`...)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        found = serious_violations(page)
        assert found == [], f"{name} {size}: " + summary(found)
        page.screenshot(path=SCREENSHOTS / f"{name}-{size}.png", full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} {size}: {overflow} px of horizontal scroll"
    page.set_viewport_size(DESKTOP)


class _VisibleText(HTMLParser):
    """The text a browser shows: outside tags (attributes), scripts and styles."""

    HIDDEN = frozenset({"script", "style", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self._hidden_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self._hidden_depth:
            self._hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())
