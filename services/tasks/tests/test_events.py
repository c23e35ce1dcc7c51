"""The tasks service's event handlers, called directly with events built from the contracts:
a new PPA gets its budget-cycle tasks, a deleted one leaves none it generated and a tombstone,
and late or repeated events change nothing more."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from obcms_platform.bus import Event
from obcms_platform.contracts import (
    PPA_CREATED,
    PPA_DELETED,
    TASK_CREATED,
    TASK_DELETED,
    EventContract,
    EventPayload,
    PpaCreated,
    RecordDeleted,
    TaskChanged,
)
from obcms_platform.vocabulary import SubjectKind
from tasks_service.db import bus
from tasks_service.events import HANDLERS
from tasks_service.tasks.models import Task, TaskStatus
from tasks_service.templates.service import get_template
from tasks_service.tombstones import DeletedSubject

PPA_TEMPLATE = "ppa_budget_cycle"


def _event(
    contract: EventContract[EventPayload], payload: EventPayload, subject: uuid.UUID
) -> Event:
    return Event.new(contract.name, producer="portfolio", subject_id=subject, data=payload.data())


def _ppa_created(ppa_id: uuid.UUID, lead: uuid.UUID) -> Event:
    payload = PpaCreated(
        title="Farm-to-market road",
        category="oobc_ppa",
        status="planning",
        start_date=dt.date(2026, 3, 2),
        fiscal_year=2026,
        owner_ids=[lead],
        lead_id=lead,
    )
    return _event(PPA_CREATED, payload, ppa_id)


def _ppa_deleted(ppa_id: uuid.UUID) -> Event:
    return _event(PPA_DELETED, RecordDeleted(title="Farm-to-market road"), ppa_id)


def _handle(session: Session, event: Event) -> None:
    HANDLERS[event.type](session, event)
    session.commit()


def _tasks_of(session: Session, ppa_id: uuid.UUID) -> list[Task]:
    return list(session.scalars(select(Task).where(Task.related_ppa_id == ppa_id)))


def _announced(session: Session, contract: EventContract[TaskChanged]) -> list[TaskChanged]:
    rows = session.execute(
        select(bus.outbox.c.payload).where(bus.outbox.c.event_type == contract.name)
    ).scalars()
    return [TaskChanged.of(Event.model_validate(row)) for row in rows]


def test_a_new_ppa_gets_its_budget_cycle_tasks_assigned_to_its_lead(session: Session) -> None:
    ppa_id, lead = uuid.uuid4(), uuid.uuid4()
    _handle(session, _ppa_created(ppa_id, lead))
    tasks = _tasks_of(session, ppa_id)
    assert len(tasks) == len(get_template(session, PPA_TEMPLATE).items) > 0
    assert {tuple(task.assignee_ids) for task in tasks} == {(lead,)}
    assert min(task.due_date for task in tasks if task.due_date) >= dt.date(2026, 3, 2)
    # Each is announced, so the portfolio counts it towards the PPA's progress.
    announced = _announced(session, TASK_CREATED)
    assert {data.task_id for data in announced} == {task.id for task in tasks}
    assert {data.related_ppa_id for data in announced} == {ppa_id}


def test_a_deleted_ppa_leaves_no_untouched_generated_task_and_a_tombstone(
    session: Session,
) -> None:
    ppa_id = uuid.uuid4()
    _handle(session, _ppa_created(ppa_id, uuid.uuid4()))
    started, *untouched = _tasks_of(session, ppa_id)
    started.status = TaskStatus.IN_PROGRESS
    session.commit()

    _handle(session, _ppa_deleted(ppa_id))

    assert _tasks_of(session, ppa_id) == []
    remaining = session.scalars(select(Task.id)).all()
    assert remaining == [started.id]  # kept, no longer linked to the PPA
    deleted = {data.task_id for data in _announced(session, TASK_DELETED)}
    assert deleted == {task.id for task in untouched}
    assert session.get(DeletedSubject, (SubjectKind.PPA, ppa_id)) is not None


def test_a_creation_arriving_after_the_deletion_generates_nothing(session: Session) -> None:
    ppa_id = uuid.uuid4()
    _handle(session, _ppa_deleted(ppa_id))
    _handle(session, _ppa_created(ppa_id, uuid.uuid4()))
    assert _tasks_of(session, ppa_id) == []
    assert _announced(session, TASK_CREATED) == []


def test_a_creation_delivered_twice_generates_once(session: Session) -> None:
    ppa_id = uuid.uuid4()
    created = _ppa_created(ppa_id, uuid.uuid4())
    _handle(session, created)
    first = {task.id for task in _tasks_of(session, ppa_id)}
    _handle(session, created)
    assert {task.id for task in _tasks_of(session, ppa_id)} == first
    assert len(_announced(session, TASK_CREATED)) == len(first)
