"""Redis restarted while a worker holds delivered, unacknowledged messages: the worker
reconnects instead of exiting, and every event still has exactly one effect."""

from __future__ import annotations

from typing import Any

import pytest

# Started first (see the root conftest): a minute or more, that must not be the tail.
pytestmark = pytest.mark.slow

PPA_TASKS = 10


@pytest.mark.reliability
def test_a_busy_worker_survives_a_redis_restart(fault_bus: Any) -> None:
    bus = fault_bus
    bus.start("relay")
    # All worker threads but one block inside a handler (the tasks table is locked): the
    # worker holds delivered, unacknowledged messages and waits on Redis for more when
    # Redis goes away.
    held = int(bus.env["OBCMS_WORKER_CONCURRENCY"]) - 1
    ppas = bus.create_ppas(held)
    bus.wait_until(lambda: bus.queue_length("tasks") == held, message="queued events")
    with bus.tasks_worker_blocked(held):
        bus.stop_redis()
        bus.wait_until(
            lambda: "Connection to broker lost" in bus.log("tasks-worker"),
            message="the worker to notice",
        )
        bus.start_redis()
    ppas += bus.create_ppas(5)  # and it goes on consuming

    bus.wait_until(
        lambda: bus.scalar("tasks", "SELECT count(*) FROM tasks") == len(ppas) * PPA_TASKS,
        message=lambda: f"{bus.scalar('tasks', 'SELECT count(*) FROM tasks')} tasks",
    )
    bus.settled()
    assert bus.processes.exited() == []  # the worker reconnected instead of exiting
    bus.assert_each_ppa_has_its_cycle(ppas)
