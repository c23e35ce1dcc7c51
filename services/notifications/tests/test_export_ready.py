"""A background export's requester hears its file is ready: in the inbox (by default, no
email), once per job, with the link to the export's page."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from notifications_service.kinds import Kind
from notifications_service.settings import NotificationsSettings
from obcms_platform.contracts import EXPORT_COMPLETED, EXPORT_FAILED, ExportCompleted, ExportFailed

from .people import Person, event, handle, inbox, outgoing


def test_the_requester_is_told_once_in_the_inbox_with_the_link(
    session: Session, settings: NotificationsSettings
) -> None:
    ana, bai = Person(full_name="Ana Reyes"), Person(full_name="Bai Lumna")
    handle(session, settings, ana.announced(), bai.announced())
    job_id = uuid.uuid4()
    ready = ExportCompleted(
        job_id=job_id,
        service="portfolio",
        resource="funding-tranches",
        format="xlsx",
        requested_by=ana.user_id,
        rows=12_500,
        expires_at=datetime(2026, 12, 9, 4, 0, tzinfo=UTC),
    )
    completed = event(EXPORT_COMPLETED, ready, job_id)
    handle(session, settings, completed)
    handle(session, settings, completed.model_copy(update={"id": uuid.uuid4()}))

    [notification] = inbox(session, ana)
    assert notification.kind == Kind.EXPORT_READY
    assert notification.title == "Your export of funding tranches is ready: 12,500 rows, XLSX"
    assert notification.link == f"/exports/portfolio/{job_id}/"
    assert notification.body == "Download it before Wed 9 Dec 2026, 12:00."
    assert outgoing(session, ana) == []
    assert inbox(session, bai) == []


def test_a_failed_export_tells_its_requester_why_once(
    session: Session, settings: NotificationsSettings
) -> None:
    ana, bai = Person(full_name="Ana Reyes"), Person(full_name="Bai Lumna")
    handle(session, settings, ana.announced(), bai.announced())
    job_id = uuid.uuid4()
    why = "The export could not be written. Try again; if it fails again, tell an administrator."
    failed = ExportFailed(
        job_id=job_id,
        service="tasks",
        resource="tasks",
        format="csv",
        requested_by=ana.user_id,
        error=why,
    )
    announced = event(EXPORT_FAILED, failed, job_id)
    handle(session, settings, announced)
    handle(session, settings, announced.model_copy(update={"id": uuid.uuid4()}))

    [notification] = inbox(session, ana)
    assert notification.kind == Kind.EXPORT_FAILED
    assert notification.title == "Your export of tasks could not be made"
    assert notification.body == why
    assert notification.link == f"/exports/tasks/{job_id}/"
    assert outgoing(session, ana) == []
    assert inbox(session, bai) == []


def test_an_export_of_ppas_is_named_as_people_write_it(
    session: Session, settings: NotificationsSettings
) -> None:
    ana = Person(full_name="Ana Reyes")
    handle(session, settings, ana.announced())
    job_id = uuid.uuid4()
    ready = ExportCompleted(
        job_id=job_id,
        service="portfolio",
        resource="ppas",
        format="csv",
        requested_by=ana.user_id,
        rows=1,
        expires_at=datetime(2026, 12, 9, 4, 0, tzinfo=UTC),
    )
    handle(session, settings, event(EXPORT_COMPLETED, ready, job_id))
    [notification] = inbox(session, ana)
    assert notification.title == "Your export of PPAs is ready: 1 row, CSV"
