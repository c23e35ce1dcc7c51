"""The scheduled jobs with a controlled clock: reminders once however often they run, the
digest at each person's hour in their own time zone, managers' queues, housekeeping."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import event as engine_events
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from notifications_service.cli import app as cli
from notifications_service.jobs.service import jobs, run
from notifications_service.kinds import Kind
from notifications_service.preferences import service as preferences
from notifications_service.preferences.schemas import PreferencesUpdate
from notifications_service.settings import NotificationsSettings, get_settings
from obcms_platform.auth import Role
from obcms_platform.contracts import (
    EVENT_CREATED,
    EVENT_UPDATED,
    LEAVE_CREATED,
    TASK_UPDATED,
    CalendarEventCreated,
    LeaveChanged,
    TaskChanged,
)
from obcms_platform.db import Database
from obcms_platform.unsubscribe import Unsubscription, read_token
from obcms_platform.vocabulary import TaskStatus

from .people import Person, assign_task, event, handle, inbox, outgoing

UTC = dt.UTC


def _run(
    database: Database, settings: NotificationsSettings, name: str, at: dt.datetime
) -> int | None:
    return run(database, settings, jobs(settings)[name], at, "test")


def _due_task(session: Session, settings: NotificationsSettings, person: Person) -> uuid.UUID:
    """A task of `person` due on 16 Dec 2026."""
    return assign_task(
        session,
        settings,
        [person.user_id],
        "Submit the quarterly report",
        status=TaskStatus.IN_PROGRESS,
        due=dt.date(2026, 12, 16),
    )


def _known(session: Session, settings: NotificationsSettings, person: Person) -> Person:
    """`person`, announced to the service."""
    handle(session, settings, person.announced())
    return person


def _with_a_due_task(session: Session, settings: NotificationsSettings, person: Person) -> Person:
    """`person`, announced, with a task due on 16 Dec 2026 (`_due_task`)."""
    _due_task(session, settings, _known(session, settings, person))
    return person


def _announce_event(
    session: Session,
    settings: NotificationsSettings,
    attendees: list[Person],
    start: dt.datetime,
    *,
    title: str = "Coordination meeting",
    event_id: uuid.UUID | None = None,
    version: int = 1,
    recurrence: str | None = None,
    timezone: str | None = None,
) -> uuid.UUID:
    """Announce (and handle) a one-hour event of `attendees` (a series with `recurrence`,
    RFC 5545 lines in local times of `timezone`, as the calendar sends it); its id."""
    event_id = event_id or uuid.uuid4()
    handle(
        session,
        settings,
        event(
            EVENT_CREATED if version == 1 else EVENT_UPDATED,
            CalendarEventCreated(
                event_id=event_id,
                title=title,
                start=start,
                end=start + dt.timedelta(hours=1),
                version=version,
                participant_ids=[person.user_id for person in attendees],
                recurring=recurrence is not None,
                recurrence=recurrence,
                timezone=timezone,
            ),
            event_id,
        ),
    )
    return event_id


def _reminders(session: Session, person: Person) -> list[str]:
    return [n.title for n in inbox(session, person) if n.kind == Kind.EVENT_REMINDER]


def test_a_task_due_in_two_days_is_reminded_once_however_often_the_job_runs(
    session: Session, database: Database, settings: NotificationsSettings
) -> None:
    amina = _with_a_due_task(session, settings, Person())
    # 14 Dec in Manila from 00:30 local (16:30 UTC the day before) through the day.
    start = dt.datetime(2026, 12, 13, 16, 30, tzinfo=UTC)
    for minutes in range(0, 600, 45):
        _run(database, settings, "task_reminders", start + dt.timedelta(minutes=minutes))
    kinds = [n.kind for n in inbox(session, amina) if n.kind != Kind.TASK_ASSIGNED]
    assert kinds == [Kind.TASK_DUE_SOON]
    # On the due day it is due today; a day later, overdue; each once.
    for day in (2, 3):
        for hour in (1, 9):
            _run(database, settings, "task_reminders", start + dt.timedelta(days=day, hours=hour))
    kinds = [n.kind for n in inbox(session, amina) if n.kind != Kind.TASK_ASSIGNED]
    assert kinds == [Kind.TASK_DUE_SOON, Kind.TASK_DUE_TODAY, Kind.TASK_OVERDUE]


def test_reassigning_an_overdue_task_tells_the_new_assignee_once(
    session: Session, database: Database, settings: NotificationsSettings
) -> None:
    """QA: reassigning an overdue task sent the new assignee "… assigned you …" and "… is
    overdue" in the same minute."""
    amina = _known(session, settings, Person())
    norhana = _known(session, settings, Person(full_name="Norhana Ampatuan", username="norhana"))
    chief = _known(session, settings, Person(full_name="Rashid Lidasan", username="rashid"))
    task_id = _due_task(session, settings, amina)  # due 16 Dec
    overdue = dt.datetime(2026, 12, 18, 1, 0, tzinfo=UTC)  # 09:00 in Manila, 2 days late
    _run(database, settings, "task_reminders", overdue)
    assert [n.kind for n in inbox(session, amina)] == [Kind.TASK_ASSIGNED, Kind.TASK_OVERDUE]

    reassigned = TaskChanged(
        task_id=task_id,
        title="Submit the quarterly report",
        status=TaskStatus.IN_PROGRESS,
        due_date=dt.date(2026, 12, 16),
        assignee_ids=[norhana.user_id],
        version=2,
        changed_by=chief.user_id,
    )
    handle(
        session,
        settings,
        event(TASK_UPDATED, reassigned, task_id, at=overdue + dt.timedelta(minutes=3)),
    )
    for later in (dt.timedelta(minutes=4), dt.timedelta(hours=5), dt.timedelta(days=2)):
        _run(database, settings, "task_reminders", overdue + later)
    (told,) = inbox(session, norhana)
    assert told.title == "Rashid Lidasan assigned you “Submit the quarterly report”"
    assert told.body == "Overdue: it was due Wed 16 Dec 2026."


