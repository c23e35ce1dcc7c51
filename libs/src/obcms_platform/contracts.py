"""Event contracts: the name and payload model of every event type on the bus, declared once.

Producers publish a payload model (`Outbox.add(session, PPA_CREATED, PpaCreated(...), ...)`),
built from the record it announces (`PpaCreated.of_record(ppa, ...)`) when it copies one;
consumers read one back (`PpaCreated.of(event)`). On the wire nothing changes: the envelope's
``data`` is the model dumped to JSON (dates and ids as ISO strings and text, date-times as
Python's ``isoformat``), so releases before and after this module interoperate.

Consumers accept what older releases sent (outbox rows written by them may still be
relayed): unknown fields are ignored, and the fields of the consumed types default to what
the consumers read before for a missing key. A payload that does not validate raises
pydantic's ``ValidationError``: the worker dead-letters it at once as a poison message.

Codes of the domain's vocabularies travel as plain strings: a code a consumer's release does
not know yet must not make a poison message of the event (task status, which the portfolio
projection stores, is the exception and has always been checked).

A new event type: its payload model here, its `EventContract` constant, its entry in
`CONTRACTS`; then its producer's publishing call (its family in the producer's registry
entry) and, for a consumer, its routing key in the registry and its handler.
`tests/test_event_contracts.py` checks they agree.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Generic, Self, TypeVar

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from obcms_platform.auth.tokens import Role
from obcms_platform.records import model_of
from obcms_platform.vocabulary import TaskStatus

if TYPE_CHECKING:  # the bus's outbox imports this module
    from obcms_platform.bus.envelope import Event


class EventPayload(BaseModel):
    """The ``data`` of an event of some type."""

    model_config = ConfigDict(frozen=True, extra="ignore", validate_by_name=True)

    @classmethod
    def of(cls, event: Event) -> Self:
        """The event's data as this payload; raises ValidationError (a poison message)."""
        return cls.model_validate(event.data)

    @classmethod
    def of_record(cls, record: object, **values: Any) -> Self:
        """The payload announcing `record` (`records.model_of`: its attributes by field name,
        but the `values` given, such as the record's id under the payload's name)."""
        return model_of(cls, record, **values)

    def data(self) -> dict[str, Any]:
        """The envelope's ``data``: what producers sent before this module existed."""
        return self.model_dump(mode="json", by_alias=True)


Payload = TypeVar("Payload", bound=EventPayload)
# Covariant: a type whose payload extends another's (`ppa.created`'s extends `ppa.updated`'s)
# may be passed where the other is expected; the outbox checks the payload's exact model.
PayloadCo = TypeVar("PayloadCo", bound=EventPayload, covariant=True)


@dataclass(frozen=True)
class EventContract(Generic[PayloadCo]):
    """An event type: its routing key and its payload model. Its publisher is the service
    whose registry entry (`obcms_platform.registry`) publishes the key's family."""

    name: str
    payload: type[PayloadCo]

    @property
    def family(self) -> str:
        """``ppa`` of ``ppa.created``: what the registry and the topic patterns name."""
        return self.name.partition(".")[0]


def _id_or_none(value: object) -> object:
    """An owner a consumer cannot read names no one: a producer's slip must not stop the
    tasks being generated."""
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


OwnerId = Annotated[uuid.UUID | None, BeforeValidator(_id_or_none)]
# A moment with its offset as the producer wrote it (`start[:10]` is the local day); pydantic
# would write a UTC offset as ``Z``.
IsoDateTime = Annotated[dt.datetime, PlainSerializer(dt.datetime.isoformat, return_type=str)]


# --- tasks --------------------------------------------------------------------------------


class TaskChanged(EventPayload):
    """``task.created|updated|completed|deleted``; `version` is the task's row version (of a
    deleted task, its last + 1, so no late update revives it)."""

    task_id: uuid.UUID
    title: str = ""
    status: TaskStatus
    due_date: dt.date | None = None
    related_ppa_id: uuid.UUID | None = None
    related_assessment_id: uuid.UUID | None = None
    related_event_id: uuid.UUID | None = None
    version: int = Field(ge=1)
    # Who it is for, whether a template made it, and who made the change (None: the system).
    assignee_ids: list[uuid.UUID] = []
    auto_generated: bool = False
    changed_by: OwnerId = None
    # A repeating task's next occurrence: the occurrence it continues.
    previous_task_id: uuid.UUID | None = None
    # The bulk change of several tasks that made it, and the reason it gave ("" for none):
    # the notifications service tells each person it assigns once, in one summary.
    bulk_id: uuid.UUID | None = None
    bulk_reason: str = ""


TASK_CREATED = EventContract("task.created", TaskChanged)
TASK_UPDATED = EventContract("task.updated", TaskChanged)
TASK_COMPLETED = EventContract("task.completed", TaskChanged)
TASK_DELETED = EventContract("task.deleted", TaskChanged)


# --- portfolio ----------------------------------------------------------------------------


class RecordDeleted(EventPayload):
    """``ppa.deleted``, ``assessment.deleted``: the subject id is the record's."""

    title: str = ""


