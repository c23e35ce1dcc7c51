"""Task templates and `generate_from_template`. Functions take a session and never commit."""

from __future__ import annotations

import string
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from obcms_platform.contracts import TASK_CREATED
from obcms_platform.errors import ConflictError, InvalidInputError, NotFoundError
from obcms_platform.history import because
from obcms_platform.records import insert_row
from obcms_platform.schemas import EARLIEST_DATE, LATEST_DATE
from obcms_platform.vocabulary import TEMPLATE_PLACEHOLDERS
from obcms_platform.zones import office_today
from tasks_service.tasks.models import Task, TaskStatus
from tasks_service.tasks.service import announce_all
from tasks_service.templates.models import (
    SubjectKind,
    TaskTemplate,
    TaskTemplateItem,
    TemplateGeneration,
)
from tasks_service.templates.schemas import TemplateBody, TemplateCreate, TemplateItemIn

RELATED_FIELD = {
    SubjectKind.PPA: "related_ppa_id",
    SubjectKind.ASSESSMENT: "related_assessment_id",
    SubjectKind.EVENT: "related_event_id",
}


@dataclass(frozen=True)
class TemplateSubject:
    """The record generated tasks hang off (a PPA, an assessment or a calendar event)."""

    kind: SubjectKind
    id: uuid.UUID
    # Who the record's generated tasks are assigned to (template items name no one).
    owner_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Generation:
    created: bool
    tasks: list[Task]
    base_date: date  # the one the tasks were generated from (the first call's on a repeat)


def list_templates(session: Session, active: bool | None = None) -> list[TaskTemplate]:
    statement = select(TaskTemplate).order_by(TaskTemplate.name)
    if active is not None:
        statement = statement.where(TaskTemplate.is_active.is_(active))
    return list(session.scalars(statement))


def get_template(session: Session, name: str, *, for_update: bool = False) -> TaskTemplate:
    statement = select(TaskTemplate).where(TaskTemplate.name == name)
    if for_update:
        statement = statement.with_for_update()
    template = session.scalar(statement)
    if template is None:
        raise NotFoundError("task template", name)
    return template


def create_template(session: Session, data: TemplateCreate) -> TaskTemplate:
    if session.scalar(select(TaskTemplate.id).where(TaskTemplate.name == data.name)):
        raise ConflictError(f"name: template {data.name!r} already exists", field="name")
    template = TaskTemplate(name=data.name)
    _apply_body(template, data)
    insert_row(session, template)
    return template


def replace_template(session: Session, name: str, body: TemplateBody) -> tuple[TaskTemplate, bool]:
    """PUT semantics: replace the template with `body`, creating it when missing."""
    existing = session.scalar(
        select(TaskTemplate).where(TaskTemplate.name == name).with_for_update()
    )
    if existing is None:
        return create_template(session, TemplateCreate(name=name, **body.model_dump())), True
    existing.items.clear()
    session.flush()
    _apply_body(existing, body)
    session.flush()
    session.refresh(existing)
    return existing, False


def delete_template(session: Session, name: str) -> None:
    """Generated tasks stay; they keep the template's name in `created_from_template`."""
    session.delete(get_template(session, name, for_update=True))
    session.flush()


def _ensure_due_dates_plausible(template: TaskTemplate, base_date: date) -> None:
    """Every task's due date within the dates any record takes (`PlausibleDate`'s)."""
    offsets = [item.days_from_start for item in template.items] or [0]
    first, last = (base_date + timedelta(days=days) for days in (min(offsets), max(offsets)))
    if first < EARLIEST_DATE or last > LATEST_DATE:
        raise InvalidInputError(
            f"base_date: the template's tasks would be due from {first} to {last}; due dates "
            f"must be between {EARLIEST_DATE} and {LATEST_DATE}",
            field="base_date",
        )


