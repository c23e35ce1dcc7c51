"""What the tasks service does with other services' events.

Emitted (by tasks.service.announce): task.created, task.updated, task.completed,
task.deleted, each with the task id, status, related ids and its row version.

Consumed: a PPA's owners and title (ppa.created, ppa.updated) are kept for the task rules
(authz.py) and the exports (its tasks' "PPA");
PPA, assessment and calendar-event creation generate template tasks, assigned to the record's
owner (`OWNER_FIELDS`), and an event's move (event.updated) moves its open ones; an approval
step creates one review task, left unassigned (reviewing is managers' work, not the PPA
owner's); deleting a PPA, assessment or event leaves no task
pointing at it: auto-generated tasks nobody started are deleted, every other task is kept and
unlinked. Its own task.deleted removes the task's attached files (`handlers`: the worker's
storage), and its own export.requested runs the export job it announces; user.changed keeps
the people its exports name (`obcms_platform.people`).

Events of one subject may be handled at the same time (worker threads) or out of order (a
retried `ppa.created` or `ppa.updated` after its `ppa.deleted`). So the handlers of a PPA's,
an assessment's and a calendar event's events are guarded by the service's tombstones
(`obcms_platform.bus.tombstones`): each runs under the subject's lock, and once the subject's
deletion was handled none changes anything more (no tasks generated, no owners recorded).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from obcms_platform.attachments import removing_files
from obcms_platform.bus import Event
from obcms_platform.bus.consumer import Handler
from obcms_platform.contracts import (
    ASSESSMENT_CREATED,
    ASSESSMENT_DELETED,
    EVENT_CREATED,
    EVENT_DELETED,
    EVENT_UPDATED,
    EXPORT_REQUESTED,
    PPA_APPROVAL_CHANGED,
    PPA_CREATED,
    PPA_DELETED,
    PPA_UPDATED,
    TASK_CREATED,
    TASK_DELETED,
    TASK_UPDATED,
    USER_CHANGED,
    AssessmentCreated,
    CalendarEventChanged,
    CalendarEventCreated,
    EventPayload,
    PpaApprovalChanged,
    PpaChanged,
    PpaCreated,
)
from obcms_platform.export_jobs import ExportJobLimits, runner_in, running_jobs
from obcms_platform.formatting import label
from obcms_platform.history import because
from obcms_platform.people import directory_handler
from obcms_platform.storage import FileStorage
from tasks_service.attachments.models import TASK_FILES
from tasks_service.db import tombstones
from tasks_service.exports.service import TASK_EXPORTS
from tasks_service.people.models import Person
from tasks_service.ppa_owners import service as ppa_owners
from tasks_service.tasks.models import Task, TaskDomain, TaskPriority, TaskStatus
from tasks_service.tasks.service import announce, complete_all, remove
from tasks_service.templates.models import SubjectKind, TemplateGeneration
from tasks_service.templates.service import (
    KIND_WORDS,
    RELATED_FIELD,
    TemplateSubject,
    generate_from_template,
)

# Dates without a time ("today", "the event's day") are the office's dates.
OFFICE_TIMEZONE = ZoneInfo("Asia/Manila")

PPA_TEMPLATE_CATEGORIES = frozenset({"oobc_ppa", "moa_ppa"})
ASSESSMENT_TEMPLATES = {
    "desk_review": "mana_assessment_desk_review",
    "survey": "mana_assessment_survey",
    "participatory": "mana_assessment_participatory",
    "mixed": "mana_assessment_full_cycle",
}
ASSESSMENT_FALLBACK_TEMPLATE = "mana_assessment_basic"
EVENT_TEMPLATES = {
    "meeting": "event_meeting_standard",
    "workshop": "event_workshop_full",
    "conference": "event_conference_full",
}
# Approval stage -> (task title, days until due, priority).
APPROVAL_TASKS: dict[str, tuple[str, int, TaskPriority]] = {
    "technical_review": ("Technical review of {title}", 5, TaskPriority.HIGH),
    "budget_review": ("Budget review of {title}", 5, TaskPriority.HIGH),
    "stakeholder_consultation": ("Stakeholder consultation on {title}", 10, TaskPriority.HIGH),
    "executive_approval": ("Executive approval of {title}", 3, TaskPriority.CRITICAL),
}


def _date(value: date | datetime | None, event: Event) -> date:
    """The announced day (of a moment: in its own offset), else the day the event happened
    (office time)."""
    if isinstance(value, datetime):
        return value.date()
    if value is not None:
        return value
    return event.occurred_at.astimezone(OFFICE_TIMEZONE).date()


def _subject(kind: SubjectKind, event: Event, owner_id: uuid.UUID | None) -> TemplateSubject:
    if event.subject_id is None:
        raise ValueError(f"{event.type} event {event.id} has no subject_id")
    return TemplateSubject(kind=kind, id=event.subject_id, owner_id=owner_id)


Data = TypeVar("Data", bound=EventPayload)
SubjectHandler = Callable[[Session, Event, Data, TemplateSubject], None]


def _of_subject(
    kind: SubjectKind,
    payload: type[Data],
    owner: Callable[[Data], uuid.UUID | None] = lambda data: None,
) -> Callable[[SubjectHandler[Data]], Callable[[Session, Event], None]]:
    """A handler of a subject's event, given its `payload` and the subject (its generated
    tasks are assigned to the record's `owner`)."""

    def wrap(handler: SubjectHandler[Data]) -> Callable[[Session, Event], None]:
        def handle(session: Session, event: Event) -> None:
            data = payload.of(event)
            handler(session, event, data, _subject(kind, event, owner(data)))

        handle.__name__ = handler.__name__
        handle.__doc__ = handler.__doc__
        return handle

    return wrap