class PpaChanged(EventPayload):
    """``ppa.updated``."""

    # The tasks service names its tasks' PPA by it (their exports), as of the newest event.
    title: str = ""
    category: str | None = None
    status: str | None = None
    start_date: dt.date | None = None
    target_end_date: dt.date | None = None
    fiscal_year: int | None = None
    # Who owns the PPA (the tasks service lets them work its tasks); None from a release
    # that did not name owners.
    owner_ids: list[uuid.UUID] | None = None


class PpaCreated(PpaChanged):
    """``ppa.created``: the tasks service assigns the generated tasks to its lead, else its
    creator."""

    lead_id: OwnerId = None
    created_by: OwnerId = None


class PpaApprovalChanged(EventPayload):
    """``ppa.approval_changed``: a move between approval stages."""

    title: str = ""
    from_: str | None = Field(
        default=None, validation_alias=AliasChoices("from", "from_"), serialization_alias="from"
    )
    to: str = ""
    note: str | None = None
    changed_on: dt.date | None = None
    changed_by: OwnerId = None  # who moved it (told nothing of their own move)


class AssessmentChanged(EventPayload):
    """``assessment.updated``."""

    title: str = ""
    primary_methodology: str | None = None
    status: str | None = None
    planned_start_date: dt.date | None = None
    planned_end_date: dt.date | None = None


class AssessmentCreated(AssessmentChanged):
    """``assessment.created``: an assessment records no lead; its tasks go to its creator."""

    created_by: OwnerId = None


class MilestoneChanged(EventPayload):
    """``milestone.changed`` (created, updated, or gone: `deleted`)."""

    ppa_id: uuid.UUID
    title: str
    date: dt.date
    status: str
    deleted: bool


class WorkflowStageChanged(EventPayload):
    """``workflow_stage.changed``."""

    ppa_id: uuid.UUID
    stage: str
    status: str
    due_date: dt.date | None


class NeedChanged(EventPayload):
    """``need.changed`` (created, updated, linked, or gone: `deleted`, with no PPAs)."""

    title: str
    status: str
    ppa_ids: list[uuid.UUID]
    deleted: bool


PPA_CREATED = EventContract("ppa.created", PpaCreated)
PPA_UPDATED = EventContract("ppa.updated", PpaChanged)
PPA_DELETED = EventContract("ppa.deleted", RecordDeleted)
PPA_APPROVAL_CHANGED = EventContract("ppa.approval_changed", PpaApprovalChanged)
ASSESSMENT_CREATED = EventContract("assessment.created", AssessmentCreated)
ASSESSMENT_UPDATED = EventContract("assessment.updated", AssessmentChanged)
ASSESSMENT_DELETED = EventContract("assessment.deleted", RecordDeleted)
MILESTONE_CHANGED = EventContract("milestone.changed", MilestoneChanged)
WORKFLOW_STAGE_CHANGED = EventContract("workflow_stage.changed", WorkflowStageChanged)
NEED_CHANGED = EventContract("need.changed", NeedChanged)


# --- calendar -----------------------------------------------------------------------------


