"""1,000 PPAs through the bus while its processes fail: the tasks worker SIGKILLed three
times and Redis restarted once during generation, then the portfolio worker and the relay
SIGKILLed while task completions flow. Exactly 10,000 generated tasks, none twice, and every
PPA's progress is floor(completed / total * 100) of its tasks (DOMAIN.md)."""

from __future__ import annotations

import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest

# Started first (see the root conftest): minutes of work each, that must not be the tail.
pytestmark = pytest.mark.slow

API = "/api/v1"
PPAS = 1_000
PPA_TASKS = 10
GENERATION_TIMEOUT = 600.0


def task_count(bus: Any) -> int:
    return int(bus.scalar("tasks", "SELECT count(*) FROM tasks"))


def wait_for_task_count(bus: Any, at_least: int) -> None:
    bus.wait_until(
        lambda: task_count(bus) >= at_least,
        timeout=GENERATION_TIMEOUT,
        interval=0.2,
        message=lambda: f"{task_count(bus)} of at least {at_least} tasks",
    )


def sigkill_and_restart(bus: Any, name: str) -> None:
    bus.kill(name)
    bus.start(name)


def restart_redis(bus: Any) -> None:
    """Redis down long enough that the relay sees it (publish failures), then back."""
    bus.stop_redis()
    bus.wait_until(
        lambda: "relay portfolio:" in bus.log("relay") or "relay tasks:" in bus.log("relay"),
        message="the relay to fail to publish",
    )
    bus.start_redis()


class Writes:
    """Task writes of the progress phase, run concurrently; counts the ones done."""

    def __init__(self, bus: Any) -> None:
        self.bus = bus
        self.done = 0
        self.lock = threading.Lock()

    def run(self, write: Any) -> None:
        write()
        with self.lock:
            self.done += 1

    def complete(self, task_id: str) -> None:
        self.run(lambda: self.bus.set_task_status(task_id, "completed"))

    def add_task(self, ppa_id: str) -> None:
        def add() -> None:
            response = self.bus.tasks.post(
                f"{API}/tasks",
                json={"title": "Extra follow-up", "related_ppa_id": ppa_id},
                headers=self.bus.headers,
            )
            assert response.status_code == 201, response.text

        self.run(add)

    def delete_task(self, task_id: str) -> None:
        def delete() -> None:
            response = self.bus.tasks.delete(f"{API}/tasks/{task_id}", headers=self.bus.headers)
            assert response.status_code == 204, response.text

        self.run(delete)


def plan_progress_writes(
    ppas: list[str], tasks_of: dict[str, list[str]], writes: Writes
) -> tuple[list[Any], dict[str, int]]:
    """Writes for 300 PPAs (one to ten completions; 50 of them with an eleventh task, 50
    with one task deleted, so the floor matters: 1/11 -> 9, 2/9 -> 22) and every PPA's
    expected progress."""
    planned: list[Any] = []
    expected = dict.fromkeys(ppas, 0)
    for number, ppa in enumerate(ppas[:300]):
        tasks = tasks_of[ppa]
        total = PPA_TASKS
        if 200 <= number < 250:
            planned.append(lambda ppa=ppa: writes.add_task(ppa))
            total += 1
        elif number >= 250:
            planned.append(lambda task=tasks.pop(): writes.delete_task(task))
            total -= 1
        completed = number % min(total, PPA_TASKS) + 1
        planned += [lambda task=task: writes.complete(task) for task in tasks[:completed]]
        expected[ppa] = completed * 100 // total
    return planned, expected


@pytest.mark.reliability
@pytest.mark.timeout(900)
def test_thousand_ppas_survive_killed_workers_and_a_redis_restart(fault_bus: Any) -> None:
    bus = fault_bus
    bus.start_all()
    total_tasks = PPAS * PPA_TASKS

    # Generation: PPAs created concurrently while the tasks worker is killed three times
    # and Redis restarted once, each fault while the worker is busy generating.
    with ThreadPoolExecutor(1) as creator:
        created = creator.submit(bus.create_ppas, PPAS, start_date=date(2027, 1, 4))
        wait_for_task_count(bus, total_tasks // 10)
        sigkill_and_restart(bus, "tasks-worker")
        wait_for_task_count(bus, total_tasks * 3 // 10)
        restart_redis(bus)
        wait_for_task_count(bus, total_tasks // 2)
        sigkill_and_restart(bus, "tasks-worker")
        wait_for_task_count(bus, total_tasks * 7 // 10)
        sigkill_and_restart(bus, "tasks-worker")
        ppas = created.result()
    assert len(set(ppas)) == PPAS

    bus.wait_until(
        lambda: task_count(bus) == total_tasks,
        timeout=GENERATION_TIMEOUT,
        interval=0.5,
        message=lambda: f"{task_count(bus)} of {total_tasks} tasks",
    )
    # Every task event reached the portfolio (nothing of the generation is in flight).
    bus.wait_until(
        lambda: bus.scalar("portfolio", "SELECT count(*) FROM ppa_task_projection") == total_tasks,
        timeout=GENERATION_TIMEOUT,
        interval=0.5,
        message="the portfolio to see every generated task",
    )
    bus.settled()
    assert task_count(bus) == total_tasks
    bus.assert_each_ppa_has_its_cycle(ppas)

    # Progress: complete, add and delete tasks of 300 PPAs while the portfolio worker is
    # killed twice and the relay once.
    tasks_of: dict[str, list[str]] = defaultdict(list)
    for task_id, ppa_id in bus.rows(
        "tasks", "SELECT id::text, related_ppa_id::text FROM tasks ORDER BY due_date, id"
    ):
        tasks_of[ppa_id].append(task_id)
    writes = Writes(bus)
    planned, expected = plan_progress_writes(ppas, tasks_of, writes)
    with ThreadPoolExecutor(8) as pool:
        running = [pool.submit(write) for write in planned]
        for share, process in ((4, "portfolio-worker"), (2, "relay"), (4 / 3, "portfolio-worker")):
            bus.wait_until(
                lambda share=share: writes.done >= len(planned) / share,
                timeout=GENERATION_TIMEOUT,
                message=lambda: f"{writes.done} of {len(planned)} writes",
            )
            sigkill_and_restart(bus, process)
        for write in running:
            write.result()

    def progress_by_ppa() -> dict[str, int]:
        return dict(bus.rows("portfolio", "SELECT id::text, progress FROM ppas"))

    bus.wait_until(
        lambda: progress_by_ppa() == expected,
        timeout=GENERATION_TIMEOUT,
        interval=0.5,
        message=lambda: (
            f"{sum(progress_by_ppa()[ppa] != value for ppa, value in expected.items())}"
            " PPAs with a wrong progress"
        ),
    )
    bus.settled()
    assert progress_by_ppa() == expected
    # The same figures through the API a user reads them from, and from the tasks service's
    # own counts.
    counts = {
        ppa: completed * 100 // total
        for ppa, completed, total in bus.rows(
            "tasks",
            "SELECT related_ppa_id::text, count(*) FILTER (WHERE status = 'completed'),"
            " count(*) FROM tasks GROUP BY related_ppa_id",
        )
    }
    assert counts == expected
    listed: dict[str, int] = {}
    for offset in range(0, PPAS, 500):
        page = bus.portfolio.get(
            f"{API}/ppas", params={"limit": 500, "offset": offset}, headers=bus.headers
        )
        assert page.status_code == 200, page.text
        listed.update({ppa["id"]: ppa["progress"] for ppa in page.json()["items"]})
    assert listed == expected
    assert task_count(bus) == total_tasks + 50 - 50
