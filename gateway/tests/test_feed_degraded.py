"""A stopped, failing or silent service degrades the feed (200, `sources` says which), never
fails it or makes it hang."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from feed_helpers import FEED, PAGE_FEED
from gateway_helpers import ADMIN_PASSWORD, served
from starlette.testclient import TestClient

from obcms_platform.settings import RunMode
from obcms_platform.testing import PostgresServer, ServiceDatabases
from portfolio_service.app import create_app as create_portfolio_app
from portfolio_service.settings import PortfolioSettings

WINDOW = {"start": "2031-05-01", "end": "2031-06-01"}


@pytest.fixture(scope="module")
def stopped_portfolio(postgres_server: PostgresServer, redis_url: str) -> str:
    """The URL of a real portfolio service that has been stopped."""
    url = ServiceDatabases(postgres_server, "portfolio_service").fresh()
    settings = PortfolioSettings(database_url=url, redis_url=redis_url, mode=RunMode.TEST)
    with served(create_portfolio_app(settings)) as server:
        address = server.url
    return address


@pytest.fixture(scope="module")
def silent_backend() -> Iterator[str]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


@pytest.fixture(scope="module")
def failing_backend() -> Iterator[str]:
    """A service whose feed answers 500."""
    app = FastAPI()

    @app.get("/api/v1/feed")
    def feed() -> JSONResponse:
        return JSONResponse({"error": {"code": "internal", "message": "boom"}}, status_code=500)

    with served(app) as server:
        yield server.url


def _signed_in(client: TestClient) -> TestClient:
    response = client.post(
        "/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200, response.text
    client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return client


def test_a_stopped_service_gives_the_other_modules_and_error(
    in_process: Callable[..., TestClient], calendar_backend: str, stopped_portfolio: str
):
    client = _signed_in(in_process(calendar_url=calendar_backend, portfolio_url=stopped_portfolio))
    for _ in range(2):  # a failed part is never cached
        response = client.get(FEED, params=WINDOW)
        assert response.status_code == 200
        payload = response.json()
        assert payload["sources"] == {"calendar": "ok", "tasks": "ok", "portfolio": "error"}
        assert payload["modules"] == ["coordination", "mana", "planning", "resources", "staff"]
        modules = {entry["extendedProps"]["module"] for entry in payload["events"]}
        assert not modules & {"planning", "mana"}
        assert payload["module_stats"]["planning"]["total"] == 0
    only_portfolio = client.get(FEED, params={**WINDOW, "modules": "planning"})
    assert only_portfolio.status_code == 200
    assert only_portfolio.json()["events"] == []
    assert only_portfolio.json()["sources"]["portfolio"] == "error"


def test_a_service_that_never_answers_gives_timeout(
    in_process: Callable[..., TestClient], calendar_backend: str, silent_backend: str
):
    client = _signed_in(
        in_process(
            calendar_url=calendar_backend,
            portfolio_url=silent_backend,
            portfolio_feed_timeout_seconds=1,
        )
    )
    response = client.get(PAGE_FEED, params=WINDOW)
    assert response.status_code == 200
    payload = response.json()
    assert payload["sources"] == {"calendar": "ok", "tasks": "ok", "portfolio": "timeout"}
    # The ICS feed degrades the same way.
    assert client.get(f"{FEED}.ics", params=WINDOW).status_code == 200


def test_a_failing_or_undeployed_service_gives_error(
    in_process: Callable[..., TestClient], failing_backend: str
):
    client = _signed_in(in_process(calendar_url="", tasks_url=failing_backend))
    response = client.get(FEED, params=WINDOW)
    assert response.status_code == 200
    assert response.json()["sources"] == {
        "calendar": "error",
        "tasks": "error",
        "portfolio": "ok",
    }


MALFORMED_BODIES = {
    "not JSON": b"<html>proxy error</html>",
    "no events": b'{"start": "2031-05-01"}',
    "events not a list": b'{"events": {"id": "task-1"}}',
    "entry without start": b'{"events": [{"id": "task-1", "extendedProps": {}}]}',
    "start not a date": b'{"events": [{"id": "task-1", "start": "May", "extendedProps": {}}]}',
    "id not a string": b'{"events": [{"id": 1, "start": "2031-05-02", "extendedProps": {}}]}',
}


@pytest.fixture(scope="module")
def malformed_backend() -> Iterator[tuple[str, dict[str, bytes]]]:
    """A service whose feed answers 200 with the body in ``serving["body"]``."""
    serving = {"body": b""}
    app = FastAPI()

    @app.get("/api/v1/feed")
    def feed() -> Response:
        return Response(serving["body"], media_type="application/json")

    with served(app) as server:
        yield server.url, serving


@pytest.mark.parametrize("body", MALFORMED_BODIES.values(), ids=MALFORMED_BODIES.keys())
def test_a_service_answering_a_malformed_feed_gives_error(
    in_process: Callable[..., TestClient],
    calendar_backend: str,
    malformed_backend: tuple[str, dict[str, bytes]],
    body: bytes,
):
    url, serving = malformed_backend
    serving["body"] = body
    client = _signed_in(in_process(calendar_url=calendar_backend, tasks_url=url))
    response = client.get(FEED, params=WINDOW)
    assert response.status_code == 200
    payload = response.json()
    assert payload["sources"] == {"calendar": "ok", "tasks": "error", "portfolio": "ok"}
    assert not [entry for entry in payload["events"] if entry["id"] == "task-1"]
