"""The scheduled jobs: reminders, the daily digest, manager queues and housekeeping.

Each is a function of the database and a moment (`now`): the beat passes the clock's time,
tests and operators pass any (``obcms-notifications jobs run digest --at ...``). Each is
idempotent per period: what it sends is keyed by what it is about (a task and its due date,
a person and their local day), so running it again sends nothing twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from prometheus_client import Gauge
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from notifications_service.delivery import service as delivery
from notifications_service.delivery.models import EmailState, OutgoingEmail
from notifications_service.events import DELETED
from notifications_service.jobs.models import DigestDay, JobRun
from notifications_service.kinds import Kind
from notifications_service.notifications.models import Notification
from notifications_service.notifications.service import Message, notified, notify
from notifications_service.preferences.models import (
    DEFAULT_DIGEST_TIME,
    DEFAULT_EVENT_LEAD_MINUTES,
    DeliverySettings,
)
from notifications_service.projections.models import PendingRequest, WatchedEvent, WatchedTask
from notifications_service.recipients import service as recipients
from notifications_service.recipients.models import Recipient
from notifications_service.settings import NotificationsSettings
from obcms_platform.db import Database
from obcms_platform.formatting import format_day, format_moment, quoted
from obcms_platform.links import Record, record_link
from obcms_platform.unsubscribe import emails_about
from obcms_platform.vocabulary import TaskStatus

logger = logging.getLogger(__name__)

# A task, or an occurrence of an event: (the event, its start).
Watched = TypeVar("Watched", WatchedTask, tuple[WatchedEvent, datetime])

LAST_SUCCESS = Gauge(
    "obcms_job_last_success_timestamp_seconds",
    "When each scheduled job last finished without error (Unix time).",
    ["job_name"],
)

# Overdue tasks are reminded once, and only those that fell due lately: a first start on an
# old database must not flood inboxes with years of history.
OVERDUE_LOOKBACK_DAYS = 7
# The longest lead time an event reminder may have (the preferences' upper bound).
MAX_EVENT_LEAD = timedelta(days=7)


def _each_active(
    session: Session, records: Sequence[Watched], people_of: Callable[[Watched], list[uuid.UUID]]
) -> list[tuple[Watched, uuid.UUID, Recipient]]:
    """(record, person, recipient) for each active person of each record, in order."""
    people = recipients.active(
        session, (person for record in records for person in people_of(record))
    )
    return [
        (record, person, people[person])
        for record in records
        for person in people_of(record)
        if person in people
    ]


def task_reminders(session: Session, settings: NotificationsSettings, now: datetime) -> int:
    """Due in 2 days, due today and (lately) overdue, each once per task and due date, in
    each assignee's own calendar day; but not to someone told since the reminder applies that
    they were assigned the task: that message said when it is due (and that it is overdue),
    and a reassigned overdue task made two in the same minute."""
    today_utc = now.astimezone(UTC).date()
    tasks = session.scalars(
        select(WatchedTask).where(
            WatchedTask.due_date.between(
                today_utc - timedelta(days=OVERDUE_LOOKBACK_DAYS + 1), today_utc + timedelta(days=3)
            ),
            WatchedTask.status.not_in([TaskStatus.COMPLETED, DELETED]),
            WatchedTask.assignee_ids != [],
        )
    ).all()
    # (person, reminder, its task, the moment it applies from: the start of its first day)
    due: list[tuple[uuid.UUID, Message, uuid.UUID, datetime]] = []
    for task, person, recipient in _each_active(session, tasks, lambda task: task.assignee_ids):
        assert task.due_date is not None
        zone = recipients.zone(recipient, settings.default_time_zone)
        days_left = (task.due_date - now.astimezone(zone).date()).days
        if days_left == 2:
            kind, title = Kind.TASK_DUE_SOON, f"{quoted(task.title)} is due in 2 days"
            first_day = task.due_date - timedelta(days=2)
        elif days_left == 0:
            kind, title = Kind.TASK_DUE_TODAY, f"{quoted(task.title)} is due today"
            first_day = task.due_date
        elif -OVERDUE_LOOKBACK_DAYS <= days_left < 0:
            kind, title = Kind.TASK_OVERDUE, f"{quoted(task.title)} is overdue"
            first_day = task.due_date + timedelta(days=1)
        else:
            continue
        message = Message(
            kind,
            title,
            dedup_key=f"{kind.value}:{task.task_id}:{task.due_date}",
            body=f"Due {format_day(task.due_date)}.",
            link=record_link(Record.TASK, task.task_id),
        )
        due.append((person, message, task.task_id, datetime.combine(first_day, time(), zone)))
    done = notified(session, ((person, message.dedup_key) for person, message, _, _ in due))
    fresh = [reminder for reminder in due if (reminder[0], reminder[1].dedup_key) not in done]
    told = _told_assigned(session, {(person, task_id) for person, _, task_id, _ in fresh})
    return sum(
        notify(session, settings, [person], message, now=now)
        for person, message, task_id, applies_from in fresh
        if told.get((person, task_id), _NEVER) < applies_from
    )


_NEVER = datetime.min.replace(tzinfo=UTC)


def _told_assigned(
    session: Session, pairs: set[tuple[uuid.UUID, uuid.UUID]]
) -> dict[tuple[uuid.UUID, uuid.UUID], datetime]:
    """When each (person, task) of `pairs` was last told of being assigned the task (or taken
    off it: the same kind and key, ``task_assigned:<task>:<version>``, `events.on_task`; one
    taken off is no assignee to remind); those never told are absent."""
    if not pairs:
        return {}
    task = func.split_part(Notification.dedup_key, ":", 2)
    rows = session.execute(
        select(Notification.recipient_id, task, func.max(Notification.created_at))
        .where(
            Notification.kind == Kind.TASK_ASSIGNED,
            Notification.recipient_id.in_({person for person, _ in pairs}),
            task.in_({str(task_id) for _, task_id in pairs}),
        )
        .group_by(Notification.recipient_id, task)
    )
    return {(person, uuid.UUID(task_id)): moment for person, task_id, moment in rows}


def _notify_anew(
    session: Session,
    settings: NotificationsSettings,
    due: list[tuple[uuid.UUID, Message]],
    now: datetime,
) -> int:
    """Notify each (person, message) not notified yet: most were, at an earlier tick."""
    done = notified(session, ((person, message.dedup_key) for person, message in due))
    return sum(
        notify(session, settings, [person], message, now=now)
        for person, message in due
        if (person, message.dedup_key) not in done
    )


def _starts_between(event: WatchedEvent, after: datetime, before: datetime) -> list[datetime]:
    """The starts of the event's occurrences in (after, before]: its own, or a series'
    expanded in its time zone (a 09:00 meeting stays at 09:00 local across DST changes)."""
    if event.recurrence is None or event.time_zone is None:
        assert event.start is not None
        return [event.start] if after < event.start <= before else []
    zone = ZoneInfo(event.time_zone)
    series = rrulestr(event.recurrence, forceset=True)
    # The rule runs on naive local times; a day each side absorbs the zone's offset.
    local = series.between(
        after.astimezone(zone).replace(tzinfo=None) - timedelta(days=1),
        before.astimezone(zone).replace(tzinfo=None) + timedelta(days=1),
    )
    starts = (moment.replace(tzinfo=zone).astimezone(UTC) for moment in local)
    return [start for start in starts if after < start <= before]


def event_reminders(session: Session, settings: NotificationsSettings, now: datetime) -> int:
    """Each attendee is reminded once of each occurrence, their chosen lead time before it
    starts."""
    horizon = now + MAX_EVENT_LEAD
    events = session.scalars(
        select(WatchedEvent).where(
            # A series' first start may be long past (or a moved occurrence before it).
            or_(WatchedEvent.recurrence.is_not(None), WatchedEvent.start.between(now, horizon)),
            WatchedEvent.cancelled.is_(False),
            WatchedEvent.attendee_ids != [],
        )
    ).all()
    occurrences = [
        (event, start) for event in events for start in _starts_between(event, now, horizon)
    ]
    attending = _each_active(session, occurrences, lambda occurrence: occurrence[0].attendee_ids)
    chosen = {
        row.user_id: row.event_lead_minutes
        for row in session.scalars(
            select(DeliverySettings).where(
                DeliverySettings.user_id.in_(list({person for _, person, _ in attending}))
            )
        )
    }
    due: list[tuple[uuid.UUID, Message]] = []
    for (event, start), person, recipient in attending:
        lead = timedelta(minutes=chosen.get(person, DEFAULT_EVENT_LEAD_MINUTES))
        if start - lead > now:
            continue
        zone = recipients.zone(recipient, settings.default_time_zone)
        message = Message(
            Kind.EVENT_REMINDER,
            f"{quoted(event.title)} starts at {format_moment(start, zone)}",
            dedup_key=f"event_reminder:{event.event_id}:{start.isoformat()}",
            link=record_link(Record.EVENT, event.event_id),
        )
        due.append((person, message))
    return _notify_anew(session, settings, due, now)


def digest(session: Session, settings: NotificationsSettings, now: datetime) -> int:
    """Once a day, at each person's digest time in their time zone: one email with what
    waited for it (unread notifications on the digest channel). The day is taken also when
    nothing waited, so what arrives later waits for the next day's digest."""
    people = {
        person.user_id: person
        for person in session.scalars(
            select(Recipient).where(Recipient.active, Recipient.email.is_not(None))
        )
    }
    # One query for everyone's chosen time (this runs every tick, for every person).
    chosen = {
        user_id: digest_time
        for user_id, digest_time in session.execute(
            select(DeliverySettings.user_id, DeliverySettings.digest_time)
        )
    }
    due: dict[uuid.UUID, tuple[datetime, ZoneInfo]] = {}
    for person, recipient in people.items():
        zone = recipients.zone(recipient, settings.default_time_zone)
        local = now.astimezone(zone)
        if local.time().replace(tzinfo=None) >= chosen.get(person, DEFAULT_DIGEST_TIME):
            due[person] = (local, zone)
    taken = {
        (user_id, day)
        for user_id, day in session.execute(
            select(DigestDay.user_id, DigestDay.day).where(DigestDay.user_id.in_(list(due)))
        ).all()
    }
    sent = 0
    for person, (local, zone) in due.items():
        if (person, local.date()) in taken:
            continue
        items = list(
            session.scalars(
                select(Notification)
                .where(Notification.recipient_id == person, Notification.in_digest)
                .order_by(Notification.created_at)
            )
        )
        unread = [item for item in items if item.read_at is None]
        session.add(DigestDay(user_id=person, day=local.date(), items=len(unread)))
        if items:
            session.execute(
                update(Notification)
                .where(Notification.id.in_([item.id for item in items]))
                .values(in_digest=False)
            )
        if not unread:
            continue
        unsubscribe_url = delivery.unsubscribe_url(settings, person, None)
        sent += int(
            delivery.queue(
                session,
                people[person],
                subject=f"Your OBCMS digest: {len(unread)} item{'s' if len(unread) != 1 else ''}",
                parts=delivery.render(
                    "digest",
                    day=format_day(local.date()),
                    items=[
                        {
                            "title": item.title,
                            "body": item.body,
                            "count": item.count,
                            "url": delivery.absolute(settings, item.link),
                        }
                        for item in unread
                    ],
                    preferences_url=delivery.preferences_url(settings),
                    unsubscribe_url=unsubscribe_url,
                    unsubscribe_what=emails_about(None),
                    time_zone=zone.key,
                ),
                dedup_key=f"digest:{local.date()}",
                not_before=now,
                unsubscribe_url=unsubscribe_url,
            )
        )
    session.flush()
    return sent