def test_a_tick_that_finds_every_reminder_sent_asks_once_and_writes_none(
    session: Session, database: Database, settings: NotificationsSettings
) -> None:
    for _ in range(3):
        _with_a_due_task(session, settings, Person())
    at = dt.datetime(2026, 12, 14, 9, 0, tzinfo=UTC)
    assert _run(database, settings, "task_reminders", at) == 3
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine_events.listen(database.engine, "before_cursor_execute", record)
    try:
        assert _run(database, settings, "task_reminders", at + dt.timedelta(minutes=1)) == 0
    finally:
        engine_events.remove(database.engine, "before_cursor_execute", record)
    # Each tick re-reads the due tasks; reminded ones cost one query for all, not a
    # notify (three statements) each.
    assert not [s for s in statements if s.lstrip().upper().startswith("INSERT INTO NOTIF")]
    assert sum("FROM notifications" in s for s in statements) == 1


def test_a_period_runs_once_and_a_repeat_is_refused(
    session: Session, database: Database, settings: NotificationsSettings
) -> None:
    at = dt.datetime(2026, 12, 14, 0, 0, tzinfo=UTC)
    assert _run(database, settings, "housekeeping", at) == 0
    assert _run(database, settings, "housekeeping", at + dt.timedelta(minutes=5)) is None


def test_the_digest_arrives_at_each_persons_hour_in_their_time_zone_and_only_once(
    session: Session, database: Database, settings: NotificationsSettings
) -> None:
    manila = Person()
    london = Person(full_name="Bai Lumna", email="bai@example.org", time_zone="Europe/London")
    handle(session, settings, manila.announced(), london.announced())
    preferences.update(session, london.user_id, PreferencesUpdate(digest_time=dt.time(8, 0)), None)
    session.commit()
    for person in (manila, london):
        _due_task(session, settings, person)

    def digests(person: Person) -> list[str]:
        return [email.subject for email in outgoing(session, person) if "digest" in email.subject]

    def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime(2026, 12, day, hour, minute, tzinfo=UTC)

    # 07:00 on 14 Dec in Manila (23:00 UTC on the 13th): Manila's reminder, its digest not
    # yet (07:30); London's 13 Dec digest time has passed, with nothing waiting.
    _run(database, settings, "task_reminders", at(13, 23))
    _run(database, settings, "digest", at(13, 23))
    assert digests(manila) == []
    assert digests(london) == []
    # 07:31 in Manila: its digest.
    _run(database, settings, "digest", at(13, 23, 31))
    assert digests(manila) == ["Your OBCMS digest: 1 item"]
    # 01:00 on 14 Dec in London: its reminder, which waits for London's 08:00.
    _run(database, settings, "task_reminders", at(14, 1))
    _run(database, settings, "digest", at(14, 1))
    assert digests(london) == []
    # 08:00 in London; later runs that day send nothing twice.
    for hour in (8, 9, 15):
        _run(database, settings, "digest", at(14, hour))
    assert digests(manila) == ["Your OBCMS digest: 1 item"]
    assert digests(london) == ["Your OBCMS digest: 1 item"]
    [email] = [e for e in outgoing(session, london) if "digest" in e.subject]
    assert "Your OBCMS digest for Mon 14 Dec 2026" in email.text_body
    # Its footer and List-Unsubscribe stop the digest (every kind sent in it) in one click.
    assert email.unsubscribe_url.startswith(f"{settings.public_url}/unsubscribe/")
    token = email.unsubscribe_url.rpartition("/")[2]
    assert read_token(settings.unsubscribe_secret, token) == Unsubscription(london.user_id, None)
    assert f"Stop daily digest emails: {email.unsubscribe_url}" in email.text_body
    assert "\u201cSubmit the quarterly report\u201d is due in 2 days" in email.text_body


