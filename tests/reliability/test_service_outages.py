"""Each service stopped in turn behind the real gateway (the `make run` stack, process by
process): the calendar feed still answers with the other sources and names the failed one,
writes to the stopped service answer a clear 503 naming it, and once it is back everything
converges: events sent while its worker was down are handled, nothing is lost."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from obcms_platform import registry
from obcms_platform.devstack.local import LocalStack
from obcms_platform.testing import deadline, wait_until
from obcms_platform.testing.devstack import local_stack, stack_environment, state_folder

# Started first (see the root conftest): minutes of work each, that must not be the tail.
pytestmark = pytest.mark.slow

ADMIN_PASSWORD = "reliability-admin-password"
SOURCES = tuple(registry.feed_sources())
PPA_TASKS = 10
MEETING_TASKS = 8


@dataclass
class Gateway:
    """The gateway's JSON API as the admin, and the stack behind it."""

    stack: LocalStack
    client: httpx.Client
    months: Iterator[int]

    def feed(self) -> dict[str, Any]:
        """The calendar feed of a month not asked for before (no cached part answers)."""
        month = next(self.months)
        start = f"{2028 + month // 12}-{month % 12 + 1:02d}-01"
        end = f"{2028 + (month + 1) // 12}-{(month + 1) % 12 + 1:02d}-01"
        response = self.client.get("/api/v1/calendar/feed", params={"start": start, "end": end})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.client.post(path, json=body)

    def tasks_linked(self, **link: str) -> list[dict[str, Any]]:
        response = self.client.get("/api/v1/tasks", params=link)
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    def stop(self, service: str) -> None:
        for name in (f"{service}-worker", f"{service}-api"):
            if name in self.stack.specs:
                self.stack.stop(name)

    def start(self, service: str) -> None:
        for name in (f"{service}-api", f"{service}-worker"):
            if name in self.stack.specs:
                self.stack.start(name)


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    with state_folder() as folder:
        env, ports = stack_environment(folder, OBCMS_ADMIN_PASSWORD=ADMIN_PASSWORD)
        with local_stack(env) as stack:
            base = f"http://127.0.0.1:{ports['OBCMS_PORT']}"
            with httpx.Client(base_url=base, timeout=deadline(30)) as client:
                token = client.post(
                    "/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}
                )
                assert token.status_code == 200, token.text
                client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
                yield Gateway(stack, client, itertools.count())
            for name in stack.specs:  # shown with a failure's captured output
                problems = [
                    line
                    for line in stack.log(name).splitlines()
                    if '"level": "WARNING"' in line or '"level": "ERROR"' in line
                ]
                print(f"----- {name}: warnings and errors -----", *problems[-50:], sep="\n")


def assert_degraded_without(gateway: Gateway, service: str) -> None:
    """The feed answers without `service`, which it names; /health/ names it too."""
    feed = gateway.feed()
    assert feed["sources"] == {name: "error" if name == service else "ok" for name in SOURCES}
    health = gateway.client.get("/health/")
    assert health.status_code == 503
    assert health.json()["services"][service] == "error"


def assert_unavailable(response: httpx.Response, service: str) -> None:
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "service_unavailable"
    assert f"the {service} service" in error["message"]


def assert_whole(gateway: Gateway) -> None:
    assert gateway.feed()["sources"] == dict.fromkeys(SOURCES, "ok")
    assert gateway.client.get("/health/").status_code == 200


@pytest.mark.reliability
# A whole local stack starts in the fixture: on a loaded 2-core machine that alone took 100 s.
@pytest.mark.timeout(600)
def test_each_service_stopped_in_turn_degrades_and_then_converges(gateway: Gateway) -> None:
    assert_whole(gateway)

    # Tasks (API and worker) down: a PPA created meanwhile gets its tasks afterwards.
    gateway.stop("tasks")
    assert_degraded_without(gateway, "tasks")
    assert_unavailable(gateway.post("/api/v1/tasks", {"title": "While tasks is down"}), "tasks")
    created = gateway.post(
        "/api/v1/ppas",
        {
            "title": "Created while tasks is down",
            "category": "oobc_ppa",
            "start_date": "2028-01-03",
        },
    )
    assert created.status_code == 201, created.text
    ppa = created.json()["id"]
    gateway.start("tasks")
    tasks = wait_until(
        lambda: len(found := gateway.tasks_linked(related_ppa_id=ppa)) == PPA_TASKS and found,
        message="the PPA's budget cycle after the tasks service came back",
    )
    assert_whole(gateway)
    assert gateway.post("/api/v1/tasks", {"title": "After tasks is back"}).status_code == 201

    # Portfolio (API and worker) down: task completions meanwhile reach its progress later.
    gateway.stop("portfolio")
    assert_degraded_without(gateway, "portfolio")
    assert_unavailable(
        gateway.post("/api/v1/ppas", {"title": "While portfolio is down", "category": "oobc_ppa"}),
        "portfolio",
    )
    for task in tasks[:3]:
        completed = gateway.client.patch(
            f"/api/v1/tasks/{task['id']}", json={"status": "completed"}
        )
        assert completed.status_code == 200, completed.text
    gateway.start("portfolio")
    wait_until(
        lambda: gateway.client.get(f"/api/v1/ppas/{ppa}").json()["progress"] == 30,
        message="progress 30 after the portfolio service came back",
    )
    assert_whole(gateway)

    # Calendar down: its writes are refused; back, a meeting gets its tasks over the bus.
    gateway.stop("calendar")
    assert_degraded_without(gateway, "calendar")
    meeting = {
        "title": "Coordination meeting",
        "event_type": "meeting",
        "start": "2028-03-06T09:00:00+08:00",
        "end": "2028-03-06T11:00:00+08:00",
    }
    assert_unavailable(gateway.post("/api/v1/events", meeting), "calendar")
    gateway.start("calendar")
    created = gateway.post("/api/v1/events", meeting)
    assert created.status_code == 201, created.text
    event = created.json()["id"]
    wait_until(
        lambda: len(gateway.tasks_linked(related_event_id=event)) == MEETING_TASKS,
        message="the meeting's tasks after the calendar service came back",
    )
    assert_whole(gateway)
    listed = gateway.client.get("/api/v1/ppas", params={"limit": 500}).json()["items"]
    assert [item["title"] for item in listed] == ["Created while tasks is down"]