@_of_subject(SubjectKind.PPA, PpaCreated, owner=lambda data: data.lead_id or data.created_by)
def on_ppa_created(
    session: Session, event: Event, data: PpaCreated, subject: TemplateSubject
) -> None:
    if data.category not in PPA_TEMPLATE_CATEGORIES:
        return
    generate_from_template(
        session,
        "ppa_budget_cycle",
        subject,
        _date(data.start_date, event),
        {"ppa_title": data.title},
    )


# An assessment records no lead (yet): its tasks go to its creator.
@_of_subject(SubjectKind.ASSESSMENT, AssessmentCreated, owner=lambda data: data.created_by)
def on_assessment_created(
    session: Session, event: Event, data: AssessmentCreated, subject: TemplateSubject
) -> None:
    methodology = data.primary_methodology or ""
    generate_from_template(
        session,
        ASSESSMENT_TEMPLATES.get(methodology, ASSESSMENT_FALLBACK_TEMPLATE),
        subject,
        _date(data.planned_start_date, event),
        {"assessment_title": data.title},
    )


@_of_subject(
    SubjectKind.EVENT,
    CalendarEventCreated,
    owner=lambda data: data.organizer_id or data.created_by,
)
def on_calendar_event_created(
    session: Session, event: Event, data: CalendarEventCreated, subject: TemplateSubject
) -> None:
    template = EVENT_TEMPLATES.get(data.event_type or "")
    # The later half of a split series: its preparation tasks are the original's. Whoever
    # made the event may have asked for none.
    if template is None or data.split_from or not data.prepare_tasks:
        return
    generate_from_template(
        session,
        template,
        subject,
        _date(data.start, event),
        {"event_title": data.title},
    )


@_of_subject(SubjectKind.EVENT, CalendarEventChanged)
def on_calendar_event_changed(
    session: Session, event: Event, data: CalendarEventChanged, subject: TemplateSubject
) -> None:
    """An event's preparation tasks move with its day ("send invitations" three days before
    the meeting, wherever the meeting goes): each open one by the days the event moved, a
    due date someone changed keeping its distance. Completed ones stay as they were done."""
    if data.start is None:
        return  # announced by a release that did not say when
    moved_to = _date(data.start, event)
    generations = session.scalars(
        select(TemplateGeneration)
        .where(
            TemplateGeneration.subject_kind == SubjectKind.EVENT,
            TemplateGeneration.subject_id == subject.id,
        )
        .with_for_update()
    ).all()
    for generation in generations:
        if (
            data.version is not None
            and generation.subject_version is not None
            and data.version <= generation.subject_version
        ):
            continue  # an older announcement, handled late
        shift = moved_to - generation.base_date
        generation.base_date, generation.subject_version = moved_to, data.version
        if shift:
            _shift_open_tasks(session, generation.template_name, subject.id, shift, data.title)


def _shift_open_tasks(
    session: Session, template: str, event_id: uuid.UUID, shift: timedelta, title: str
) -> None:
    tasks = session.scalars(
        select(Task)
        .where(
            Task.created_from_template == template,
            Task.related_event_id == event_id,
            Task.status != TaskStatus.COMPLETED,
        )
        .with_for_update()
    ).all()
    with because(session, f"the event “{title}” moved"):
        for task in tasks:
            task.due_date = None if task.due_date is None else task.due_date + shift
            task.start_date = None if task.start_date is None else task.start_date + shift
            task.updated_by = None  # the service's change, not a person's
        session.flush()
    for task in tasks:
        announce(session, TASK_UPDATED, task)


@_of_subject(SubjectKind.PPA, PpaApprovalChanged)
def on_ppa_approval_changed(
    session: Session, event: Event, data: PpaApprovalChanged, subject: TemplateSubject
) -> None:
    if data.from_ in APPROVAL_TASKS:
        _close_review_tasks(session, subject.id, data.from_, data)
    if data.to not in APPROVAL_TASKS:
        return
    title, days, priority = APPROVAL_TASKS[data.to]
    task = Task(
        id=uuid.uuid4(),
        title=title.format(title=data.title or "PPA")[:300],
        description=data.note or "",
        domain=TaskDomain.PROJECT_CENTRAL,
        status=TaskStatus.NOT_STARTED,
        priority=priority,
        due_date=_date(data.changed_on, event) + timedelta(days=days),
        related_ppa_id=subject.id,
        auto_generated=True,
    )
    session.add(task)
    moved = f"the PPA “{data.title}”" if data.title else "its PPA"
    with because(session, f"generated as {moved} moved to {label(data.to).lower()}"):
        session.flush()
    announce(session, TASK_CREATED, task)