def manager_queues(session: Session, settings: NotificationsSettings, now: datetime) -> int:
    """Once a day, managers hear of the requests waiting longer than the set hours."""
    cutoff = now - timedelta(hours=settings.manager_queue_after_hours)
    waiting = session.scalars(select(PendingRequest).where(PendingRequest.since < cutoff)).all()
    if not waiting:
        return 0
    sent = 0
    deciders = recipients.active(session, recipients.deciders(session))
    for person, recipient in deciders.items():
        day = now.astimezone(recipients.zone(recipient, settings.default_time_zone)).date()
        sent += notify(
            session,
            settings,
            [person],
            Message(
                Kind.MANAGER_QUEUE,
                f"{len(waiting)} request{'s' if len(waiting) != 1 else ''} waited more than "
                f"{settings.manager_queue_after_hours} hours for a decision",
                dedup_key=f"manager_queue:{day}",
                body="; ".join(request.title for request in waiting[:10]),
                link="/",
            ),
            now=now,
        )
    return sent


def housekeeping(session: Session, settings: NotificationsSettings, now: datetime) -> int:
    """Drop read notifications, sent emails and job records past the retention period."""
    cutoff = now - timedelta(days=settings.retention_days)
    removed = 0
    for statement in (
        delete(Notification).where(Notification.read_at < cutoff),
        delete(OutgoingEmail).where(
            OutgoingEmail.state == EmailState.SENT, OutgoingEmail.sent_at < cutoff
        ),
        delete(JobRun).where(JobRun.started_at < cutoff),
        delete(DigestDay).where(DigestDay.day < cutoff.date()),
    ):
        removed += int(session.execute(statement).rowcount)  # type: ignore[attr-defined]
    return removed


