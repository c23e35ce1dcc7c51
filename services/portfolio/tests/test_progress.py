"""PPA progress from the tasks service's `task.*` events (DOMAIN.md, "Progress from tasks").

The handler is called directly with a session of the test's database, then committed, as the
worker does; the result is read back through the API.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, insert, select, text, update
from typer.testing import CliRunner

from obcms_platform.bus import Event
from obcms_platform.bus.consumer import EventConsumer, Outcome
from obcms_platform.testing.service_probes import recorded_statements
from portfolio_service.cli import app as cli
from portfolio_service.db import bus
from portfolio_service.events import HANDLERS
from portfolio_service.ppas.models import Ppa
from portfolio_service.progress.models import PpaTaskProjection, TaskStatus
from portfolio_service.progress.service import apply_task_event, recompute_progress
from portfolio_service.settings import get_settings

from .helpers import PPAS, create_ppa, get_ppa, task_event


def apply(session, *events: Event) -> None:
    for event in events:
        HANDLERS[event.type](session, event)
        session.commit()


def progress(client, staff, ppa_id) -> int:
    return int(get_ppa(client, staff, str(ppa_id))["progress"])


@pytest.fixture
def ppa(client, staff) -> dict[str, Any]:
    return create_ppa(client, staff, title="Tracked")


def test_handlers_cover_every_task_event():
    task_handlers = {
        name: handler for name, handler in HANDLERS.items() if name.startswith("task.")
    }
    assert set(task_handlers) == {"task.created", "task.updated", "task.completed", "task.deleted"}
    assert all(handler is apply_task_event for handler in task_handlers.values())


def test_three_of_ten_completed_is_30_and_changes_follow(client, staff, session, ppa):
    pid = ppa["id"]
    tasks = [uuid.uuid4() for _ in range(10)]
    apply(session, *(task_event("created", t, pid, "not_started", 1) for t in tasks))
    assert progress(client, staff, pid) == 0
    apply(session, *(task_event("completed", t, pid, "completed", 2) for t in tasks[:3]))
    assert progress(client, staff, pid) == 30
    # Reopening one (a newer version) -> 2 of 10.
    apply(session, task_event("updated", tasks[0], pid, "in_progress", 3))
    assert progress(client, staff, pid) == 20
    # Deleting an open task -> 2 of 9 = 22.2 -> 22 (floor).
    apply(session, task_event("deleted", tasks[5], pid, "not_started", 2))
    assert progress(client, staff, pid) == 22
    # Deleting a completed one -> 1 of 8 = 12.5 -> 12.
    apply(session, task_event("deleted", tasks[1], pid, "completed", 3))
    assert progress(client, staff, pid) == 12
    # Status changes that are not completions do not count.
    apply(session, task_event("updated", tasks[6], pid, "at_risk", 2))
    assert progress(client, staff, pid) == 12
    # Everything left deleted -> no tasks -> 0.
    apply(
        session,
        *(
            task_event("deleted", t, pid, "completed", 10)
            for t in tasks
            if t not in (tasks[1], tasks[5])
        ),
    )
    assert progress(client, staff, pid) == 0


def test_a_progress_change_leaves_an_open_form_saveable(client, staff, session, ppa):
    """The system's recount keeps the PPA's version: an owner who opened the PPA before a
    task was completed saves with the version they had, and nothing of theirs is lost."""
    pid = ppa["id"]
    opened = get_ppa(client, staff, pid)
    apply(session, task_event("created", uuid.uuid4(), pid, "completed", 1))
    stored = get_ppa(client, staff, pid)
    assert stored["progress"] == 100
    assert stored["version"] == opened["version"]
    saved = client.patch(
        f"{PPAS}/{pid}",
        json={"priority": "high"},
        headers={**staff.headers, "If-Match": f'"{opened["version"]}"'},
    )
    assert saved.status_code == 200, saved.text
    assert (saved.json()["priority"], saved.json()["progress"]) == ("high", 100)
    history = client.get(f"{PPAS}/{pid}/history", headers=staff.headers).json()["items"]
    assert any(
        change["field"] == "progress" and change["new"] == 100
        for entry in history
        for change in entry["changes"]
    )


def test_stale_and_duplicate_events_change_nothing(client, staff, session, ppa):
    pid = ppa["id"]
    done, open_ = uuid.uuid4(), uuid.uuid4()
    completed = task_event("completed", done, pid, "completed", 2)
    apply(
        session,
        task_event("created", done, pid, "not_started", 1),
        task_event("created", open_, pid, "not_started", 1),
        completed,
    )
    assert progress(client, staff, pid) == 50
    # The same event delivered again.
    apply(session, completed, completed)
    assert progress(client, staff, pid) == 50
    # An older version arriving late.
    apply(session, task_event("updated", done, pid, "in_progress", 1))
    assert progress(client, staff, pid) == 50
    # Same version, different content: still not newer.
    apply(session, task_event("updated", done, pid, "not_started", 2))
    assert progress(client, staff, pid) == 50
    assert session.scalar(select(func.count()).select_from(PpaTaskProjection)) == 2


def test_out_of_order_arrival_ends_right(client, staff, session, ppa):
    pid = ppa["id"]
    late, other = uuid.uuid4(), uuid.uuid4()
    apply(session, task_event("created", other, pid, "not_started", 1))
    apply(session, task_event("completed", late, pid, "completed", 3))
    assert progress(client, staff, pid) == 50
    apply(session, task_event("updated", late, pid, "in_progress", 2))
    apply(session, task_event("created", late, pid, "not_started", 1))
    assert progress(client, staff, pid) == 50


def test_a_task_moving_between_ppas_updates_both(client, staff, session, ppa):
    first, second = ppa["id"], create_ppa(client, staff, title="Second")["id"]
    moving, stays = uuid.uuid4(), uuid.uuid4()
    apply(
        session,
        task_event("created", moving, first, "completed", 1),
        task_event("created", stays, first, "not_started", 1),
    )
    assert (progress(client, staff, first), progress(client, staff, second)) == (50, 0)
    apply(session, task_event("updated", moving, second, "completed", 2))
    assert (progress(client, staff, first), progress(client, staff, second)) == (0, 100)
    # Unlinked from every PPA.
    apply(session, task_event("updated", moving, None, "completed", 3))
    assert (progress(client, staff, first), progress(client, staff, second)) == (0, 0)
    # Linked again.
    apply(session, task_event("updated", moving, first, "completed", 4))
    assert (progress(client, staff, first), progress(client, staff, second)) == (50, 0)


def test_a_deleted_task_is_never_revived(client, staff, session, ppa):
    pid = ppa["id"]
    gone, kept = uuid.uuid4(), uuid.uuid4()
    apply(
        session,
        task_event("created", gone, pid, "completed", 1),
        task_event("created", kept, pid, "not_started", 1),
        task_event("deleted", gone, pid, "completed", 2),
    )
    assert progress(client, staff, pid) == 0
    # A late update, a replayed creation, even a higher version: the tombstone stays.
    apply(
        session,
        task_event("updated", gone, pid, "completed", 1),
        task_event("created", gone, pid, "completed", 1),
        task_event("completed", gone, pid, "completed", 9),
    )
    assert progress(client, staff, pid) == 0


def test_deletion_arriving_first_wins(client, staff, session, ppa):
    pid = ppa["id"]
    task, other = uuid.uuid4(), uuid.uuid4()
    apply(session, task_event("created", other, pid, "completed", 1))
    apply(session, task_event("deleted", task, pid, "completed", 4))
    apply(
        session,
        task_event("created", task, pid, "not_started", 1),
        task_event("completed", task, pid, "completed", 3),
    )
    assert progress(client, staff, pid) == 100


def test_events_for_unknown_ppas_are_recorded_harmlessly(client, staff, session, ppa):
    unknown = uuid.uuid4()
    task = uuid.uuid4()
    apply(session, task_event("created", task, unknown, "completed", 1))
    assert progress(client, staff, ppa["id"]) == 0
    # Later linked to a PPA this service knows: it counts there.
    apply(session, task_event("updated", task, ppa["id"], "completed", 2))
    assert progress(client, staff, ppa["id"]) == 100


def test_malformed_events_are_refused(session, ppa):
    for data in [
        {},
        {"task_id": "nope", "status": "completed", "version": 1},
        {"task_id": str(uuid.uuid4()), "status": "finished", "version": 1},
        {"task_id": str(uuid.uuid4()), "status": "completed", "version": 0},
    ]:
        with pytest.raises(ValidationError):
            apply_task_event(session, Event(type="task.updated", producer="tasks", data=data))
        session.rollback()
    assert session.scalar(select(func.count()).select_from(PpaTaskProjection)) == 0


def test_recompute_repairs_a_drifted_progress(client, staff, session, ppa):
    pid = ppa["id"]
    apply(
        session,
        *(
            task_event("created", uuid.uuid4(), pid, s, 1)
            for s in ["completed", "not_started", "not_started"]
        ),
    )
    assert progress(client, staff, pid) == 33
    session.execute(update(Ppa).values(progress=90))
    session.commit()
    assert recompute_progress(session) == 1
    session.commit()
    assert progress(client, staff, pid) == 33


def _wait_until_blocked_or_done(database, pid: int, thread: threading.Thread) -> None:
    """Until the backend `pid` waits for a lock or `thread` has finished (never by time)."""
    deadline = time.monotonic() + 30
    while thread.is_alive() and time.monotonic() < deadline:
        with database.engine.connect() as connection:
            waiting = connection.execute(
                text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": pid},
            ).scalar_one_or_none()
        if waiting == "Lock":
            return
        time.sleep(0.02)


def test_concurrent_events_of_two_tasks_of_one_ppa_both_count(client, staff, database, ppa):
    """Two consumer threads handle events of two tasks of one PPA at the same time.

    The first transaction records a completed task and stays open; the second records an
    open task meanwhile and commits after the first. One open and one completed task: the
    PPA's progress must be 50 whichever way the two interleave.
    """
    pid = ppa["id"]
    first, second = database.session(), database.session()
    second_pid = second.scalar(text("SELECT pg_backend_pid()"))
    errors: list[BaseException] = []

    def run_second() -> None:
        try:
            apply_task_event(second, task_event("created", uuid.uuid4(), pid, "not_started", 1))
            second.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    try:
        apply_task_event(first, task_event("created", uuid.uuid4(), pid, "completed", 1))
        thread = threading.Thread(target=run_second)
        thread.start()
        _wait_until_blocked_or_done(database, second_pid, thread)
        first.commit()
        thread.join(timeout=30)
    finally:
        first.close()
        second.close()
    assert errors == []
    assert progress(client, staff, pid) == 50


def test_through_the_consumer_a_redelivered_event_has_one_effect(client, staff, database, ppa):
    """The worker's path: the inbox makes a second delivery of one event id a no-op."""
    consumer = EventConsumer("portfolio", database, bus, HANDLERS)
    pid = ppa["id"]
    done, open_ = uuid.uuid4(), uuid.uuid4()
    created = task_event("created", open_, pid, "not_started", 1)
    completed = task_event("completed", done, pid, "completed", 1)
    assert consumer.handle(created.model_dump(mode="json")) is Outcome.HANDLED
    assert consumer.handle(completed.model_dump(mode="json")) is Outcome.HANDLED
    assert consumer.handle(completed.model_dump(mode="json")) is Outcome.DUPLICATE
    assert progress(client, staff, pid) == 50
    other = Event(type="ppa.created", producer="portfolio", data={})
    assert consumer.handle(other.model_dump(mode="json")) is Outcome.IGNORED


