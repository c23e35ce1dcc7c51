"""The tasks service's event handlers, called directly with events built from the contracts:
a new PPA gets its budget-cycle tasks, a deleted one leaves none it generated and a tombstone,
and late or repeated events change nothing more: no task generated, no owner brought back
to work on the PPA's tasks."""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from obcms_platform.bus import Event
from obcms_platform.bus.consumer import EventConsumer, Outcome
from obcms_platform.contracts import (
    PPA_CREATED,
    PPA_DELETED,
    PPA_UPDATED,
    TASK_CREATED,
    TASK_DELETED,
    EventContract,
    EventPayload,
    PpaChanged,
    PpaCreated,
    RecordDeleted,
    TaskChanged,
)
from obcms_platform.db import Database
from obcms_platform.testing import Caller, assert_error
from obcms_platform.vocabulary import SubjectKind
from tasks_service.db import bus, tombstones
from tasks_service.events import HANDLERS
from tasks_service.ppa_owners.models import PpaOwners
from tasks_service.tasks.models import Task, TaskStatus
from tasks_service.templates.service import get_template

from .helpers import TASKS, create

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
    assert tombstones.buried(session, SubjectKind.PPA, ppa_id)


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


def _ppa_updated(ppa_id: uuid.UUID, owner: uuid.UUID, at: dt.datetime) -> Event:
    payload = PpaChanged(title="Farm-to-market road, phase 2", owner_ids=[owner])
    return _event(PPA_UPDATED, payload, ppa_id).model_copy(update={"occurred_at": at})


def _consumed(database: Database, *events: Event) -> None:
    """`events` handled by the worker's consumer, in the order given."""
    consumer = EventConsumer("tasks", database, bus, HANDLERS)
    for event in events:
        assert consumer.handle(event.model_dump(mode="json")) is Outcome.HANDLED


def _may_link(client: TestClient, caller: Caller, ppa_id: uuid.UUID) -> bool:
    """Whether `caller` may link a new task to the PPA (its owners may)."""
    response = client.post(
        TASKS, json={"title": "Survey", "related_ppa_id": str(ppa_id)}, headers=caller.headers
    )
    if response.status_code == 201:
        return True
    assert_error(response, 403)
    return False


def test_an_update_handled_after_the_ppas_deletion_makes_no_one_its_owner_again(
    client: TestClient, database: Database, session: Session, staff: Caller
) -> None:
    """A ppa.updated announced before the deletion but handled after it (a retry)."""
    ppa_id = uuid.uuid4()
    created = _ppa_created(ppa_id, staff.user_id)
    updated = _ppa_updated(ppa_id, staff.user_id, created.occurred_at + dt.timedelta(seconds=1))
    _consumed(database, created)
    assert _may_link(client, staff, ppa_id)

    _consumed(database, _ppa_deleted(ppa_id), updated)

    assert session.get(PpaOwners, ppa_id) is None
    assert not _may_link(client, staff, ppa_id)


def test_a_deletion_handled_before_the_ppas_creation_still_wins(
    client: TestClient, database: Database, session: Session, staff: Caller
) -> None:
    ppa_id = uuid.uuid4()
    created = _ppa_created(ppa_id, staff.user_id)
    _consumed(database, _ppa_deleted(ppa_id), created)
    assert session.get(PpaOwners, ppa_id) is None
    assert _tasks_of(session, ppa_id) == []
    assert not _may_link(client, staff, ppa_id)
    # A task of no PPA is still theirs to make.
    create(client, staff)
