"""The redelivery sweeper: an event a consumer provably never received is sent again, once.

The loss is simulated exactly: kombu's Redis transport takes a message with ``BRPOP`` and
records it in ``unacked`` afterwards; a worker killed in between has popped the message
from the list and nothing else. ``RPOP`` of the queue's list does precisely that.
"""

from __future__ import annotations

import uuid

import pytest

from obcms_platform.bus import Event
from obcms_platform.bus.worker import HANDLE_TASK, publisher_app
from obcms_platform.testing import metric_value

# Started first (see the root conftest): minutes of work each, that must not be the tail.
pytestmark = pytest.mark.slow

API = "/api/v1"
PPA_TASKS = 10


def lose_one(bus, consumer: str) -> None:
    """What a worker SIGKILLed between BRPOP and kombu's `unacked` record leaves behind."""
    client = bus.redis_client()
    try:
        assert client.rpop(f"{consumer}.events") is not None
    finally:
        client.close()


def sweep(bus, *args: str) -> str:
    return str(bus.relay_cli("sweep", "--after", "0", *args).stdout)


def assert_one_cycle(bus, ppa: str) -> None:
    assert (
        bus.scalar(
            "tasks", "SELECT count(*) FROM tasks WHERE related_ppa_id = CAST(:p AS uuid)", p=ppa
        )
        == PPA_TASKS
    )
    assert bus.scalar(
        "tasks",
        "SELECT count(*) FROM template_generations WHERE template_name = 'ppa_budget_cycle'",
    ) == 1  # fmt: skip


# --- end to end ----------------------------------------------------------------------------


def test_lost_message_is_redelivered_exactly_once(make_stack) -> None:
    """A waiting event is left alone; a lost one is sent again by `obcms-relay sweep` and
    handled once; handled events (inbox) and waiting ones (non-empty queue) are not resent."""
    bus = make_stack()
    bus.start("relay")
    ppa = bus.create_ppa("oobc_ppa")["id"]
    bus.wait_until(lambda: bus.queue_length("tasks") == 1, message="the event queued")
    event_id = bus.scalar("portfolio", "SELECT id::text FROM bus_outbox")

    # Waiting in its queue behind a stopped worker: not lost, not duplicated.
    assert sweep(bus).strip().endswith("redelivered 0")
    assert bus.queue_length("tasks") == 1

    lose_one(bus, "tasks")
    bus.start("tasks-worker")
    bus.settled()
    assert bus.scalar("tasks", "SELECT count(*) FROM tasks") == 0  # lost indeed
    assert bus.scalar("tasks", "SELECT count(*) FROM bus_inbox") == 0

    out = sweep(bus)
    assert f"{event_id}  ppa.created" in out, out
    assert "portfolio -> tasks" in out, out
    assert out.strip().endswith("redelivered 1"), out
    bus.wait_for_tasks(PPA_TASKS, related_ppa_id=ppa)
    bus.settled()
    assert_one_cycle(bus, ppa)

    # Handled now: not again. Its ten task events wait for the stopped portfolio worker.
    assert bus.queue_length("portfolio") == PPA_TASKS
    assert sweep(bus).strip().endswith("redelivered 0")
    assert bus.queue_length("portfolio") == PPA_TASKS
    assert bus.scalar("tasks", "SELECT count(*) FROM bus_inbox") == 1

    bus.start("portfolio-worker")
    bus.settled()
    assert sweep(bus).strip().endswith("redelivered 0")
    assert bus.scalar("portfolio", "SELECT count(*) FROM bus_inbox") == PPA_TASKS
    assert_one_cycle(bus, ppa)


def test_dead_lettered_and_ignored_events_are_not_resent(make_stack) -> None:
    """A dead-lettered event waits for an operator, not for the sweeper; an event the
    consumer has no handler for is recorded in its inbox, so it is not taken as lost."""
    bus = make_stack()
    bus.start("relay")
    bus.start("tasks-worker")
    bus.set_template_active("ppa_budget_cycle", False)
    bus.create_ppa("oobc_ppa")
    bus.wait_until(
        lambda: bus.scalar("tasks", "SELECT count(*) FROM bus_dead_letters") == 1,
        message="the event to be dead-lettered",
    )
    bus.settled()
    assert sweep(bus).strip().endswith("redelivered 0")

    # No handler for this type: IGNORED, and recorded in the inbox all the same.
    ignored = Event.new("ppa.renamed", producer="test", subject_id=uuid.uuid4(), data={})
    with publisher_app(bus.redis_url) as app:
        app.send_task(
            HANDLE_TASK,
            args=[ignored.model_dump(mode="json")],
            queue="tasks.events",
            exchange="",
            routing_key="tasks.events",
        )
    bus.wait_until(
        lambda: bus.scalar(
            "tasks",
            "SELECT count(*) FROM bus_inbox WHERE event_id = CAST(:id AS uuid)",
            id=str(ignored.id),
        ),
        message="the ignored event in the inbox",
    )
    assert bus.scalar("tasks", "SELECT count(*) FROM bus_dead_letters") == 1
    assert bus.scalar("tasks", "SELECT count(*) FROM tasks") == 0


def test_the_relay_sweeps_periodically(make_stack) -> None:
    """Inside the relay (OBCMS_RELAY_SWEEP_INTERVAL): a lost event arrives without an
    operator, once, and the relay counts it in obcms_bus_events_redelivered_total."""
    bus = make_stack(
        env={"OBCMS_RELAY_SWEEP_INTERVAL": "0.5", "OBCMS_RELAY_SWEEP_AFTER_SECONDS": "1"}
    )
    bus.start("relay")
    bus.start("tasks-worker")
    first = bus.create_ppa("oobc_ppa")["id"]
    bus.wait_for_tasks(PPA_TASKS, related_ppa_id=first)

    bus.stop("tasks-worker")
    lost = bus.create_ppa("oobc_ppa")["id"]
    bus.wait_until(lambda: bus.queue_length("tasks") == 1, message="the event queued")
    lose_one(bus, "tasks")
    bus.start("tasks-worker")
    bus.wait_for_tasks(PPA_TASKS, related_ppa_id=lost)
    bus.settled()

    def counted() -> float:
        return metric_value(
            bus.metrics("relay"), "obcms_bus_events_redelivered_total", consumer="tasks"
        )

    bus.wait_until(counted, message="the redelivery to be counted")
    assert counted() == 1
    assert bus.scalar("tasks", "SELECT count(*) FROM bus_inbox") == 2
    assert bus.scalar("tasks", "SELECT count(*) FROM tasks") == 2 * PPA_TASKS
    assert "event redelivered" in bus.log("relay")