def test_managers_hear_of_requests_waiting_too_long_once_a_day(
    session: Session, database: Database, settings: NotificationsSettings
) -> None:
    amina, manager = (
        Person(),
        Person(full_name="Hadji Ali", email="ali@example.org", role=Role.MANAGER),
    )
    handle(session, settings, amina.announced(), manager.announced())
    asked = dt.datetime(2026, 12, 10, 1, 0, tzinfo=UTC)
    leave_id = uuid.uuid4()
    handle(
        session,
        settings,
        event(
            LEAVE_CREATED,
            LeaveChanged(
                leave_id=leave_id,
                user_id=amina.user_id,
                leave_type="sick",
                start_date=dt.date(2026, 12, 21),
                end_date=dt.date(2026, 12, 21),
                status="pending",
                version=1,
            ),
            leave_id,
            at=asked,
        ),
    )
    _run(database, settings, "manager_queues", asked + dt.timedelta(hours=2))
    assert [n.kind for n in inbox(session, manager)] == [Kind.DECISION_NEEDED]
    for hours in (25, 26, 30):
        _run(database, settings, "manager_queues", asked + dt.timedelta(hours=hours))
    queue = [n for n in inbox(session, manager) if n.kind == Kind.MANAGER_QUEUE]
    assert [n.title for n in queue] == ["1 request waited more than 24 hours for a decision"]