def _close_review_tasks(
    session: Session, ppa_id: uuid.UUID, stage: str, move: PpaApprovalChanged
) -> None:
    """The open tasks generated for the review stage a PPA left end with its decision (they
    stayed "Not started" on everyone's calendar): one nobody started is removed, a reminder
    whose purpose is gone (counted as done it would raise the PPA's delivery progress, 16 %
    for a PPA sent back to draft); one someone worked on is completed. Found by the stage's
    generated title; a task renamed since is left to its people. The approval's own record
    (who moved it, when, with what note) is the portfolio's."""
    generated_title = APPROVAL_TASKS[stage][0]
    opening = generated_title[: generated_title.index("{title}")]
    tasks = session.scalars(
        select(Task)
        .where(
            Task.related_ppa_id == ppa_id,
            Task.auto_generated.is_(True),
            Task.created_from_template.is_(None),
            Task.title.startswith(opening, autoescape=True),
            Task.status != TaskStatus.COMPLETED,
        )
        .with_for_update()
    ).all()
    moved = f"the PPA “{move.title}”" if move.title else "its PPA"
    with because(session, f"{moved} moved from {label(stage).lower()} to {label(move.to).lower()}"):
        for task in tasks:
            if task.status is TaskStatus.NOT_STARTED:
                remove(session, task)
        complete_all(session, [task for task in tasks if task.status is not TaskStatus.NOT_STARTED])


def on_ppa_owners_announced(session: Session, event: Event) -> None:
    """Keep the PPA owners projection (the task rules of authz.py and the exports read it)."""
    data = PpaChanged.of(event)
    if event.subject_id is None or data.owner_ids is None:
        return  # announced by a release that did not name owners
    ppa_owners.record(
        session, event.subject_id, data.owner_ids, event.occurred_at, title=data.title or None
    )


def on_ppa_created_event(session: Session, event: Event) -> None:
    on_ppa_owners_announced(session, event)
    on_ppa_created(session, event)


def on_ppa_deleted(session: Session, event: Event) -> None:
    unlink_ppa_tasks(session, event)
    if event.subject_id is not None:
        ppa_owners.forget(session, event.subject_id)


def _unlinker(kind: SubjectKind) -> Callable[[Session, Event], None]:
    field = RELATED_FIELD[kind]

    def on_deleted(session: Session, event: Event) -> None:
        subject = _subject(kind, event, None)
        # Read under the subject's lock (the tombstones' guard): every task a concurrent
        # creation made is committed and seen.
        tasks = session.scalars(
            select(Task).where(getattr(Task, field) == subject.id).with_for_update()
        ).all()
        title = (event.data or {}).get("title")
        named = f"the {KIND_WORDS[kind]} “{title}”" if title else f"its {KIND_WORDS[kind]}"
        with because(session, f"{named} was deleted"):
            for task in tasks:
                if task.auto_generated and task.status is TaskStatus.NOT_STARTED:
                    remove(session, task)
                else:
                    setattr(task, field, None)
                    task.updated_by = None  # the service's change, not a person's
                    session.flush()
                    announce(session, TASK_UPDATED, task)

    return on_deleted


unlink_ppa_tasks = _unlinker(SubjectKind.PPA)

HANDLERS: dict[str, Handler] = tombstones.guarding(
    {
        PPA_CREATED.name: on_ppa_created_event,
        PPA_UPDATED.name: on_ppa_owners_announced,
        PPA_APPROVAL_CHANGED.name: on_ppa_approval_changed,
        PPA_DELETED.name: on_ppa_deleted,
        ASSESSMENT_CREATED.name: on_assessment_created,
        ASSESSMENT_DELETED.name: _unlinker(SubjectKind.ASSESSMENT),
        EVENT_CREATED.name: on_calendar_event_created,
        EVENT_UPDATED.name: on_calendar_event_changed,
        EVENT_DELETED.name: _unlinker(SubjectKind.EVENT),
        USER_CHANGED.name: directory_handler(Person),  # the names its exports write
    },
    deletions=(PPA_DELETED, ASSESSMENT_DELETED, EVENT_DELETED),
)


def handlers(
    storage: FileStorage, export_limits: ExportJobLimits = ExportJobLimits()
) -> dict[str, Handler]:
    """Every handler of the worker: `HANDLERS`, a deleted task's files removed from
    `storage` (the service's own ``task.deleted``) and its export jobs run into it (its own
    ``export.requested``)."""
    return {
        **HANDLERS,
        TASK_DELETED.name: removing_files(storage, TASK_FILES),
        EXPORT_REQUESTED.name: running_jobs(
            runner_in(TASK_EXPORTS, storage, export_limits), TASK_EXPORTS.service
        ),
    }
