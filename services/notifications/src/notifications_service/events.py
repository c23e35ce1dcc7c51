"""What the notifications service does with other services' events: keep its view of the
people, tasks, calendar events, PPAs and waiting requests, and notify whoever must know
(comments: the people they mention).

Every handler runs once per event (the bus inbox); each notification's key names its cause,
so a repeated announcement (a replay, an event republished) notifies nobody twice. Events of
one record may be handled at the same time or out of order: handlers take a transaction
lock on the record and ignore an announcement older than the one kept. A deleted task or
calendar event is kept as such (its row says so); a deleted PPA or leave leaves a tombstone
(`obcms_platform.bus.tombstones`, which also takes the lock): none of its events handled
later (a retried ``ppa.updated``, a ``leave.created`` delivered after the ``leave.deleted``)
brings it back or asks anyone to decide on it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import InstrumentedAttribute, Session

from notifications_service.db import tombstones
from notifications_service.event_words import (
    EventChanges,
    Timing,
    event_changes,
    moment,
    split_changes,
)
from notifications_service.kinds import Kind
from notifications_service.notifications.models import Notification
from notifications_service.notifications.service import Message, notify, summarise
from notifications_service.projections.models import (
    PendingRequest,
    WatchedEvent,
    WatchedPpa,
    WatchedTask,
)
from notifications_service.recipients import service as recipients
from notifications_service.recipients.models import Recipient
from notifications_service.settings import NotificationsSettings
from obcms_platform import contracts as c
from obcms_platform import records
from obcms_platform.approval import REVIEW_STAGES
from obcms_platform.bus import Event
from obcms_platform.bus.consumer import Handler
from obcms_platform.formatting import (
    LABELS,
    OFFICE_ZONE,
    format_day,
    format_moment,
    format_span,
    label,
    quoted,
)
from obcms_platform.links import MY_TASKS_LINK, Record, export_link, record_link
from obcms_platform.vocabulary import ApprovalStatus, BookingStatus, LeaveStatus, TaskStatus

# The status of a task kept after its deletion.
DELETED = "deleted"

Payload = TypeVar("Payload", bound=c.EventPayload)
Reaction = Callable[[Session, NotificationsSettings, Event, Payload], None]


def _lock(session: Session, record_id: uuid.UUID) -> None:
    """Serialise the handlers of one record (worker threads take events in parallel)."""
    records.serialise(session, record_id)


def _keep(
    session: Session,
    key: InstrumentedAttribute[uuid.UUID],
    record_id: uuid.UUID,
    values: Mapping[str, object],
    **on_insert: object,
) -> None:
    """Keep `values` of the record `record_id` in its projection (the table of `key`, its
    primary key): inserted the first time (with `on_insert` too), updated after."""
    statement = insert(key.class_).values({key.key: record_id, **on_insert, **values})
    session.execute(statement.on_conflict_do_update(index_elements=[key], set_=dict(values)))


# A title, or how to word it for a reader's time zone (it names a time of day).
Wording = str | Callable[[ZoneInfo], str]


def _words(wording: Wording, zone: ZoneInfo) -> str:
    return wording(zone) if callable(wording) else wording


def _tell(
    session: Session,
    settings: NotificationsSettings,
    event: Event,
    people: Iterable[uuid.UUID],
    message: tuple[Kind, Wording],
    cause: tuple[object, ...],
    *,
    link: str,
    body: str = "",
    actor: uuid.UUID | None = None,
) -> None:
    """Notify `people` of what `event` announced (`message`: its kind and title, worded for
    each reader's time zone when it names a time), at the event's time; once per kind and
    `cause` (what it is about: a record and the version announcing it, or the event itself),
    which make its key."""
    kind, title = message
    key = ":".join(str(part) for part in (kind.value, *cause))
    worded = title if callable(title) else None
    notify(
        session,
        settings,
        people,
        Message(
            kind,
            _words(title, OFFICE_ZONE),
            dedup_key=key,
            body=body,
            link=link,
            worded=worded,
        ),
        actor=actor,
        now=event.occurred_at,
    )


def _name(session: Session, user_id: uuid.UUID | None) -> str:
    """Who did it, as people know them: their full name, else their user name."""
    person = session.get(Recipient, user_id) if user_id else None
    if person is None:
        return "A colleague"
    return person.full_name or person.username or "A colleague"


# People.


def on_user(
    session: Session, settings: NotificationsSettings, event: Event, user: c.UserChanged
) -> None:
    recipients.record(session, user)


# Tasks.


def _generated_for(session: Session, task: c.TaskChanged) -> tuple[str, str, uuid.UUID] | None:
    """(what, link, id) of the record a generated task was made for."""
    if task.related_ppa_id:
        ppa = session.get(WatchedPpa, task.related_ppa_id)
        title = f"the PPA {quoted(ppa.title)}" if ppa else "a PPA"
        return title, record_link(Record.PPA, task.related_ppa_id), task.related_ppa_id
    if task.related_assessment_id:
        return (
            "an assessment",
            record_link(Record.ASSESSMENT, task.related_assessment_id),
            task.related_assessment_id,
        )
    if task.related_event_id:
        calendar_event = session.get(WatchedEvent, task.related_event_id)
        named = f"the event {quoted(calendar_event.title)}" if calendar_event else "an event"
        return named, record_link(Record.EVENT, task.related_event_id), task.related_event_id
    return None


def on_task(
    session: Session, settings: NotificationsSettings, event: Event, task: c.TaskChanged
) -> None:
    _lock(session, task.task_id)
    kept = session.get(WatchedTask, task.task_id)
    if kept is not None and (kept.version >= task.version or kept.status == DELETED):
        return  # an older announcement arriving late, or one of a deleted task
    before_assignees = set(kept.assignee_ids) if kept else set()
    before_due = kept.due_date if kept else None
    values = {
        "title": task.title,
        "status": task.status,
        "due_date": task.due_date,
        "assignee_ids": list(task.assignee_ids),
        "version": task.version,
    }
    _keep(session, WatchedTask.task_id, task.task_id, values)
    link = record_link(Record.TASK, task.task_id)
    if task.status == TaskStatus.COMPLETED:
        if kept is not None and kept.status != TaskStatus.COMPLETED and task.changed_by:
            # A colleague completing it from a team list: its assignees would otherwise
            # never learn (`notify` leaves out the one who did it).
            _tell(
                session,
                settings,
                event,
                task.assignee_ids,
                (
                    Kind.TASK_COMPLETED,
                    f"{quoted(task.title)} was completed by {_name(session, task.changed_by)}",
                ),
                (task.task_id, task.version),
                link=link,
                actor=task.changed_by,
            )
        return
    due = ""
    if task.due_date:
        # Said here, the task's overdue reminder is not sent after it (`jobs.task_reminders`).
        overdue = task.due_date < event.occurred_at.astimezone(OFFICE_ZONE).date()
        due = f"{'Overdue: it was due' if overdue else 'Due'} {format_day(task.due_date)}."
    newly_assigned = [person for person in task.assignee_ids if person not in before_assignees]
    generated = _generated_for(session, task) if task.auto_generated and kept is None else None
    if generated is not None:
        what, subject_link, subject_id = generated
        summarise(
            session,
            newly_assigned,
            Message(
                Kind.TASKS_GENERATED,
                f"New tasks for you on {what}",
                dedup_key=f"tasks_generated:{subject_id}",
                link=subject_link,
            ),
            actor=task.changed_by,
            now=event.occurred_at,
        )
    elif newly_assigned and task.bulk_id:
        _summarise_bulk(session, event, task, newly_assigned, "assigned you", "tasks_assigned")
    elif newly_assigned:
        # A repeating task's next occurrence, made by completing the previous one: nobody
        # assigned it anew.
        said = (
            f"The next {quoted(task.title)} is waiting for you"
            if task.previous_task_id and kept is None
            else f"{_name(session, task.changed_by)} assigned you {quoted(task.title)}"
        )
        _tell(
            session,
            settings,
            event,
            newly_assigned,
            (Kind.TASK_ASSIGNED, said),
            (task.task_id, task.version),
            body=due,
            link=link,
            actor=task.changed_by,
        )
    # Taken off a task: told, so that nobody keeps working on what is no longer theirs.
    taken_off = [person for person in before_assignees if person not in task.assignee_ids]
    if taken_off and task.bulk_id:
        _summarise_bulk(session, event, task, taken_off, "took you off", "tasks_taken_off")
    else:
        _tell(
            session,
            settings,
            event,
            taken_off,
            (
                Kind.TASK_ASSIGNED,
                f"{_name(session, task.changed_by)} took you off {quoted(task.title)}"
                if task.changed_by
                else f"You are no longer assigned {quoted(task.title)}",
            ),
            (task.task_id, task.version),
            link=link,
            actor=task.changed_by,
        )
    if kept is not None and task.due_date != before_due and not _upkeep(task):
        still_assigned = [person for person in task.assignee_ids if person in before_assignees]
        now_due = (
            f"is now due {format_day(task.due_date)}"
            if task.due_date
            else "no longer has a due date"
        )
        _tell(
            session,
            settings,
            event,
            still_assigned,
            (Kind.TASK_DUE_CHANGED, f"{quoted(task.title)} {now_due}"),
            (task.task_id, task.version),
            link=link,
            actor=task.changed_by,
        )


def _summarise_bulk(
    session: Session,
    event: Event,
    task: c.TaskChanged,
    people: list[uuid.UUID],
    done: str,
    key: str,
) -> None:
    """People a bulk change of several tasks assigns (or takes off): one summary each, counting
    its tasks ("Administrator assigned you tasks: handed over from Rashid Lidasan (14)"),
    opening their own tasks, rather than a message and an email per task."""
    reason = f": {task.bulk_reason}" if task.bulk_reason else ""
    summarise(
        session,
        people,
        Message(
            Kind.TASK_ASSIGNED,
            f"{_name(session, task.changed_by)} {done} tasks{reason}",
            dedup_key=f"{key}:{task.bulk_id}",
            link=MY_TASKS_LINK,
        ),
        actor=task.changed_by,
        now=event.occurred_at,
    )


def _upkeep(task: c.TaskChanged) -> bool:
    """A generated task the system changed along with its record (an event's preparation
    tasks moved or removed with the event): the record's own message says what happened;
    one message per task would bury it (a meeting's eight)."""
    return task.auto_generated and task.changed_by is None


def on_task_deleted(
    session: Session, settings: NotificationsSettings, event: Event, task: c.TaskChanged
) -> None:
    """Its assignees hear it is gone (but of `_upkeep`); it is kept as deleted (at its
    version), so a late update does not bring it back. The message links nothing: the task
    is not there to open."""
    _lock(session, task.task_id)
    kept = session.get(WatchedTask, task.task_id)
    if (
        kept is not None
        and kept.status != DELETED
        and kept.status != TaskStatus.COMPLETED
        and not _upkeep(task)
    ):
        _tell(
            session,
            settings,
            event,
            kept.assignee_ids,
            (
                Kind.TASK_ASSIGNED,
                f"{_name(session, task.changed_by)} deleted {quoted(kept.title)}"
                if task.changed_by
                else f"{quoted(kept.title)} was deleted",
            ),
            (task.task_id, task.version),
            link="",
            actor=task.changed_by,
        )
    values = {"status": DELETED, "assignee_ids": [], "version": task.version}
    _keep(session, WatchedTask.task_id, task.task_id, values, title=task.title)


# Requests waiting for a manager.


def _wait_for_decision(
    session: Session,
    settings: NotificationsSettings,
    event: Event,
    subject: tuple[str, uuid.UUID],
    title: Wording,
    cause: tuple[object, ...],
    *,
    link: str,
    admins_only: bool = False,
    actor: uuid.UUID | None = None,
) -> None:
    """The request `subject` waits for the deciders (admins only, or managers too), who
    are told `title` once per `cause` (but not `actor`, who made it wait)."""
    subject_type, subject_id = subject
    values = {"title": _words(title, OFFICE_ZONE)[:300], "link": link, "since": event.occurred_at}
    statement = insert(PendingRequest).values(
        subject_type=subject_type, subject_id=subject_id, **values
    )
    session.execute(
        statement.on_conflict_do_nothing(
            index_elements=[PendingRequest.subject_type, PendingRequest.subject_id]
        )
    )
    _tell(
        session,
        settings,
        event,
        recipients.deciders(session, admins_only=admins_only),
        (Kind.DECISION_NEEDED, title),
        cause,
        link=link,
        actor=actor,
    )


def _decided(session: Session, subject_type: str, subject_id: uuid.UUID, link: str) -> None:
    """The request waits no more: off the queue, and the deciders' unread "waits for your
    decision" about it (at `link`) read and out of their digest, so that no one else opens a
    request decided."""
    session.execute(
        delete(PendingRequest).where(
            PendingRequest.subject_type == subject_type, PendingRequest.subject_id == subject_id
        )
    )
    session.execute(
        update(Notification)
        .where(
            Notification.recipient_id.in_(recipients.deciders(session)),
            Notification.kind == Kind.DECISION_NEEDED,
            Notification.link == link,
            Notification.read_at.is_(None),
        )
        .values(read_at=func.now(), in_digest=False)
    )


@dataclass(frozen=True)
class _Request:
    """A leave or booking request as its decision handler needs it."""

    record: Record  # its value: the pending request's type, and part of the notifications' keys
    record_id: uuid.UUID
    version: int
    pending: bool
    status: str
    requester: uuid.UUID
    decided_by: uuid.UUID | None
    asks: Wording  # what the requester asks for, after their name
    outcome: Wording  # what the requester hears, before "was approved"
    decided_kind: Kind
    tells_requester: bool  # whether this decision reaches the requester
    note: str | None  # what the decider said with it


def _asking(who: str, asks: Wording) -> Wording:
    return lambda zone: f"{who} {_words(asks, zone)}"


def _decided_as(outcome: Wording, decision: str) -> Wording:
    return lambda zone: f"{_words(outcome, zone)} was {decision}"


def _on_request(
    session: Session, settings: NotificationsSettings, event: Event, request: _Request
) -> None:
    """A pending request waits for the deciders; a decided one stops waiting and (if it
    tells) reaches whoever asked."""
    _lock(session, request.record_id)
    subject_type, link = request.record.value, record_link(request.record, request.record_id)
    if request.pending:
        _wait_for_decision(
            session,
            settings,
            event,
            (subject_type, request.record_id),
            _asking(_name(session, request.requester), request.asks),
            (subject_type, request.record_id, request.version),
            link=link,
            # A manager asking for their own leave is not asked to decide it.
            actor=request.requester,
        )
        return
    _decided(session, subject_type, request.record_id, link)
    if request.tells_requester:
        _tell(
            session,
            settings,
            event,
            [request.requester],
            (
                request.decided_kind,
                _decided_as(
                    request.outcome,
                    label(request.status).lower()
                    + (f" by {_name(session, request.decided_by)}" if request.decided_by else ""),
                ),
            ),
            (request.record_id, request.version),
            link=link,
            body=request.note or "",
            actor=request.decided_by,
        )


def on_leave(
    session: Session, settings: NotificationsSettings, event: Event, leave: c.LeaveChanged
) -> None:
    days = format_span(leave.start_date, leave.end_date)
    what = f"{label(leave.leave_type).lower()} leave"
    _on_request(
        session,
        settings,
        event,
        _Request(
            Record.LEAVE,
            leave.leave_id,
            leave.version,
            leave.status == LeaveStatus.PENDING,
            leave.status,
            requester=leave.user_id,
            decided_by=leave.decided_by,
            asks=f"asks for {what}, {days}",
            outcome=f"Your {what} ({days})",
            decided_kind=Kind.LEAVE_DECIDED,
            tells_requester=True,
            note=leave.decision_note,
        ),
    )


def on_booking(
    session: Session, settings: NotificationsSettings, event: Event, booking: c.BookingChanged
) -> None:

    def when(zone: ZoneInfo) -> str:
        return format_span(booking.start, booking.end, zone=zone)

    what = booking.resource_name or "a resource"

    _on_request(
        session,
        settings,
        event,
        _Request(
            Record.BOOKING,
            booking.booking_id,
            booking.version,
            booking.status == BookingStatus.PENDING,
            booking.status,
            requester=booking.booked_by,
            decided_by=booking.decided_by,
            asks=lambda zone: f"asks to book {what}, {when(zone)}",
            outcome=lambda zone: f"Your booking of {what} ({when(zone)})",
            decided_kind=Kind.BOOKING_DECIDED,
            # Whoever cancels their own booking needs no word of it.
            tells_requester=booking.status in {BookingStatus.APPROVED, BookingStatus.REJECTED},
            note=booking.decision_note,
        ),
    )


# PPAs and their approval.


def on_ppa(
    session: Session, settings: NotificationsSettings, event: Event, ppa: c.PpaChanged
) -> None:
    if event.subject_id is None:
        return
    kept = session.get(WatchedPpa, event.subject_id)
    if kept is not None and kept.as_of is not None and kept.as_of >= event.occurred_at:
        return  # an older announcement arriving late
    values: dict[str, object] = {"title": ppa.title, "as_of": event.occurred_at}
    if ppa.owner_ids is not None:
        values["owner_ids"] = list(ppa.owner_ids)
    _keep(session, WatchedPpa.ppa_id, event.subject_id, values)


def on_leave_deleted(
    session: Session, settings: NotificationsSettings, event: Event, leave: c.LeaveChanged
) -> None:
    """A withdrawn or cancelled leave waits for no decision any more (the managers' queue
    reminders leave it out)."""
    _decided(session, Record.LEAVE.value, leave.leave_id, record_link(Record.LEAVE, leave.leave_id))


def on_ppa_deleted(
    session: Session, settings: NotificationsSettings, event: Event, ppa: c.RecordDeleted
) -> None:
    if event.subject_id is None:
        return
    session.execute(delete(WatchedPpa).where(WatchedPpa.ppa_id == event.subject_id))
    _decided(session, "ppa_approval", event.subject_id, record_link(Record.PPA, event.subject_id))


def on_approval(
    session: Session,
    settings: NotificationsSettings,
    event: Event,
    move: c.PpaApprovalChanged,
) -> None:
    """A review stage waits for managers (the executive approval: for admins); the PPA's
    owners hear of every move."""
    if event.subject_id is None:
        return
    ppa_id = event.subject_id
    link = record_link(Record.PPA, ppa_id)
    title = quoted(move.title)
    stage = label(move.to).lower()
    _decided(session, "ppa_approval", ppa_id, link)
    if move.to in REVIEW_STAGES:
        _wait_for_decision(
            session,
            settings,
            event,
            ("ppa_approval", ppa_id),
            f"The PPA {title} waits for {stage}",
            ("ppa", event.id),
            link=link,
            admins_only=move.to == ApprovalStatus.EXECUTIVE_APPROVAL,
            actor=move.changed_by,
        )
    ppa = session.get(WatchedPpa, ppa_id)
    # Who decided, as leave and booking decisions say it.
    by = f" by {_name(session, move.changed_by)}" if move.changed_by else ""
    _tell(
        session,
        settings,
        event,
        ppa.owner_ids if ppa else [],
        (Kind.APPROVAL_MOVED, f"Your PPA {title} {_approval_outcome(move.to, stage)}{by}"),
        (event.id,),
        body=move.note or "",
        link=link,
        actor=move.changed_by,
    )


def _approval_outcome(to: str, stage: str) -> str:
    """What a move means to the PPA's owners: "was approved", not "moved to approved"."""
    if to == ApprovalStatus.APPROVED:
        return "was approved"
    if to == ApprovalStatus.REJECTED:
        return "was rejected"
    if to == ApprovalStatus.DRAFT:
        return "is back in draft"
    return f"moved to {stage}"


# Calendar events.


def _attendees(data: c.CalendarEventChanged) -> list[uuid.UUID]:
    people = [*data.participant_ids, *([data.organizer_id] if data.organizer_id else [])]
    return list(dict.fromkeys(people))


def on_calendar_event(
    session: Session,
    settings: NotificationsSettings,
    event: Event,
    data: c.CalendarEventChanged,
) -> None:
    event_id = data.event_id or event.subject_id
    if event_id is None:
        return
    _lock(session, event_id)
    kept = session.get(WatchedEvent, event_id)
    version = data.version or 0
    if kept is not None and (kept.version >= version or kept.cancelled):
        return
    attendees = _attendees(data)
    cancelled = data.status == "cancelled" or event.type == c.EVENT_DELETED.name
    start = moment(data.start)
    # A series announced without its recurrence (a message from before it was) cannot be
    # expanded: nobody is reminded of it, rather than of its first occurrence only.
    expandable = not data.recurring or (data.recurrence is not None and data.timezone is not None)
    values: dict[str, object] = {
        "title": data.title,
        "start": start,
        "end": moment(data.end),
        "all_day": data.all_day,
        "cancelled": cancelled,
        "attendee_ids": attendees if expandable else [],
        "recurrence": data.recurrence,
        "time_zone": data.timezone,
        "version": version,
    }
    if data.venue is not None:  # None: announced by a release that did not name it
        values["venue"] = data.venue
    if data.overrides is not None:  # None: announced by a release that did not name them
        values["overrides"] = [override.model_dump(mode="json") for override in data.overrides]
    timing = Timing.announced(data)
    changes = event_changes(kept, data, event.occurred_at) if kept else EventChanges()
    _keep(session, WatchedEvent.event_id, event_id, values)
    link = record_link(Record.EVENT, event_id)
    title = quoted(data.title)
    if cancelled:
        gone = (
            "was removed from the calendar"
            if event.type == c.EVENT_DELETED.name
            else "is cancelled"
        )
        _tell(
            session,
            settings,
            event,
            attendees,
            (Kind.EVENT_CANCELLED, lambda zone: f"{title} ({timing.words(zone)}) {gone}"),
            (event_id,),
            link=link,
            actor=data.changed_by,
        )
        return
    # "This and following" splits a series in two: to whoever attended the original, the
    # second half is the same meeting changed from that day on (one message, whichever half
    # is announced first), not a new invitation; whoever it dropped is no longer invited.
    original = session.get(WatchedEvent, data.split_from) if data.split_from else None
    before = set(kept.attendee_ids) if kept else set()
    if kept is None and original is not None:
        before = set(original.attendee_ids)
        parts = split_changes(original, data)
        since = data.start

        def continued(zone: ZoneInfo) -> str:
            changed = ", ".join(part(zone) for part in parts)
            return f"{quoted(original.title)} changes from {format_day(since, zone)}: {changed}"

        _tell(
            session,
            settings,
            event,
            [person for person in attendees if person in before] if parts else [],
            (Kind.EVENT_CHANGED, continued),
            (event_id, version),
            link=link,
            actor=data.changed_by,
        )
    invited = [person for person in attendees if person not in before]
    removed = [person for person in before if person not in attendees]
    _tell(
        session,
        settings,
        event,
        removed,
        (
            Kind.EVENT_CANCELLED,
            lambda zone: f"You are no longer invited to {title}, {timing.words(zone)}",
        ),
        (event_id, version),
        link=link,
        actor=data.changed_by,
    )
    # Where and whose: what an invitation says beside when.
    where = f"At {data.venue}. " if data.venue else ""
    organizer = f"Organised by {_name(session, data.organizer_id)}." if data.organizer_id else ""
    _tell(
        session,
        settings,
        event,
        invited,
        (Kind.EVENT_INVITED, lambda zone: f"You are invited to {title}, {timing.words(zone)}"),
        (event_id,),
        link=link,
        body=(where + organizer).strip(),
        actor=data.changed_by,
    )
    if changes.parts:

        def changed(zone: ZoneInfo) -> str:
            return f"{title} changed: " + "; ".join(change(zone) for change in changes.parts)

        _tell(
            session,
            settings,
            event,
            [person for person in attendees if kept and person in kept.attendee_ids],
            (Kind.EVENT_CHANGED, changed),
            (event_id, version),
            link=record_link(Record.EVENT, event_id, occurrence=changes.occurrence),
            actor=data.changed_by,
        )


# Comments.


def on_comment(
    session: Session, settings: NotificationsSettings, event: Event, comment: c.CommentPosted
) -> None:
    """The people a comment newly mentions hear of it, once per comment (an edit mentioning
    them again tells them nothing more); its author never hears of their own mention."""
    record = Record(comment.record_type)
    what = label(record)
    what = what if what.isupper() else what.lower()  # "PPA", "task"
    author = _name(session, comment.author_id)
    _tell(
        session,
        settings,
        event,
        comment.mention_ids,
        (Kind.MENTIONED, f"{author} mentioned you on {what} {quoted(comment.record_title)}"),
        (comment.comment_id,),
        link=record_link(record, comment.record_id, comment.comment_id),
        body=comment.excerpt,
        actor=comment.author_id,
    )


# Exports.


def exported(resource: str) -> str:
    """What an export holds, as a sentence says it: "PPAs", "funding tranches"."""
    code = resource.replace("-", "_")
    return LABELS.get(code) or code.replace("_", " ")


def on_export_completed(
    session: Session, settings: NotificationsSettings, event: Event, ready: c.ExportCompleted
) -> None:
    """The requester of a background export hears that its file is ready, once per job."""
    rows = f"{ready.rows:,} row{'' if ready.rows == 1 else 's'}"
    what = exported(ready.resource)
    _tell(
        session,
        settings,
        event,
        [ready.requested_by],
        (Kind.EXPORT_READY, f"Your export of {what} is ready: {rows}, {ready.format.upper()}"),
        (ready.job_id,),
        link=export_link(ready.service, ready.job_id),
        body=f"Download it before {format_moment(ready.expires_at)}.",
    )


def on_export_failed(
    session: Session, settings: NotificationsSettings, event: Event, failed: c.ExportFailed
) -> None:
    """The requester of a background export hears that it failed, and why, once per job."""
    what = exported(failed.resource)
    _tell(
        session,
        settings,
        event,
        [failed.requested_by],
        (Kind.EXPORT_FAILED, f"Your export of {what} could not be made"),
        (failed.job_id,),
        link=export_link(failed.service, failed.job_id),
        body=failed.error,
    )


def _reacting(
    contract: c.EventContract[Payload], reaction: Reaction[Payload], settings: NotificationsSettings
) -> Handler:
    def handle(session: Session, event: Event) -> None:
        reaction(session, settings, event, contract.payload.of(event))

    return handle


def handlers(settings: NotificationsSettings) -> dict[str, Handler]:
    """Event type -> handler, for the worker (the registry's `consumes` binds the queue);
    those of a PPA's and a leave's events guarded by the tombstones (which lock the record)."""
    reactions: list[tuple[c.EventContract[Any], Reaction[Any]]] = [
        (c.USER_CHANGED, on_user),
        (c.TASK_CREATED, on_task),
        (c.TASK_UPDATED, on_task),
        (c.TASK_COMPLETED, on_task),
        (c.TASK_DELETED, on_task_deleted),
        (c.LEAVE_CREATED, on_leave),
        (c.LEAVE_UPDATED, on_leave),
        (c.LEAVE_DELETED, on_leave_deleted),
        (c.BOOKING_CREATED, on_booking),
        (c.BOOKING_UPDATED, on_booking),
        (c.PPA_CREATED, on_ppa),
        (c.PPA_UPDATED, on_ppa),
        (c.PPA_DELETED, on_ppa_deleted),
        (c.PPA_APPROVAL_CHANGED, on_approval),
        (c.EVENT_CREATED, on_calendar_event),
        (c.EVENT_UPDATED, on_calendar_event),
        (c.EVENT_DELETED, on_calendar_event),
        (c.COMMENT_POSTED, on_comment),
        (c.EXPORT_COMPLETED, on_export_completed),
        (c.EXPORT_FAILED, on_export_failed),
    ]
    return tombstones.guarding(
        {
            contract.name: _reacting(contract, reaction, settings)
            for contract, reaction in reactions
        },
        deletions=(c.PPA_DELETED, c.LEAVE_DELETED),
    )
