"""The event bus's failure handling and scale-out, end to end through a real Redis and real
worker processes: dead letters and their replay, relay replicas, events of one subject handled
together. (Crashes, outages and duplicates: test_bus_reliability.py; a file each, so two
test workers share them.)

Every test gets its own stack and starts only the processes it needs; tests poll for
convergence and then assert exact counts.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from obcms_platform.bus.worker import HANDLE_TASK, publisher_app
from obcms_platform.testing import metric_value

# Started first (see the root conftest): minutes of work each, that must not be the tail.
pytestmark = pytest.mark.slow

API = "/api/v1"
PPA_TASKS = 10


# --- failures ---------------------------------------------------------------------------


def test_failing_handler_dead_letters_and_replay_applies_after_the_fix(make_stack) -> None:
    """A handler that keeps failing (its template deactivated through the API) is retried
    with backoff, then parked in bus_dead_letters with the error; the worker counts it as
    dead_lettered, the relay reports the DLQ size, `bus dead-letters` lists it; after the fix
    `bus replay --all` applies it."""
    bus = make_stack()
    bus.start_all()
    bus.set_template_active("ppa_budget_cycle", False)
    ppa = bus.create_ppa("oobc_ppa", start_date=date(2026, 7, 6))["id"]
    dead = bus.wait_until(
        lambda: bus.rows("tasks", "SELECT event_id::text, event_type, error, attempts"
                         " FROM bus_dead_letters WHERE replayed_at IS NULL"),
        message="the event to be dead-lettered",
    )  # fmt: skip
    assert len(dead) == 1
    event_id, event_type, error, attempts = dead[0]
    assert event_type == "ppa.created"
    assert "inactive" in error
    assert attempts == 3  # the first try and BUS_MAX_RETRIES=2 retries
    assert bus.task_list(related_ppa_id=ppa) == []

    assert bus.consumed("tasks", "ppa.created", "retried")
    assert bus.consumed("tasks", "ppa.created", "dead_lettered") == 1
    bus.wait_until(
        lambda: metric_value(bus.metrics("relay"), "obcms_bus_dead_letters", service="tasks") == 1,
        message="the relay to report one dead letter",
    )
    listed = bus.cli("tasks", "bus", "dead-letters").stdout
    assert event_id in listed
    assert "inactive" in listed
    dead_letter_id = listed.split()[0]
    shown = json.loads(bus.cli("tasks", "bus", "show", dead_letter_id).stdout)
    assert shown["payload"]["subject_id"] == ppa

    bus.set_template_active("ppa_budget_cycle", True)
    assert "replayed 1" in bus.cli("tasks", "bus", "replay", "--all").stdout
    bus.wait_for_tasks(PPA_TASKS, related_ppa_id=ppa)
    bus.settled()
    bus.assert_each_ppa_has_its_cycle([ppa])
    assert bus.cli("tasks", "bus", "dead-letters").stdout.strip() == ""
    bus.wait_until(
        lambda: metric_value(bus.metrics("relay"), "obcms_bus_dead_letters", service="tasks") == 0,
        message="the DLQ gauge to drop to 0",
    )

    # A malformed envelope can never succeed: it is parked at once, without retries.
    with publisher_app(bus.redis_url) as app:
        app.send_task(
            HANDLE_TASK,
            args=[{"type": "Not A Type", "producer": "test"}],
            queue="tasks.events",
            exchange="",
            routing_key="tasks.events",
        )
    poison = bus.wait_until(
        lambda: bus.rows(
            "tasks",
            "SELECT event_type, attempts, error FROM bus_dead_letters WHERE replayed_at IS NULL",
        ),
        message="the malformed event to be dead-lettered",
    )
    assert [(row[0], row[1]) for row in poison] == [("Not A Type", 1)]
    assert "ValidationError" in poison[0][2]


# --- scale-out and ordering ---------------------------------------------------------------


def test_relay_replicas_publish_everything(make_stack) -> None:
    """Three relays over the same outboxes: every event is published and handled once in
    effect (a row two relays both sent is absorbed by the consumer's inbox)."""
    bus = make_stack()
    names = ("relay", "relay-2", "relay-3", "tasks-worker", "portfolio-worker")
    for name in names:
        bus.start(name)
    bus.wait_ready(*names)
    ppas = [bus.create_ppa("oobc_ppa")["id"] for _ in range(12)]
    bus.wait_for_cycles(len(ppas))
    bus.assert_each_ppa_has_its_cycle(ppas)
    for service in ("tasks", "portfolio"):
        assert bus.outbox_backlog(service) == 0
    # Every event was handled by its consumer (exactly one inbox record per event id).
    assert bus.scalar("tasks", "SELECT count(*) FROM bus_inbox") == len(ppas)
    task_events = bus.scalar("tasks", "SELECT count(*) FROM bus_outbox")
    assert task_events == len(ppas) * PPA_TASKS
    bus.wait_until(
        lambda: bus.scalar("portfolio", "SELECT count(*) FROM bus_inbox") == task_events,
        message="the portfolio to handle every task event",
    )
    published = sum(
        metric_value(bus.metrics(name), "obcms_bus_events_published_total", service="portfolio")
        for name in ("relay", "relay-2", "relay-3")
    )
    assert published >= len(ppas)


def test_create_then_delete_handled_together_leaves_no_orphans(make_stack) -> None:
    """A PPA created and deleted before the worker sees either event: whatever order or
    concurrency the two events are handled in, no task is left pointing at the PPA (and a
    deletion seen first stops a later creation from generating)."""
    bus = make_stack()
    bus.start("relay")
    ppas = []
    for _ in range(8):
        ppa = bus.create_ppa("oobc_ppa")["id"]
        response = bus.portfolio.delete(f"{API}/ppas/{ppa}", headers=bus.headers)
        assert response.status_code == 204, response.text
        ppas.append(ppa)
    bus.wait_until(lambda: bus.queue_length("tasks") == 2 * len(ppas), message="events queued")
    bus.start("tasks-worker")
    bus.start("portfolio-worker")
    bus.wait_ready("tasks-worker", "portfolio-worker")
    bus.wait_until(
        # The PPAs' events (the tasks a creation generated and a deletion removed announce
        # their own deletions, which the tasks worker handles too: their files go).
        lambda: (
            bus.scalar("tasks", "SELECT count(*) FROM bus_inbox WHERE event_type LIKE 'ppa.%'")
            == 2 * len(ppas)
        ),
        message="both events of every PPA handled",
    )
    bus.settled()
    orphans = bus.scalar(
        "tasks",
        "SELECT count(*) FROM tasks WHERE related_ppa_id::text = ANY(:ids)",
        ids=ppas,
    )
    assert orphans == 0
