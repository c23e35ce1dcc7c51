"""Task request and response schemas."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    PlainValidator,
    ValidationInfo,
    computed_field,
    field_validator,
)

from obcms_platform.exports import Column, field, named
from obcms_platform.formatting import label
from obcms_platform.schemas import (
    ActivePersonId,
    KnownPersonId,
    LongText,
    PlausibleDate,
    RequestModel,
    ResponseModel,
    SearchText,
    TextWithoutNul,
    Title,
    UpdateModel,
    deduplicated,
)
from obcms_platform.vocabulary import Frequency
from obcms_platform.zones import office_today
from tasks_service.tasks.models import Task, TaskDomain, TaskPriority, TaskStatus

Hours = Annotated[float, Field(ge=0, le=100_000)]
RepeatInterval = Annotated[
    int, Field(ge=1, le=99, description="Every how many days, weeks, months or years.")
]
# The most ids a task's list holds (assignees, teams, tasks it waits for).
ID_LIST_MAX = 200
IdList = Annotated[list[uuid.UUID], Field(max_length=ID_LIST_MAX), AfterValidator(deduplicated)]
# Assignees named anew (a new task, a work list's change), and a task's assignees as an edit
# sends them back (keeping someone who has left since).
Assignees = Annotated[
    list[ActivePersonId], Field(max_length=ID_LIST_MAX), AfterValidator(deduplicated)
]
KeptAssignees = Annotated[
    list[KnownPersonId], Field(max_length=ID_LIST_MAX), AfterValidator(deduplicated)
]

RELATED_FIELDS = ("related_ppa_id", "related_assessment_id", "related_event_id")


class TaskCreate(RequestModel):
    title: Title
    description: LongText = ""
    domain: TaskDomain = TaskDomain.GENERAL
    status: TaskStatus = TaskStatus.NOT_STARTED
    priority: TaskPriority = TaskPriority.MEDIUM
    start_date: PlausibleDate | None = None
    due_date: PlausibleDate | None = None
    progress: Annotated[int, Field(ge=0, le=100)] = 0
    assignee_ids: Assignees = []
    team_ids: IdList = []
    related_ppa_id: uuid.UUID | None = None
    related_assessment_id: uuid.UUID | None = None
    related_event_id: uuid.UUID | None = None
    estimated_hours: Hours | None = None
    actual_hours: Hours | None = None
    depends_on: IdList = []
    repeats: Frequency | None = Field(
        default=None,
        description="How often the task repeats (it needs a due date): completed, it "
        "continues as a new task due on the rule's next date.",
    )
    repeat_interval: RepeatInterval = 1
    repeat_until: PlausibleDate | None = Field(
        default=None, description="No occurrence is due after this date."
    )


class TaskUpdate(UpdateModel):
    """Partial update: only the fields present change; null clears an optional field."""

    clearable: ClassVar[frozenset[str]] = frozenset(
        {
            "start_date",
            "due_date",
            "related_ppa_id",
            "related_assessment_id",
            "related_event_id",
            "estimated_hours",
            "actual_hours",
            "repeats",
            "repeat_until",
        }
    )

    title: Title | None = None
    description: LongText | None = None
    domain: TaskDomain | None = None
    status: TaskStatus | None = None
    priority: TaskPriority | None = None
    start_date: PlausibleDate | None = None
    due_date: PlausibleDate | None = None
    progress: Annotated[int, Field(ge=0, le=100)] | None = None
    assignee_ids: KeptAssignees | None = None
    team_ids: IdList | None = None
    related_ppa_id: uuid.UUID | None = None
    related_assessment_id: uuid.UUID | None = None
    related_event_id: uuid.UUID | None = None
    estimated_hours: Hours | None = None
    actual_hours: Hours | None = None
    depends_on: IdList | None = None
    repeats: Frequency | None = None
    repeat_interval: RepeatInterval | None = None
    repeat_until: PlausibleDate | None = None


class TaskRead(ResponseModel):
    id: uuid.UUID
    title: str
    description: str
    domain: TaskDomain
    status: TaskStatus
    priority: TaskPriority
    start_date: date | None
    due_date: date | None
    completed_at: datetime | None
    progress: int
    assignee_ids: list[uuid.UUID]
    team_ids: list[uuid.UUID]
    related_ppa_id: uuid.UUID | None
    related_assessment_id: uuid.UUID | None
    related_event_id: uuid.UUID | None
    created_from_template: str | None
    auto_generated: bool
    estimated_hours: float | None
    actual_hours: float | None
    depends_on: list[uuid.UUID]
    repeats: Frequency | None
    repeat_interval: int
    repeat_until: date | None
    previous_task_id: uuid.UUID | None = Field(description="The occurrence this one continues.")
    next_task_id: uuid.UUID | None = Field(
        description="The occurrence this one's completion created."
    )
    created_by: uuid.UUID | None
    # Whose request made the last change; null when the service did (a handler, generation).
    updated_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    version: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def is_overdue(self) -> bool:
        return (
            self.status is not TaskStatus.COMPLETED
            and self.due_date is not None
            and self.due_date < office_today()
        )


BULK_MAX_ITEMS = 200


class TaskVersion(RequestModel):
    """A task of a bulk change, at the version the caller last saw."""

    id: uuid.UUID
    version: Annotated[int, Field(ge=1)]


def _distinct_tasks(items: list[TaskVersion]) -> list[TaskVersion]:
    ids = [item.id for item in items]
    repeated = next((task_id for task_id in ids if ids.count(task_id) > 1), None)
    if repeated is not None:
        raise ValueError(f"task {repeated} is listed more than once")
    return items


PeopleToAdd = Annotated[
    list[ActivePersonId],
    Field(min_length=1, max_length=ID_LIST_MAX),
    AfterValidator(deduplicated),
]
PeopleToRemove = Annotated[
    list[uuid.UUID],
    Field(min_length=1, max_length=ID_LIST_MAX),
    AfterValidator(deduplicated),
]


BulkReason = Annotated[TextWithoutNul, Field(min_length=1, max_length=300)]


class TaskBulkChanges(UpdateModel):
    """What a work list changes on many tasks at once; null clears the due date.
    `assignee_ids` replaces each task's assignees; `add_assignee_ids` and
    `remove_assignee_ids` add or remove people and keep the others. A task already as asked
    (everyone to add assigned, nobody to remove) and with nothing else to change is left
    unchanged: no new version, no history entry, no event (its result says `changed: false`).
    """

    clearable: ClassVar[frozenset[str]] = frozenset({"due_date"})

    status: TaskStatus | None = None
    priority: TaskPriority | None = None
    due_date: PlausibleDate | None = None
    assignee_ids: Assignees | None = Field(
        default=None, description="The assignees of every task, replacing theirs."
    )
    add_assignee_ids: PeopleToAdd | None = Field(
        default=None, description="People added to every task's assignees (the others stay)."
    )
    remove_assignee_ids: PeopleToRemove | None = Field(
        default=None,
        description="People removed from every task's assignees (the others stay).",
    )

    @field_validator("add_assignee_ids", "remove_assignee_ids")
    @classmethod
    def _not_with_replacing(
        cls, people: list[uuid.UUID] | None, info: ValidationInfo
    ) -> list[uuid.UUID] | None:
        if people is not None and info.data.get("assignee_ids") is not None:
            raise ValueError("cannot be combined with assignee_ids, which replaces the assignees")
        added = info.data.get("add_assignee_ids") or ()
        both = next((person for person in people or () if person in added), None)
        if info.field_name == "remove_assignee_ids" and both is not None:
            raise ValueError(f"{both} is also in add_assignee_ids")
        return people


class TaskBulkUpdate(RequestModel):
    items: Annotated[
        list[TaskVersion],
        Field(min_length=1, max_length=BULK_MAX_ITEMS),
        AfterValidator(_distinct_tasks),
    ]
    changes: TaskBulkChanges
    reason: BulkReason | None = Field(
        default=None,
        description='Why ("handed over from Rashid Lidasan"): each changed task\'s history '
        "says it, and so does the notification of the people the change assigns; without "
        'it, "bulk change of N tasks".',
    )

    @field_validator("changes")
    @classmethod
    def _changes_something(cls, changes: TaskBulkChanges) -> TaskBulkChanges:
        if not changes.model_fields_set:
            raise ValueError("must name at least one of " + ", ".join(TaskBulkChanges.model_fields))
        return changes


class ItemError(BaseModel):
    code: str
    message: str
    field: str | None


class TaskBulkResult(BaseModel):
    """One task's outcome: the status a single PATCH of it would have answered."""

    id: str
    status: int
    task: TaskRead | None
    error: ItemError | None
    changed: bool = Field(
        description="Whether the task changed: false when refused, or already as asked "
        "(the people to add already assigned, those to remove not): then no new version, "
        "no history entry and no event."
    )