def generate_from_template(
    session: Session,
    name: str,
    subject: TemplateSubject,
    base_date: date,
    context: Mapping[str, str] | None = None,
) -> Generation:
    """Create the template's tasks for `subject`, once.

    Idempotent per (template, subject): the generation record's unique key decides, so a
    redelivered or concurrent trigger waits for the first and then creates nothing.
    """
    template = get_template(session, name)
    if not template.is_active:
        raise ConflictError(f"task template {name!r} is inactive", field="name")
    _ensure_due_dates_plausible(template, base_date)
    claimed = session.scalar(
        insert(TemplateGeneration)
        .values(
            id=uuid.uuid4(),
            template_name=name,
            subject_kind=subject.kind,
            subject_id=subject.id,
            base_date=base_date,
            task_count=len(template.items),
        )
        .on_conflict_do_nothing(index_elements=["template_name", "subject_kind", "subject_id"])
        .returning(TemplateGeneration.id)
    )
    related_field = RELATED_FIELD[subject.kind]
    if claimed is None:
        first_base_date = session.scalar(
            select(TemplateGeneration.base_date).where(
                TemplateGeneration.template_name == name,
                TemplateGeneration.subject_kind == subject.kind,
                TemplateGeneration.subject_id == subject.id,
            )
        )
        existing = session.scalars(
            select(Task)
            .where(
                Task.created_from_template == name,
                getattr(Task, related_field) == subject.id,
            )
            .order_by(Task.due_date, Task.id)
        )
        return Generation(
            created=False, tasks=list(existing), base_date=first_base_date or base_date
        )
    given = {key: value for key, value in (context or {}).items() if value and value.strip()}
    values = {**TEMPLATE_PLACEHOLDERS, **given}
    today = office_today()
    tasks = [
        Task(
            id=uuid.uuid4(),
            title=render(item.title, values)[:300],
            description=render(item.description, values),
            domain=template.domain,
            status=TaskStatus.NOT_STARTED,
            priority=item.priority,
            due_date=_due(base_date, item.days_from_start, today),
            estimated_hours=item.estimated_hours,
            created_from_template=name,
            auto_generated=True,
            assignee_ids=[] if subject.owner_id is None else [subject.owner_id],
            **{related_field: subject.id},
        )
        for item in template.items
    ]
    with because(session, f"generated from {subject_words(subject.kind, given)}"):
        session.add_all(tasks)
        session.flush()
    announce_all(session, TASK_CREATED, tasks)
    return Generation(created=True, tasks=tasks, base_date=base_date)


def _due(base_date: date, days_from_start: int, today: date) -> date:
    """When a template's task is due: `days_from_start` after the base date; one due before it
    (an agenda circulated three days before a meeting planned for tomorrow) is due today at
    the earliest, not born overdue."""
    due = base_date + timedelta(days=days_from_start)
    return max(due, today) if days_from_start < 0 else due


# A subject as a sentence names it (its activity is read by people: no ids).
KIND_WORDS = {
    SubjectKind.PPA: "PPA",
    SubjectKind.ASSESSMENT: "assessment",
    SubjectKind.EVENT: "event",
}


def subject_words(kind: SubjectKind, context: Mapping[str, str]) -> str:
    """ "the PPA “Road to Barangay X”" (its title from the template's `context`), else "a
    PPA"."""
    title = next((value for name, value in context.items() if name.endswith("_title")), None)
    return f"the {KIND_WORDS[kind]} “{title}”" if title else f"a {KIND_WORDS[kind]}"


def render(text: str, values: Mapping[str, str]) -> str:
    return string.Formatter().vformat(text, (), values)


def _apply_body(template: TaskTemplate, body: TemplateBody) -> None:
    template.domain = body.domain
    template.description = body.description
    template.is_active = body.is_active
    template.items = [_item(index, item) for index, item in enumerate(body.items)]


def _item(index: int, item: TemplateItemIn) -> TaskTemplateItem:
    for field in ("title", "description"):
        _check_placeholders(getattr(item, field), f"items[{index}].{field}")
    return TaskTemplateItem(
        sequence=index + 1,
        title=item.title,
        description=item.description,
        priority=item.priority,
        estimated_hours=None
        if item.estimated_hours is None
        else Decimal(str(item.estimated_hours)),
        days_from_start=item.days_from_start,
    )


def _check_placeholders(text: str, field: str) -> None:
    try:
        fields = [
            (name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(text)
            if name is not None
        ]
    except ValueError as exc:
        raise InvalidInputError(
            f"{field}: {exc} (write literal braces as {{{{ }}}})", field=field
        ) from exc
    # Only plain {name}: a format spec or conversion ({x:d}, {x!r}, {x:{y}}) would be stored
    # and then break or garble every later generation.
    formatted = [name for name, spec, conversion in fields if spec or conversion]
    if formatted:
        raise InvalidInputError(
            f"{field}: placeholder {{{formatted[0]}}} may not have a format or conversion",
            field=field,
        )
    unknown = [name for name, _, _ in fields if name not in TEMPLATE_PLACEHOLDERS]
    if unknown:
        allowed = ", ".join("{" + key + "}" for key in TEMPLATE_PLACEHOLDERS)
        raise InvalidInputError(
            f"{field}: unknown placeholder {{{unknown[0]}}}; allowed: {allowed}", field=field
        )