JobFunction = Callable[[Session, NotificationsSettings, datetime], int]


@dataclass(frozen=True)
class Job:
    name: str
    run: JobFunction
    every: timedelta  # its period; one run per period across all beats


def jobs(settings: NotificationsSettings) -> dict[str, Job]:
    tick = timedelta(seconds=settings.beat_tick_seconds)
    return {
        job.name: job
        for job in (
            Job("task_reminders", task_reminders, tick),
            Job("event_reminders", event_reminders, tick),
            Job("digest", digest, tick),
            Job("manager_queues", manager_queues, tick),
            Job("housekeeping", housekeeping, timedelta(hours=1)),
        )
    }


def period_of(job: Job, now: datetime) -> str:
    """The period `now` falls in: the start of its interval, in UTC."""
    seconds = job.every.total_seconds()
    start = datetime.fromtimestamp(now.timestamp() // seconds * seconds, UTC)
    return start.isoformat()


def run(
    database: Database, settings: NotificationsSettings, job: Job, now: datetime, runner: str
) -> int | None:
    """Run `job` for the period of `now` unless some run of it already took that period
    (None then); how much it notified or removed."""
    period = period_of(job, now)
    with database.session() as session:
        claimed = session.execute(
            insert(JobRun)
            .values(job=job.name, period=period, runner=runner, started_at=datetime.now(UTC))
            .on_conflict_do_nothing()
            .returning(JobRun.job)
        ).first()
        if claimed is None:
            session.rollback()
            return None
        done = job.run(session, settings, now)
        session.execute(
            update(JobRun)
            .where(JobRun.job == job.name, JobRun.period == period)
            .values(finished_at=datetime.now(UTC), notified=done)
        )
        session.commit()
    LAST_SUCCESS.labels(job.name).set_to_current_time()
    logger.info("job %s for %s: %d", job.name, period, done)
    return done