class TaskBulkResults(BaseModel):
    results: list[TaskBulkResult]


class TasksPermitted(BaseModel):
    """Of the tasks asked about, those the caller may change (start, complete, edit, take):
    a list offers its quick actions on those only."""

    update: list[uuid.UUID]


class TaskSort(StrEnum):
    DUE_DATE = "due_date"
    DUE_DATE_DESC = "-due_date"
    PRIORITY = "priority"
    PRIORITY_DESC = "-priority"
    CREATED_AT = "created_at"
    CREATED_AT_DESC = "-created_at"
    UPDATED_AT_DESC = "-updated_at"
    TITLE = "title"
    TITLE_DESC = "-title"
    # By the work's progress: not started, in progress, at risk, completed.
    STATUS = "status"
    STATUS_DESC = "-status"


class DueShortcut(StrEnum):
    """Due-date windows a work list asks for, counted in the asker's today (as `overdue`)."""

    TODAY = "today"
    WEEK = "week"  # today and the six days after it
    OVERDUE = "overdue"  # open and due before today


AssigneeKeyword = Literal["me", "none"]


def _assignee(value: object) -> uuid.UUID | AssigneeKeyword:
    if isinstance(value, uuid.UUID):
        return value
    if value == "me":
        return "me"
    if value == "none":
        return "none"
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ValueError("must be a user id, 'me' or 'none'") from None


