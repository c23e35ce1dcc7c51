"""`make run`'s stack: serves, stops everything on Ctrl-C, and keeps its data across runs."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from obcms_platform.auth import Role
from obcms_platform.devstack.embedded import port_open
from obcms_platform.testing import auth_headers, wait_until
from obcms_platform.testing.devstack import RunningStack, stack_environment, state_folder

# Started first (see the root conftest): minutes of work each, that must not be the tail.
pytestmark = pytest.mark.slow

# A cold start on a loaded 2-core machine plus the demo organisation.
DEMO_STARTUP_TIMEOUT = 360
DEMO_LOGIN = re.compile(r"\[obcms\] demo login \((\w+)\): (\S+) / (\S+) \((.+)\)")


def wait_for_linked_tasks(
    base: str, link: dict[str, str], headers: dict[str, str], count: int
) -> list[dict]:
    """Poll the tasks API until the tasks linked by `link` (e.g. related_ppa_id) number
    `count`: generated or removed over the bus."""
    tasks: list[dict] = []

    def arrived() -> bool:
        tasks[:] = httpx.get(f"{base}/api/v1/tasks", params=link, headers=headers).json()["items"]
        return len(tasks) == count

    wait_until(arrived, message=lambda: f"{len(tasks)} tasks, not {count}, linked by {link}")
    return tasks


def log_in(browser: httpx.Client, password: str) -> httpx.Response:
    return browser.post("/accounts/login/", data={"username": "admin", "password": password})


def log_in_and_create_a_task(gateway: str, password: str, title: str) -> str:
    """The guide's smoke path through the gateway: log in, create a task, list the tasks."""
    with httpx.Client(base_url=gateway) as browser:
        assert log_in(browser, password).status_code == 303
        created = browser.post(
            "/oobc-management/staff/tasks/create/",
            data={"title": title, "domain": "general", "status": "not_started"},
            headers={"X-CSRFToken": browser.cookies["csrftoken"]},
        )
        assert created.status_code == 303, created.text
        health = browser.get("/health/")
        assert health.status_code == 200, health.text
        # Searched for: the demo organisation's tasks fill the first pages.
        return browser.get("/oobc-management/staff/tasks/", params={"q": "gateway"}).text


def demo_logins(output: list[str]) -> dict[str, tuple[str, str, str]]:
    """username -> (role, password, full name) of the demo logins `obcms-dev run` printed."""
    found = (DEMO_LOGIN.match(line.strip()) for line in output)
    return {m[2]: (m[1], m[3], m[4]) for m in found if m}