class OccurrenceOverride(BaseModel):
    """One occurrence of a series changed on its own, by its original local date: cancelled,
    or at its own `start` and `end` (in the event's zone) and with its own `title` or `venue`
    (None: the series')."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    occurrence_date: dt.date
    cancelled: bool = False
    start: IsoDateTime | None = None
    end: IsoDateTime | None = None
    title: str | None = None
    venue: str | None = None


class CalendarEventChanged(EventPayload):
    """``event.updated``, ``event.deleted`` (an occurrence override is an update). `start`
    and `end` are in the event's own time zone. A series split off another ("this and
    following") names it in `split_from`; the series it was split off, announced shortened,
    names in `split_on` the first (original local) date of the occurrences that went to it."""

    event_id: uuid.UUID | None = None
    title: str = ""
    event_type: str | None = None
    venue: str | None = None  # None: a message from before it was announced
    start: IsoDateTime | None = None
    end: IsoDateTime | None = None
    status: str | None = None
    all_day: bool = False
    recurring: bool = False
    # A series' occurrences as RFC 5545 lines (DTSTART, RRULE, EXDATE, RDATE) in naive local
    # times of `timezone`, for `dateutil.rrule.rrulestr`, overrides applied: a cancelled
    # occurrence is an EXDATE, a moved one an EXDATE and an RDATE at its new start. None for
    # a single event (and in messages from before it was announced).
    recurrence: str | None = None
    timezone: str | None = None  # the event's IANA time zone
    # A series' overrides (what each changed occurrence is now); None for a single event
    # (and in messages from before they were announced).
    overrides: list[OccurrenceOverride] | None = None
    version: int | None = None
    split_from: uuid.UUID | None = None
    split_on: dt.date | None = None
    organizer_id: OwnerId = None
    participant_ids: list[uuid.UUID] = []
    changed_by: OwnerId = None


class CalendarEventCreated(CalendarEventChanged):
    """``event.created``: the tasks service assigns the generated tasks to its organizer,
    else its creator; none when whoever made it asked for none (`prepare_tasks`)."""

    created_by: OwnerId = None
    prepare_tasks: bool = True  # True in messages from before it was announced


class BookingChanged(EventPayload):
    """``booking.created``, ``booking.updated`` (status changes)."""

    booking_id: uuid.UUID
    resource_id: uuid.UUID
    start: IsoDateTime
    end: IsoDateTime
    status: str
    booked_by: uuid.UUID
    version: int
    decided_by: OwnerId = None  # who approved or rejected it
    decision_note: str | None = None  # what was said with it (the booker is told)
    resource_name: str | None = None  # what is booked, as people call it


class LeaveChanged(EventPayload):
    """``leave.created``, ``leave.updated`` (approved or rejected), ``leave.deleted``
    (withdrawn by its owner while pending, or cancelled by a manager)."""

    leave_id: uuid.UUID
    user_id: uuid.UUID
    leave_type: str
    start_date: dt.date
    end_date: dt.date
    status: str
    version: int
    decided_by: OwnerId = None  # who approved or rejected it
    decision_note: str | None = None  # what the manager said with it (the requester is told)


EVENT_CREATED = EventContract("event.created", CalendarEventCreated)
EVENT_UPDATED = EventContract("event.updated", CalendarEventChanged)
EVENT_DELETED = EventContract("event.deleted", CalendarEventChanged)
BOOKING_CREATED = EventContract("booking.created", BookingChanged)
BOOKING_UPDATED = EventContract("booking.updated", BookingChanged)
LEAVE_CREATED = EventContract("leave.created", LeaveChanged)
LEAVE_UPDATED = EventContract("leave.updated", LeaveChanged)
LEAVE_DELETED = EventContract("leave.deleted", LeaveChanged)  # withdrawn, or cancelled


# --- gateway (identity) -------------------------------------------------------------------


class UserChanged(EventPayload):
    """``user.changed``: a user account as other services may know it (no secrets), on
    creation and every change; `version` is the account's row version."""

    user_id: uuid.UUID
    username: str = ""
    full_name: str = ""
    email: str | None = None
    time_zone: str | None = None
    role: Role
    active: bool
    version: int = Field(ge=1)


USER_CHANGED = EventContract("user.changed", UserChanged)


# --- comments (each service keeping comments on its records announces them) ---------------


class CommentPosted(EventPayload):
    """``comment.posted``: a comment on the record `record_type` `record_id` (its title when
    the comment was written), posted or edited. `mention_ids` are the people it newly
    mentions: all of a new comment's, only those an edit adds (an edit adding nobody is not
    announced). `excerpt` is the start of its text, plain."""

    comment_id: uuid.UUID
    record_type: str
    record_id: uuid.UUID
    record_title: str = ""
    author_id: uuid.UUID
    mention_ids: list[uuid.UUID] = []
    excerpt: str = ""


COMMENT_POSTED = EventContract("comment.posted", CommentPosted)


# --- export jobs (each service running them announces its own) -----------------------------


class ExportRequested(EventPayload):
    """``export.requested``: a background export (`obcms_platform.export_jobs`) waits for
    its service's own worker; only that service acts on it (`Event.producer`)."""

    job_id: uuid.UUID
    resource: str


class ExportCompleted(EventPayload):
    """``export.completed``: the file of export `job_id` of `service` is ready for its
    requester, until `expires_at`."""

    job_id: uuid.UUID
    service: str
    resource: str
    format: str
    requested_by: uuid.UUID
    rows: int = Field(ge=0)
    expires_at: IsoDateTime


class ExportFailed(EventPayload):
    """``export.failed``: export `job_id` of `service` ended without a file; `error` says
    why, in words for its requester."""

    job_id: uuid.UUID
    service: str
    resource: str
    format: str
    requested_by: uuid.UUID
    error: str


EXPORT_REQUESTED = EventContract("export.requested", ExportRequested)
EXPORT_COMPLETED = EventContract("export.completed", ExportCompleted)
EXPORT_FAILED = EventContract("export.failed", ExportFailed)


CONTRACTS: tuple[EventContract[Any], ...] = (
    TASK_CREATED,
    TASK_UPDATED,
    TASK_COMPLETED,
    TASK_DELETED,
    PPA_CREATED,
    PPA_UPDATED,
    PPA_DELETED,
    PPA_APPROVAL_CHANGED,
    ASSESSMENT_CREATED,
    ASSESSMENT_UPDATED,
    ASSESSMENT_DELETED,
    MILESTONE_CHANGED,
    WORKFLOW_STAGE_CHANGED,
    NEED_CHANGED,
    EVENT_CREATED,
    EVENT_UPDATED,
    EVENT_DELETED,
    BOOKING_CREATED,
    BOOKING_UPDATED,
    LEAVE_CREATED,
    LEAVE_UPDATED,
    LEAVE_DELETED,
    USER_CHANGED,
    COMMENT_POSTED,
    EXPORT_REQUESTED,
    EXPORT_COMPLETED,
    EXPORT_FAILED,
)