def test_recompute_progress_command(client, staff, session, ppa, portfolio_db_url, monkeypatch):
    pid = ppa["id"]
    apply(session, task_event("created", uuid.uuid4(), pid, "completed", 1))
    other = create_ppa(client, staff, title="Other")
    session.execute(update(Ppa).values(progress=7))
    session.commit()
    monkeypatch.setenv("OBCMS_PORTFOLIO_DATABASE_URL", portfolio_db_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        result = runner.invoke(cli, ["recompute-progress", "--ppa", pid])
        assert result.exit_code == 0, result.output
        assert "1 changed" in result.output
        assert (progress(client, staff, pid), progress(client, staff, other["id"])) == (100, 7)
        result = runner.invoke(cli, ["recompute-progress"])
        assert result.exit_code == 0, result.output
        assert "every PPA; 1 changed" in result.output
        assert progress(client, staff, other["id"]) == 0
        missing = runner.invoke(cli, ["recompute-progress", "--ppa", str(uuid.uuid4())])
        assert missing.exit_code == 1
    finally:
        get_settings.cache_clear()


def test_recomputing_one_ppa_reads_only_its_tasks(client, staff, session, ppa):
    """Each task event recomputes its PPA: by the projection's index, not a scan of every
    task (at 330,000 tasks the scan took 32 ms per event)."""
    pid = uuid.UUID(ppa["id"])
    others = [uuid.uuid4() for _ in range(2_000)]
    rows = [
        {
            "task_id": uuid.uuid4(),
            "ppa_id": others[i % len(others)],
            "status": TaskStatus.COMPLETED if i % 3 else TaskStatus.NOT_STARTED,
            "version": 1,
            "deleted": i % 50 == 0,
        }
        for i in range(20_000)
    ]
    rows += [
        {
            "task_id": uuid.uuid4(),
            "ppa_id": pid,
            "status": TaskStatus.COMPLETED if i < 3 else TaskStatus.IN_PROGRESS,
            "version": 1,
            "deleted": i == 9,  # a deleted task does not count
        }
        for i in range(10)
    ]
    session.execute(insert(PpaTaskProjection), rows)
    session.commit()
    session.execute(text("ANALYZE ppa_task_projection"))
    session.commit()
    engine = session.get_bind()
    with recorded_statements(engine) as recorded:
        assert recompute_progress(session, {pid}) == 1
        session.commit()
    statements = [(sql, params) for sql, params in recorded if "ppa_task_projection" in sql]
    assert progress(client, staff, pid) == 33  # 3 of the 9 live tasks
    assert len(statements) == 1
    sql, parameters = statements[0]
    with engine.connect() as connection:
        plan = "\n".join(connection.exec_driver_sql(f"EXPLAIN {sql}", parameters).scalars())
    assert "ix_ppa_task_projection__ppa_id_status" in plan, plan
    assert "Seq Scan on ppa_task_projection" not in plan, plan


def test_a_shuffled_duplicated_mix_ends_as_a_full_recount(client, staff, session, ppa):
    """Tasks created, completed, reopened, moved between PPAs, unlinked and deleted; every
    event delivered twice, in a random order. Each PPA ends with the progress its tasks'
    latest versions give, which a full recount then leaves as it is."""
    ppas = [uuid.UUID(ppa["id"]), uuid.UUID(create_ppa(client, staff, title="Second")["id"])]
    unknown = uuid.uuid4()
    randomness = random.Random(20)
    events: list[Event] = []
    latest: dict[uuid.UUID, tuple[uuid.UUID | None, str, bool]] = {}
    for _ in range(24):
        task = uuid.uuid4()
        history = []
        for version in range(1, randomness.randint(1, 5) + 1):
            kind = "created" if version == 1 else randomness.choice(["updated", "completed"])
            place = randomness.choice([*ppas, *ppas, unknown, None])
            status = (
                "completed"
                if kind == "completed"
                else randomness.choice(["not_started", "in_progress", "completed"])
            )
            history.append((kind, place, status, version))
        if randomness.random() < 0.25:
            _, place, status, version = history[-1]
            history.append(("deleted", place, status, version + 1))
        for kind, place, status, version in history:
            events.append(task_event(kind, task, place, status, version))
        _, place, status, _ = history[-1]
        latest[task] = (place, status, history[-1][0] == "deleted")
    delivered = events * 2
    randomness.shuffle(delivered)
    apply(session, *delivered)

    for pid in ppas:
        live = [status for place, status, gone in latest.values() if place == pid and not gone]
        expected = len([s for s in live if s == "completed"]) * 100 // len(live) if live else 0
        assert progress(client, staff, pid) == expected
    assert recompute_progress(session) == 0


def _statements_of(session, event: Event) -> list[str]:
    """The statements `event`'s handler sends (its history entry aside), then committed."""
    with recorded_statements(session.get_bind()) as recorded:
        apply_task_event(session, event)
    session.commit()
    return [sql for sql, _ in recorded if "record_history" not in sql]


def test_an_event_within_one_ppa_takes_two_statements(client, staff, session, ppa):
    """Recording the task and locking its PPA is one statement, the recount the other (and
    a changed progress its history entry): the 10 events of a PPA's creation queue behind
    each other on its lock, so a task completed right after waits for all their round
    trips. An open task of a PPA at 0 % cannot move it: no recount, one statement."""
    pid = ppa["id"]
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    expected = [
        (task_event("created", first, pid, "not_started", 1), 1, 0),
        (task_event("created", second, pid, "not_started", 1), 1, 0),
        (task_event("updated", second, pid, "in_progress", 2), 1, 0),
        (task_event("completed", first, pid, "completed", 2), 2, 50),
        # At 50 % a new open task lowers it: 1 of 3.
        (task_event("created", third, pid, "not_started", 1), 2, 33),
        (task_event("updated", first, pid, "in_progress", 3), 2, 0),
        # Back at 0 %, a deletion still counts: it may leave a completed task's share larger.
        (task_event("deleted", third, pid, "not_started", 2), 2, 0),
    ]
    for event, statements, progress_after in expected:
        assert len(_statements_of(session, event)) == statements, event.type
        assert progress(client, staff, pid) == progress_after, event.type


def test_skipped_recounts_leave_every_order_as_a_full_recount(client, staff, session, ppa):
    """Open tasks created, started, completed, reopened and deleted, every event delivered
    twice, in random orders: after each event the stored progress is what counting the
    tasks gives, whether the event recounted or was found unable to change it."""
    pid = uuid.UUID(ppa["id"])
    for seed in range(6):
        randomness = random.Random(seed)
        events: list[Event] = []
        for number in range(6):
            task = uuid.uuid4()
            statuses = ["not_started", "in_progress", "completed", "at_risk", "not_started"]
            path = randomness.sample(statuses, randomness.randint(1, 4))
            for version, status in enumerate(path, start=1):
                kind = "created" if version == 1 else "updated"
                events.append(task_event(kind, task, pid, status, version))
            if number % 3 == 0:
                events.append(task_event("deleted", task, pid, path[-1], len(path) + 1))
        delivered = events * 2
        randomness.shuffle(delivered)
        for event in delivered:
            apply(session, event)
            assert recompute_progress(session, {pid}) == 0, (seed, event)
            session.commit()


def test_deleting_an_open_task_can_lift_a_ppa_from_zero(client, staff, session, ppa):
    """1 completed of 101 is 0 % (floor); an open task deleted leaves 1 of 100, 1 %: a
    deletion at 0 % is counted, though the task was not completed."""
    pid = ppa["id"]
    open_tasks = [uuid.uuid4() for _ in range(100)]
    apply(session, task_event("created", uuid.uuid4(), pid, "completed", 1))
    apply(session, *(task_event("created", t, pid, "not_started", 1) for t in open_tasks))
    assert progress(client, staff, pid) == 0
    apply(session, task_event("deleted", open_tasks[0], pid, "not_started", 2))
    assert progress(client, staff, pid) == 1


def test_a_ppa_says_how_many_tasks_its_progress_counts(client, staff, session, ppa):
    """0 % of no tasks measures nothing: the PPA says none are linked (its pages then say
    "no tasks linked", the dashboard leaves it out of the average progress)."""
    pid = ppa["id"]
    assert (ppa["progress"], ppa["tasks_linked"]) == (0, 0)
    tasks = [uuid.uuid4() for _ in range(3)]
    apply(session, *(task_event("created", t, pid, "not_started", 1) for t in tasks))
    apply(session, task_event("deleted", tasks[0], pid, "not_started", 2))
    stored = get_ppa(client, staff, pid)
    assert (stored["progress"], stored["tasks_linked"]) == (0, 2)
    listed = client.get(PPAS, params={"q": "Tracked"}, headers=staff.headers).json()["items"]
    assert [item["tasks_linked"] for item in listed if item["id"] == pid] == [2]