def bearer(gateway: str, username: str, password: str) -> dict[str, str]:
    answer = httpx.post(
        f"{gateway}/api/v1/auth/token", data={"username": username, "password": password}
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def demo_counts(gateway: str, admin: dict[str, str]) -> dict[str, int]:
    """How many of each kind of record the gateway's API lists (tasks aside: template
    generation may still be adding some)."""
    return {
        kind: httpx.get(f"{gateway}/api/v1/{kind}", headers=admin).json()["total"]
        for kind in (
            "users",
            "teams",
            "ppas",
            "assessments",
            "needs",
            "events",
            "bookings",
            "leaves",
            "resources",
        )
    }


def check_demo_organisation(gateway: str, logins: dict[str, tuple[str, str, str]]) -> None:
    """What a newcomer finds after `make run`, read through the gateway's API."""
    assert sorted(role for role, _, _ in logins.values()) == ["manager", "staff", "staff"]
    manager_name = next(name for name, (role, _, _) in logins.items() if role == "manager")
    manager = bearer(gateway, manager_name, logins[manager_name][1])
    me = httpx.get(f"{gateway}/api/v1/users/me", headers=manager).json()
    assert me["full_name"] == logins[manager_name][2]

    ppas = httpx.get(f"{gateway}/api/v1/ppas", params={"limit": 100}, headers=manager).json()
    assert ppas["total"] >= 6
    assert len({ppa["sector"] for ppa in ppas["items"]}) >= 5
    assert {"approved", "technical_review", "draft"} <= {
        ppa["approval_status"] for ppa in ppas["items"]
    }
    # A planned OOBC PPA's ten template tasks (and its review stage's) come over the bus.
    planned = next(
        ppa
        for ppa in ppas["items"]
        if ppa["category"] == "oobc_ppa" and ppa["status"] == "planning"
    )
    generated: list[dict] = []

    def generated_arrived() -> bool:
        linked = httpx.get(
            f"{gateway}/api/v1/tasks", params={"related_ppa_id": planned["id"]}, headers=manager
        ).json()["items"]
        generated[:] = [task for task in linked if task["auto_generated"]]
        return len(generated) >= 10

    wait_until(generated_arrived, message=lambda: f"10 generated tasks: {generated}")

    events = httpx.get(f"{gateway}/api/v1/events", params={"limit": 100}, headers=manager)
    assert any(event["recurrence"] for event in events.json()["items"]), events.text
    leaves = httpx.get(f"{gateway}/api/v1/leaves", headers=manager).json()["items"]
    assert {"pending", "approved"} <= {leave["status"] for leave in leaves}
    bookings = httpx.get(f"{gateway}/api/v1/bookings", headers=manager).json()["items"]
    assert {"pending", "approved"} <= {booking["status"] for booking in bookings}
    for status in ("not_started", "in_progress", "at_risk", "completed"):
        tasks = httpx.get(f"{gateway}/api/v1/tasks", params={"status": status}, headers=manager)
        assert tasks.json()["total"] > 0, status
    overdue = httpx.get(f"{gateway}/api/v1/tasks", params={"overdue": "true"}, headers=manager)
    assert overdue.json()["total"] > 0
    # The export a manager opens in Excel names the PPAs' leads, as the gateway announced them.
    exported = httpx.get(f"{gateway}/api/v1/ppas", params={"format": "csv"}, headers=manager)
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"), newline="")))
    full_names = {name for _, _, name in logins.values()}
    assert {row["Lead"] for row in rows} & full_names, [row["Lead"] for row in rows]


def accounts_announced_to(output: list[str]) -> list[str]:
    """The consumers the gateway's worker sent every account to when it started, read from
    the gateway's database on the stack's embedded PostgreSQL."""
    address = re.search(r"PostgreSQL: embedded on (\S+) ", "".join(output))
    assert address, output
    with psycopg.connect(f"postgresql://postgres@{address[1]}/obcms_gateway") as database:
        return [row[0] for row in database.execute("SELECT consumers FROM accounts_announced")]


@pytest.fixture
def state() -> Iterator[Path]:
    with state_folder() as folder:
        yield folder


# Two whole local stacks start and stop: 290 s of the default 300 on a loaded 2-core machine.
@pytest.mark.timeout(600)
def test_run_serves_the_services_stops_cleanly_and_keeps_data(state: Path) -> None:
    env, ports = stack_environment(state, OBCMS_DEMO_DATA="1")
    base = f"http://127.0.0.1:{ports['OBCMS_TASKS_PORT']}"
    portfolio = f"http://127.0.0.1:{ports['OBCMS_PORTFOLIO_PORT']}"
    calendar = f"http://127.0.0.1:{ports['OBCMS_CALENDAR_PORT']}"
    gateway = f"http://127.0.0.1:{ports['OBCMS_PORT']}"
    manager_id = uuid.uuid4()

    first = RunningStack(env)
    try:
        first.wait_for(timeout=DEMO_STARTUP_TIMEOUT)
        # Signed once the stack is up: internal tokens live 60 s, a cold start can take longer.
        headers = auth_headers(manager_id, [Role.MANAGER])
        assert any(f"tasks API: {base}/api/v1" in line for line in first.output)
        assert any(f"portfolio API: {portfolio}/api/v1" in line for line in first.output)
        password = first.admin_password(gateway)
        assert password == (state / "state" / "admin_password").read_text().strip()
        logins = demo_logins(first.output)
        assert logins, first.rest()
        check_demo_organisation(gateway, logins)
        wait_until(
            lambda: accounts_announced_to(first.output) == ["notifications,portfolio,tasks"],
            message="the gateway worker's announcement of every account",
        )
        tasks_page = log_in_and_create_a_task(gateway, password, "Made through the gateway")
        assert "Made through the gateway" in tasks_page
        ppa = httpx.post(
            f"{portfolio}/api/v1/ppas",
            json={"title": "Solar dryers", "category": "oobc_ppa", "start_date": "2027-01-04"},
            headers=headers,
        )
        assert ppa.status_code == 201, ppa.text
        wait_for_linked_tasks(base, {"related_ppa_id": ppa.json()["id"]}, headers, 10)
        meeting = httpx.post(
            f"{calendar}/api/v1/events",
            json={
                "title": "Quarterly coordination meeting",
                "event_type": "meeting",
                "start": "2027-02-01T09:00:00+08:00",
                "end": "2027-02-01T11:00:00+08:00",
            },
            headers=headers,
        )
        assert meeting.status_code == 201, meeting.text
        linked = {"related_event_id": meeting.json()["id"]}
        meeting_tasks = wait_for_linked_tasks(base, linked, headers, 8)
        assert {task["domain"] for task in meeting_tasks} == {"coordination"}
        assert min(task["due_date"] for task in meeting_tasks) == "2027-02-01"
        deleted = httpx.delete(f"{calendar}/api/v1/events/{meeting.json()['id']}", headers=headers)
        assert deleted.status_code == 204, deleted.text
        wait_for_linked_tasks(base, linked, headers, 0)
        created = httpx.post(
            f"{base}/api/v1/tasks", json={"title": "Survives a restart"}, headers=headers
        )
        assert created.status_code == 201, created.text
        task_id = created.json()["id"]
        before_restart = demo_counts(gateway, bearer(gateway, "admin", password))
    finally:
        first.stop_cleanly()
    for name, port in ports.items():
        assert not port_open(port), f"{name} {port} still open after Ctrl-C"

    second = RunningStack(env)
    try:
        second.wait_for()
        headers = auth_headers(manager_id, [Role.MANAGER])
        again = httpx.get(f"{base}/api/v1/tasks/{task_id}", headers=headers)
        assert again.status_code == 200
        assert again.json()["title"] == "Survives a restart"
        templates = httpx.get(f"{base}/api/v1/task-templates", headers=headers).json()
        assert len(templates) == 9
        assert second.admin_password(gateway) == password
        # The demo is loaded once: the same logins, nothing added.
        assert not any("loading the demo" in line for line in second.output)
        assert demo_logins(second.output) == logins
        after_restart = demo_counts(gateway, bearer(gateway, "admin", password))
        assert after_restart == before_restart
        with httpx.Client(base_url=gateway) as browser:
            assert log_in(browser, password).status_code == 303
            page = browser.get("/oobc-management/staff/tasks/", params={"q": "gateway"})
            assert "Made through the gateway" in page.text
    finally:
        second.stop_cleanly()