def test_an_operator_runs_a_job_for_any_moment_once_per_period(
    notifications_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OBCMS_NOTIFICATIONS_DATABASE_URL", notifications_db_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        first = runner.invoke(cli, ["jobs", "run", "digest", "--at", "2026-12-14T00:00:00+00:00"])
        again = runner.invoke(cli, ["jobs", "run", "digest", "--at", "2026-12-14T00:00:30+00:00"])
        naive = runner.invoke(cli, ["jobs", "run", "digest", "--at", "2026-12-14T08:00:00"])
        unknown = runner.invoke(cli, ["jobs", "run", "weather"])
    finally:
        get_settings.cache_clear()
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "digest: 0"
    assert again.output.strip() == "digest: period already ran"
    assert naive.exit_code == 2
    assert "with its offset" in naive.output
    assert unknown.exit_code == 2
    assert "no job 'weather'" in unknown.output


def test_attendees_are_reminded_of_an_event_once_at_their_own_lead_time(
    session: Session, database: Database, settings: NotificationsSettings
) -> None:
    early, default = Person(), Person(full_name="Bai Lumna", email="bai@example.org")
    handle(session, settings, early.announced(), default.announced())
    preferences.update(session, early.user_id, PreferencesUpdate(event_lead_minutes=120), None)
    session.commit()
    start = dt.datetime(2026, 12, 14, 2, 0, tzinfo=UTC)  # 10:00 in Manila
    _announce_event(session, settings, [early, default], start)
    # 2 h 30 before: nobody; 1 h 50 before: the one who asked for 2 h; 25 min before: the
    # default 30 min lead; later runs remind nobody again.
    for minutes_before in (150, 110, 25, 10, 1):
        _run(database, settings, "event_reminders", start - dt.timedelta(minutes=minutes_before))
        if minutes_before == 110:
            assert _reminders(session, default) == []
    assert _reminders(session, early) == [
        "\u201cCoordination meeting\u201d starts at Mon 14 Dec 2026, 10:00"
    ]
    assert len(_reminders(session, default)) == 1
    # Event reminders go by email at once (beside the invitation's email).
    subjects = [email.subject for email in outgoing(session, early)]
    assert subjects == [
        "You are invited to \u201cCoordination meeting\u201d, Mon 14 Dec 2026, 10:00\u201311:00",
        "\u201cCoordination meeting\u201d starts at Mon 14 Dec 2026, 10:00",
    ]


# Monday 09:00 in Manila, weekly from 7 Dec 2026, as the calendar announces the series.
WEEKLY_STAFF_MEETING = "DTSTART:20261207T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO"
FIRST_MEETING = dt.datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def _staff_meeting(
    session: Session,
    settings: NotificationsSettings,
    attendee: Person,
    recurrence: str = WEEKLY_STAFF_MEETING,
    *,
    start: dt.datetime = FIRST_MEETING,
    timezone: str = "Asia/Manila",
    event_id: uuid.UUID | None = None,
    version: int = 1,
) -> uuid.UUID:
    """Announce a staff meeting series of `attendee` (`recurrence` from `start` in
    `timezone`); its id."""
    return _announce_event(
        session,
        settings,
        [attendee],
        start,
        title="Weekly staff meeting",
        event_id=event_id,
        version=version,
        recurrence=recurrence,
        timezone=timezone,
    )


def _run_around(
    database: Database,
    settings: NotificationsSettings,
    starts: list[dt.datetime],
    minutes_before: tuple[int, ...] = (90, 40, 25, 10, 1, -5),
) -> None:
    """Run the event reminders at `minutes_before` each of `starts` (negative: after)."""
    for start in starts:
        for minutes in minutes_before:
            _run(database, settings, "event_reminders", start - dt.timedelta(minutes=minutes))


def test_each_occurrence_of_a_weekly_event_is_reminded_once_at_the_lead_time(
    session: Session, database: Database, settings: NotificationsSettings
) -> None:
    amina = _known(session, settings, Person())
    _staff_meeting(session, settings, amina)
    second = FIRST_MEETING + dt.timedelta(weeks=1)
    # 40 minutes before the first: the 30-minute lead has not come.
    _run_around(database, settings, [FIRST_MEETING], minutes_before=(90, 40))
    assert _reminders(session, amina) == []
    _run_around(database, settings, [FIRST_MEETING, second])
    _run_around(database, settings, [FIRST_MEETING, second], minutes_before=(20, 15))
    assert _reminders(session, amina) == [
        "\u201cWeekly staff meeting\u201d starts at Mon 7 Dec 2026, 09:00",
        "\u201cWeekly staff meeting\u201d starts at Mon 14 Dec 2026, 09:00",
    ]


def test_a_cancelled_occurrence_is_not_reminded_and_a_moved_one_at_its_new_time(
    session: Session, database: Database, settings: NotificationsSettings
) -> None:
    amina = _known(session, settings, Person())
    series = _staff_meeting(session, settings, amina)
    # The 14th cancelled, the 21st moved to Tuesday the 22nd, 14:00.
    _staff_meeting(
        session,
        settings,
        amina,
        f"{WEEKLY_STAFF_MEETING}\nEXDATE:20261214T090000,20261221T090000\nRDATE:20261222T140000",
        event_id=series,
        version=2,
    )
    weeks = [FIRST_MEETING + dt.timedelta(weeks=week) for week in (2, 3)]
    moved = dt.datetime(2026, 12, 22, 6, 0, tzinfo=UTC)
    _run_around(database, settings, [FIRST_MEETING + dt.timedelta(weeks=1), *weeks, moved])
    assert _reminders(session, amina) == [
        "\u201cWeekly staff meeting\u201d starts at Tue 22 Dec 2026, 14:00",
        "\u201cWeekly staff meeting\u201d starts at Mon 28 Dec 2026, 09:00",
    ]


def test_a_weekly_meeting_is_reminded_at_its_local_hour_across_a_dst_change(
    session: Session, database: Database, settings: NotificationsSettings
) -> None:
    bai = _known(
        session,
        settings,
        Person(full_name="Bai Lumna", email="bai@example.org", time_zone="Europe/London"),
    )
    # Monday 09:00 in London: 08:00 UTC in summer time, 09:00 UTC after 25 Oct 2026.
    summer = dt.datetime(2026, 10, 19, 8, 0, tzinfo=UTC)
    _staff_meeting(
        session,
        settings,
        bai,
        "DTSTART:20261019T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO",
        start=summer,
        timezone="Europe/London",
    )
    winter = dt.datetime(2026, 10, 26, 9, 0, tzinfo=UTC)
    # An hour before 09:00 in winter is 25 minutes before 08:00 UTC: not yet.
    _run_around(database, settings, [winter], minutes_before=(85,))
    _run_around(database, settings, [summer])
    assert _reminders(session, bai) == [
        "\u201cWeekly staff meeting\u201d starts at Mon 19 Oct 2026, 09:00"
    ]
    _run_around(database, settings, [winter], minutes_before=(25,))
    assert _reminders(session, bai) == [
        "\u201cWeekly staff meeting\u201d starts at Mon 19 Oct 2026, 09:00",
        "\u201cWeekly staff meeting\u201d starts at Mon 26 Oct 2026, 09:00",
    ]


def test_housekeeping_drops_read_notifications_after_the_retention_period(
    session: Session, database: Database, settings: NotificationsSettings
) -> None:
    amina = _with_a_due_task(session, settings, Person())
    [unread] = inbox(session, amina)
    old = _with_a_due_task(
        session, settings, Person(full_name="Old Reader", email="old@example.org")
    )
    [read] = inbox(session, old)
    read.read_at = dt.datetime(2026, 1, 1, tzinfo=UTC)
    session.commit()
    later = dt.datetime(2026, 1, 1, tzinfo=UTC) + dt.timedelta(days=settings.retention_days + 1)
    assert _run(database, settings, "housekeeping", later) == 1
    assert inbox(session, old) == []
    assert [n.id for n in inbox(session, amina)] == [unread.id]
