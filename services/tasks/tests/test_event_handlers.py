"""The tasks service's handling of calendar events: a new meeting gets its preparation
tasks, which move with it; the later half of a split series ("this and following") gets none
of its own."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from obcms_platform.bus import Event
from obcms_platform.testing.service_probes import recorded_statements
from tasks_service.db import bus
from tasks_service.events import HANDLERS
from tasks_service.tasks.models import Task, TaskStatus


def _meeting_created(split_from: uuid.UUID | None = None, **extra: object) -> Event:
    return Event.new(
        "event.created",
        producer="calendar",
        subject_id=uuid.uuid4(),
        data={
            "title": "Weekly coordination",
            "event_type": "meeting",
            "start": "2026-12-14T09:00:00+08:00",
            "split_from": str(split_from) if split_from else None,
            **extra,
        },
    )


def _tasks_of(session: Session, event: Event) -> int:
    return session.scalar(
        select(func.count()).select_from(Task).where(Task.related_event_id == event.subject_id)
    )


def test_a_new_meeting_gets_its_preparation_tasks(session: Session) -> None:
    event = _meeting_created()
    HANDLERS["event.created"](session, event)
    session.flush()
    assert _tasks_of(session, event) == 8  # event_meeting_standard


def test_the_later_half_of_a_split_series_gets_no_second_set(session: Session) -> None:
    event = _meeting_created(split_from=uuid.uuid4())
    HANDLERS["event.created"](session, event)
    session.flush()
    assert _tasks_of(session, event) == 0


def test_a_meeting_made_without_preparation_tasks_gets_none(session: Session) -> None:
    event = _meeting_created(prepare_tasks=False)
    HANDLERS["event.created"](session, event)
    session.flush()
    assert _tasks_of(session, event) == 0


# --- generated tasks are owned --------------------------------------------------------------


def _created(kind: str, **data: object) -> Event:
    return Event.new(
        kind,
        producer="test",
        subject_id=uuid.uuid4(),
        data={
            name: str(value) if isinstance(value, uuid.UUID) else value
            for name, value in data.items()
        },
    )


def _assignees(session: Session, column: object, event: Event) -> set[tuple[uuid.UUID, ...]]:
    """The distinct assignee lists of the subject's tasks (empty when it has no tasks)."""
    rows = session.scalars(select(Task.assignee_ids).where(column == event.subject_id))
    return {tuple(ids) for ids in rows}


def test_a_ppas_generated_tasks_go_to_its_lead_else_its_creator(session: Session) -> None:
    lead, creator = uuid.uuid4(), uuid.uuid4()
    led = _created(
        "ppa.created", title="Road", category="oobc_ppa", lead_id=lead, created_by=creator
    )
    unled = _created(
        "ppa.created", title="Bridge", category="moa_ppa", lead_id=None, created_by=creator
    )
    for event in (led, unled):
        HANDLERS["ppa.created"](session, event)
    session.flush()
    led_tasks = _assignees(session, Task.related_ppa_id, led)
    assert led_tasks == {(lead,)}
    unled_tasks = _assignees(session, Task.related_ppa_id, unled)
    assert unled_tasks == {(creator,)}


def test_an_assessments_generated_tasks_go_to_its_creator(session: Session) -> None:
    creator = uuid.uuid4()
    event = _created(
        "assessment.created", title="Survey", primary_methodology="survey", created_by=creator
    )
    HANDLERS["assessment.created"](session, event)
    session.flush()
    tasks = _assignees(session, Task.related_assessment_id, event)
    assert tasks == {(creator,)}


