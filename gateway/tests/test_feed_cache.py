"""The feed cache: a second load is a hit; a write through the gateway shows at once; a
change made elsewhere (a task generated from a PPA by the tasks worker) shows once the
gateway's worker has handled its event."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import redis
from feed_helpers import (
    database_now,
    feed,
    handle_in_gateway,
    ids,
    metric,
    outbox_events,
    outbox_events_like,
    unique,
)
from gateway_helpers import (
    ADMIN_PASSWORD,
    ServedApp,
    csrf_header,
    login,
    ok,
    post,
    served,
    token_for,
)
from sqlalchemy import select

from gateway_service.app import create_app
from gateway_service.db import bus as gateway_bus
from gateway_service.feed.cache import generation_key
from gateway_service.settings import GatewaySettings
from obcms_platform.auth import Role
from obcms_platform.bus.consumer import EventConsumer, Outcome
from obcms_platform.bus.topology import EXCHANGE, all_queues
from obcms_platform.bus.worker import HANDLE_TASK, publisher_app
from obcms_platform.db import Database
from obcms_platform.testing import wait_until
from obcms_platform.testing.auth import auth_headers
from obcms_platform.testing.timing import deadline
from tasks_service.db import bus as tasks_bus
from tasks_service.events import HANDLERS as TASKS_HANDLERS

WINDOW = {"start": "2032-05-01", "end": "2032-06-01"}


@pytest.fixture(scope="module")
def feed_settings(
    make_settings: Callable[..., GatewaySettings], calendar_backend: str
) -> GatewaySettings:
    return make_settings(calendar_url=calendar_backend)


@pytest.fixture(scope="module")
def gateway(feed_settings: GatewaySettings) -> Iterator[ServedApp]:
    with served(create_app(feed_settings)) as server:
        yield server


@pytest.fixture
def client(make_client: Callable[[], httpx.Client]) -> httpx.Client:
    return make_client()


@pytest.fixture
def admin(client: httpx.Client) -> dict[str, str]:
    return token_for(client, "admin", ADMIN_PASSWORD)


def _titles(payload: dict[str, Any]) -> set[str]:
    return {entry["title"] for entry in payload["events"]}


def test_second_load_is_a_hit_until_an_event_invalidates_it(
    client, admin, tasks_backend, tasks_database, feed_settings, redis_url
):
    first = feed(client, admin, **WINDOW)
    assert first["sources"] == {"calendar": "ok", "tasks": "ok", "portfolio": "ok"}
    hits = metric(client, "obcms_feed_cache_total", result="hit")
    misses = metric(client, "obcms_feed_cache_total", result="miss")
    fetched = metric(
        client, "obcms_feed_source_duration_seconds_count", source="tasks", outcome="ok"
    )
    second = feed(client, admin, **WINDOW)
    assert ids(second) == ids(first)
    assert metric(client, "obcms_feed_cache_total", result="hit") == hits + 3
    assert metric(client, "obcms_feed_cache_total", result="miss") == misses
    assert (
        metric(client, "obcms_feed_source_duration_seconds_count", source="tasks", outcome="ok")
        == fetched
    )

    # A change the gateway did not forward (another replica, a worker): stale until its event.
    title = unique("Made behind the gateway's back")
    with httpx.Client(base_url=tasks_backend, timeout=30) as tasks:
        created = ok(
            tasks.post(
                "/api/v1/tasks",
                json={"title": title, "due_date": "2032-05-10"},
                headers=auth_headers(uuid.uuid4(), [Role.ADMIN]),
            )
        )
    assert title not in _titles(feed(client, admin, **WINDOW))
    events = outbox_events(tasks_database, "task.created", created["id"])
    assert len(events) == 1
    handle_in_gateway(feed_settings.database_url, redis_url, events)
    assert title in _titles(feed(client, admin, **WINDOW))


def test_a_write_through_the_gateway_shows_on_the_next_load(client, admin, make_client):
    before = feed(client, admin, **WINDOW)
    title = unique("Made through the API")
    task = post(client, admin, "/tasks", {"title": title, "due_date": "2032-05-12"})
    after = feed(client, admin, **WINDOW)
    assert f"staff-task-{task['id']}" in ids(after)
    assert after["module_stats"]["staff"]["total"] == before["module_stats"]["staff"]["total"] + 1

    done = client.patch(f"/api/v1/tasks/{task['id']}", json={"status": "completed"}, headers=admin)
    assert done.status_code == 200, done.text
    completed = feed(client, admin, **WINDOW)
    entry = next(e for e in completed["events"] if e["id"] == f"staff-task-{task['id']}")
    assert entry["extendedProps"]["status"] == "completed"
    assert (
        completed["module_stats"]["staff"]["completed"]
        == after["module_stats"]["staff"]["completed"] + 1
    )

    # The page form (session + CSRF) too.
    browser = make_client()
    assert login(browser, "admin", ADMIN_PASSWORD).status_code == 303
    browser.get("/oobc-management/staff/tasks/")
    form_title = unique("Made through the form")
    response = browser.post(
        "/oobc-management/staff/tasks/create/",
        data={
            "title": form_title,
            "domain": "general",
            "status": "not_started",
            "due_date": "2032-05-13",
        },
        headers=csrf_header(browser),
    )
    assert response.status_code in (200, 201, 303), response.text
    page_feed = ok(browser.get("/oobc-management/calendar/feed/json/", params=WINDOW), 200)
    assert form_title in _titles(page_feed)


def test_tasks_generated_from_a_ppa_appear_once_their_events_are_handled(
    client, admin, portfolio_database, tasks_database, feed_settings, redis_url
):
    feed(client, admin, **WINDOW)  # warm the cache
    ppa = post(
        client,
        admin,
        "/ppas",
        {"title": unique("Budget-cycle PPA"), "category": "oobc_ppa", "start_date": "2032-05-03"},
    )
    at_once = feed(client, admin, **WINDOW)
    assert f"planning-entry-{ppa['id']}-start" in ids(at_once)  # the gateway's own write

    def generated(payload: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            entry
            for entry in payload["events"]
            if entry["extendedProps"].get("relatedPpaId") == ppa["id"]
        ]

    assert generated(at_once) == []

    # The tasks worker handles ppa.created (the same consumer and handlers it runs).
    since = database_now(tasks_database)
    ppa_created = outbox_events(portfolio_database, "ppa.created", ppa["id"])
    assert len(ppa_created) == 1
    database = Database(tasks_database, pool_size=1)
    try:
        consumer = EventConsumer("tasks", database, tasks_bus, TASKS_HANDLERS)
        assert consumer.handle(ppa_created[0]) is Outcome.HANDLED
    finally:
        database.dispose()
    # Generated in the tasks service, but the gateway has not heard of it yet.
    assert generated(feed(client, admin, **WINDOW)) == []

    task_events = outbox_events_like(tasks_database, "task.%", since)
    assert task_events
    handle_in_gateway(feed_settings.database_url, redis_url, task_events)
    shown = generated(feed(client, admin, **WINDOW))
    titles = {entry["title"] for entry in shown}
    assert "Formulate PPA budget proposal" in titles
    assert "Prepare budget justification" in titles
    first = next(e for e in shown if e["title"] == "Formulate PPA budget proposal")
    assert first["start"] == "2032-05-03"
    assert first["backgroundColor"] == "#7c3aed"


def test_each_source_is_invalidated_by_its_own_events(client, admin, feed_settings, redis_url):
    """A booking.* event invalidates the calendar part only; an unknown family nothing."""
    feed(client, admin, **WINDOW)
    hits = metric(client, "obcms_feed_cache_total", result="hit")
    envelope = {
        "id": str(uuid.uuid4()),
        "type": "booking.updated",
        "version": 1,
        "occurred_at": "2032-05-01T00:00:00+00:00",
        "producer": "calendar",
        "subject_id": str(uuid.uuid4()),
        "data": {},
    }
    handle_in_gateway(feed_settings.database_url, redis_url, [envelope])
    payload = feed(client, admin, **WINDOW)
    assert payload["sources"] == {"calendar": "ok", "tasks": "ok", "portfolio": "ok"}
    assert metric(client, "obcms_feed_cache_total", result="hit") == hits + 2


def test_the_gateway_worker_process_invalidates_on_a_published_event(
    feed_settings, redis_url, tmp_path
):
    """`obcms-gateway worker` consumes its queue (bound in the topology) and bumps the
    generation of the event's source; the event is recorded in the gateway's inbox."""
    client = redis.Redis.from_url(redis_url)
    before = int(client.get(generation_key("tasks")) or 0)
    calendar_before = int(client.get(generation_key("calendar")) or 0)
    env = {
        **os.environ,
        "OBCMS_MODE": "test",
        "OBCMS_REDIS_URL": redis_url,
        "OBCMS_GATEWAY_DATABASE_URL": feed_settings.database_url,
        "OBCMS_GATEWAY_WORKER_CONCURRENCY": "1",
    }
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "gateway_service.cli", "worker"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    event_id = uuid.uuid4()
    try:
        publisher = publisher_app(redis_url)
        publisher.send_task(
            HANDLE_TASK,
            args=[
                {
                    "id": str(event_id),
                    "type": "task.updated",
                    "version": 1,
                    "occurred_at": "2032-05-01T00:00:00+00:00",
                    "producer": "tasks",
                    "subject_id": str(uuid.uuid4()),
                    "data": {},
                }
            ],
            exchange=EXCHANGE,
            routing_key="task.updated",
            declare=all_queues(),
        )

        def invalidated() -> bool:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            return int(client.get(generation_key("tasks")) or 0) != before

        wait_until(invalidated, message=lambda: (tmp_path / "worker.log").read_text())
    finally:
        worker.terminate()
        worker.wait(deadline(30))
        log.close()
        client.close()
    assert int(redis.Redis.from_url(redis_url).get(generation_key("calendar")) or 0) == (
        calendar_before
    )
    database = Database(feed_settings.database_url, pool_size=1)
    try:
        with database.session() as session:
            handled = session.scalar(
                select(gateway_bus.inbox.c.event_type).where(
                    gateway_bus.inbox.c.event_id == event_id
                )
            )
    finally:
        database.dispose()
    assert handled == "task.updated"