# One validator rather than a union, so that an error names `assignee`, not `assignee.uuid`.
Assignee = Annotated[
    uuid.UUID | AssigneeKeyword,
    PlainValidator(_assignee, json_schema_input_type=uuid.UUID | AssigneeKeyword),
]


class TaskFilters(BaseModel):
    """Every list filter of API.md; all combine with AND, repeated values within one OR."""

    id: Annotated[list[uuid.UUID], Field(max_length=200)] = []
    domain: list[TaskDomain] = []
    status: list[TaskStatus] = []
    priority: list[TaskPriority] = []
    assignee: Assignee | None = Field(
        None,
        description="a user id or `me`: assigned to that person directly or through a team "
        "they are in (unless `assigned_directly`); `none`: no person and no team assigned",
    )
    assigned_directly: bool = Field(
        False,
        description="with `assignee` (a user id or `me`): only the tasks assigned to that "
        "person themselves, not those listed through their teams",
    )
    team: uuid.UUID | None = None
    related_ppa_id: uuid.UUID | None = None
    related_assessment_id: uuid.UUID | None = None
    related_event_id: uuid.UUID | None = None
    due_after: PlausibleDate | None = None
    due_before: PlausibleDate | None = None
    overdue: bool | None = None
    due: DueShortcut | None = None
    auto_generated: bool | None = None
    created_from_template: TextWithoutNul | None = None
    q: SearchText | None = None
    sort: TaskSort = TaskSort.DUE_DATE


def template_name(name: str | None) -> str | None:
    """The name of the template a task was made from, as people read it ("Meeting
    (standard)"); None for a task made by hand."""
    return label(name) if name else None


# Who created a generated task, in the export: no one did (the Template column names it).
GENERATED_BY = "Generated from a template"


def _made_by_template(task: Task) -> str | None:
    return GENERATED_BY if task.auto_generated else None


# The columns of the task list's export; people, teams and the PPA by name (the PPA's id kept
# for the integrations that read it). The tasks service knows no event's or assessment's
# title (it keeps no projection of them, only of PPAs'): those stay ids.
TASK_EXPORT_COLUMNS = (
    field("title", "Title"),
    field("domain", "Domain"),
    field("status", "Status"),
    field("priority", "Priority"),
    field("start_date", "Start date"),
    field("due_date", "Due date"),
    field("completed_at", "Completed"),
    field("progress", "Progress (%)"),
    named("assignee_ids", "Assignees"),
    named("team_ids", "Teams"),
    named("related_ppa_id", "PPA"),
    field("related_ppa_id", "PPA id"),
    field("related_assessment_id", "Assessment id"),
    field("related_event_id", "Event id"),
    Column("Template", lambda task: template_name(task.created_from_template)),
    field("auto_generated", "Generated"),
    field("estimated_hours", "Estimated hours"),
    field("actual_hours", "Actual hours"),
    field("depends_on", "Waits for (task ids)"),
    field("repeats", "Repeats"),
    field("repeat_interval", "Repeat interval"),
    field("repeat_until", "Repeats until"),
    field("description", "Description"),
    field("id", "Task id"),
    Column("Created by", lambda task: task.created_by or _made_by_template(task), names_ids=True),
    field("created_at", "Created"),
    field("updated_at", "Updated"),
)