def test_an_events_generated_tasks_go_to_its_organizer_else_its_creator(session: Session) -> None:
    organizer, creator = uuid.uuid4(), uuid.uuid4()
    start = "2026-12-14T09:00:00+08:00"
    organized = _created(
        "event.created",
        event_type="meeting",
        start=start,
        organizer_id=organizer,
        created_by=creator,
    )
    unorganized = _created(
        "event.created", event_type="workshop", start=start, organizer_id=None, created_by=creator
    )
    for event in (organized, unorganized):
        HANDLERS["event.created"](session, event)
    session.flush()
    tasks = _assignees(session, Task.related_event_id, organized)
    assert tasks == {(organizer,)}
    tasks = _assignees(session, Task.related_event_id, unorganized)
    assert tasks == {(creator,)}


def test_an_announcement_naming_no_one_leaves_the_tasks_unassigned(session: Session) -> None:
    # Announced by a release before owners were named (or naming something not an id).
    event = _created("ppa.created", title="Old", category="oobc_ppa", lead_id="not-an-id")
    HANDLERS["ppa.created"](session, event)
    session.flush()
    tasks = _assignees(session, Task.related_ppa_id, event)
    assert tasks == {()}


def test_a_generation_announces_its_ten_tasks_in_one_outbox_statement(session: Session) -> None:
    event = _created("ppa.created", title="Road", category="oobc_ppa", created_by=uuid.uuid4())
    with recorded_statements(session.get_bind()) as recorded:
        HANDLERS["ppa.created"](session, event)
        session.flush()
    assert len([sql for sql, _ in recorded if "INSERT INTO bus_outbox" in sql]) == 1
    announced = session.execute(
        select(bus.outbox.c.payload).where(bus.outbox.c.event_type == "task.created")
    ).scalars()
    assert sorted(Event.model_validate(payload).subject_id for payload in announced) == sorted(
        session.scalars(select(Task.id).where(Task.related_ppa_id == event.subject_id))
    )


# --- preparation tasks move with their event ------------------------------------------------


def _meeting_moved(created: Event, start: str, version: int) -> Event:
    return Event.new(
        "event.updated",
        producer="calendar",
        subject_id=created.subject_id,
        data={
            "title": "Weekly coordination",
            "event_type": "meeting",
            "start": start,
            "version": version,
        },
    )


def _due_dates(session: Session, event: Event) -> dict[uuid.UUID, date | None]:
    rows = session.execute(
        select(Task.id, Task.due_date).where(Task.related_event_id == event.subject_id)
    )
    return {task_id: due for task_id, due in rows}


def test_an_events_open_preparation_tasks_move_with_it(session: Session) -> None:
    created = _meeting_created()  # Mon 14 Dec 2026
    HANDLERS["event.created"](session, created)
    session.flush()
    tasks = session.scalars(
        select(Task).where(Task.related_event_id == created.subject_id).order_by(Task.due_date)
    ).all()
    done, rescheduled = tasks[0], tasks[1]
    done.status, done.completed_at = TaskStatus.COMPLETED, datetime.now(UTC)
    assert rescheduled.due_date is not None
    rescheduled.due_date += timedelta(days=1)  # someone gave it a day more
    session.flush()
    before = _due_dates(session, created)

    HANDLERS["event.updated"](session, _meeting_moved(created, "2026-12-17T09:00:00+08:00", 2))
    session.flush()
    session.expire_all()

    after = _due_dates(session, created)
    assert after[done.id] == before[done.id]  # done as it was done
    for task_id, due in before.items():
        if task_id != done.id:
            assert due is not None
            assert after[task_id] == due + timedelta(days=3), task_id


def test_a_late_older_announcement_of_an_event_moves_nothing(session: Session) -> None:
    created = _meeting_created()
    HANDLERS["event.created"](session, created)
    session.flush()
    HANDLERS["event.updated"](session, _meeting_moved(created, "2026-12-21T09:00:00+08:00", 3))
    session.flush()
    latest = _due_dates(session, created)

    HANDLERS["event.updated"](session, _meeting_moved(created, "2026-12-17T09:00:00+08:00", 2))
    HANDLERS["event.updated"](session, _meeting_moved(created, "2026-12-21T11:00:00+08:00", 4))
    session.flush()
    session.expire_all()

    assert _due_dates(session, created) == latest
