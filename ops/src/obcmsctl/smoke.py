"""``obcmsctl smoke``: the deployment guide's post-deployment smoke tests, over HTTP.

1. login: the login form answers with a redirect and a ``sessionid`` cookie;
2. calendar: the calendar page loads and the JSON feed has its ``events`` list and every
   source ``ok``;
3. tasks: a task created through the form (``X-CSRFToken`` from the ``csrftoken`` cookie)
   shows in the task list (the task stays: it is the guide's "Test Task");
4. health: ``/health/`` answers 200 ``healthy``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
import typer

from obcmsctl.output import report_outcomes

LOGIN = "/accounts/login/"
CALENDAR_PAGE = "/oobc-management/staff/calendar/"
FEED_JSON = "/oobc-management/staff/calendar/feed/json/"
TASK_CREATE = "/oobc-management/staff/tasks/create/"
TASK_LIST = "/oobc-management/staff/tasks/"
HEALTH = "/health/"


@dataclass(frozen=True)
class Step:
    name: str
    ok: bool
    detail: str


class StepFailedError(Exception):
    pass


def _expect(condition: bool, detail: str) -> None:
    if not condition:
        raise StepFailedError(detail)


def _login(client: httpx.Client, username: str, password: str) -> str:
    response = client.post(LOGIN, data={"username": username, "password": password})
    _expect(response.status_code in (302, 303), f"login answered {response.status_code}")
    _expect("sessionid" in client.cookies, "no sessionid cookie after login")
    return "sessionid cookie set"


def _calendar(client: httpx.Client) -> str:
    page = client.get(CALENDAR_PAGE)
    _expect(page.status_code == 200, f"calendar page answered {page.status_code}")
    feed = client.get(FEED_JSON)
    _expect(feed.status_code == 200, f"feed answered {feed.status_code}")
    body: Any = feed.json()
    _expect(isinstance(body, dict), "feed is not a JSON object")
    _expect(isinstance(body.get("events"), list), "feed has no events list")
    sources = body.get("sources") or {}
    _expect(isinstance(sources, dict) and bool(sources), "feed names no sources")
    failing = {name: state for name, state in sources.items() if state != "ok"}
    _expect(not failing, f"feed sources failing: {failing}")
    return f"{len(body['events'])} events from {', '.join(sorted(sources))}"


def _tasks(client: httpx.Client, title: str) -> str:
    token = client.cookies.get("csrftoken")
    _expect(token is not None, "no csrftoken cookie")
    created = client.post(
        TASK_CREATE,
        data={"title": title, "domain": "general", "status": "not_started"},
        headers={"X-CSRFToken": token or ""},
    )
    _expect(created.status_code in (302, 303), f"task create answered {created.status_code}")
    listing = client.get(TASK_LIST)
    _expect(listing.status_code == 200, f"task list answered {listing.status_code}")
    _expect(title in listing.text, f"task list does not show {title!r}")
    return f"created and listed {title!r}"


def _health(client: httpx.Client) -> str:
    response = client.get(HEALTH)
    body: Any = (
        response.json()
        if response.headers.get("content-type", "").startswith("application/json")
        else {}
    )
    status = body.get("status") if isinstance(body, dict) else None
    _expect(
        response.status_code == 200 and status == "healthy",
        f"/health/ answered {response.status_code} {response.text[:300]}",
    )
    return "healthy"


def run_smoke(
    url: str, username: str, password: str, title: str, timeout: float = 30.0
) -> list[Step]:
    steps: list[Step] = []
    with httpx.Client(base_url=url.rstrip("/"), timeout=timeout) as client:
        plan: list[tuple[str, Callable[[], str]]] = [
            ("login", lambda: _login(client, username, password)),
            ("calendar", lambda: _calendar(client)),
            ("tasks", lambda: _tasks(client, title)),
            ("health", lambda: _health(client)),
        ]
        for name, action in plan:
            try:
                steps.append(Step(name, True, action()))
            except (StepFailedError, httpx.HTTPError, ValueError) as exc:
                steps.append(Step(name, False, str(exc) or type(exc).__name__))
                if name == "login":  # everything after needs the session
                    break
    return steps


def register(app: typer.Typer) -> None:
    @app.command()
    def smoke(
        url: Annotated[str, typer.Option(help="the gateway's base URL")],
        password: Annotated[
            str, typer.Option(envvar="OBCMS_ADMIN_PASSWORD", help="the user's password")
        ],
        username: Annotated[str, typer.Option(help="user to log in as")] = "admin",
        title: Annotated[
            str | None, typer.Option(help="title of the smoke task (default: timestamped)")
        ] = None,
        timeout: Annotated[float, typer.Option(help="seconds per request")] = 30.0,
        json_output: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    ) -> None:
        """The guide's smoke tests: login, calendar feed, task create + list, /health/.
        Exit 1 when any fails."""
        task_title = title or f"obcmsctl smoke {datetime.now(UTC):%Y-%m-%d %H:%M:%S}"
        steps = run_smoke(url, username, password, task_title, timeout)
        report_outcomes("step", steps, json_output)
