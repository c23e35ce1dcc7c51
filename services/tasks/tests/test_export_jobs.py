"""The task list exported in the background: a job requested through the API, run by the
worker's handler of the service's own ``export.requested``, its progress seen through the API
while it runs, its file downloaded by its requester only; a worker that dies mid-job, a
replayed event, a failing storage and an expired file.

The files go to a local folder of the test's own: what is stored is read there."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from obcms_platform.bus import Event
from obcms_platform.bus.consumer import EventConsumer, Outcome
from obcms_platform.contracts import EXPORT_REQUESTED
from obcms_platform.db import Database
from obcms_platform.export_jobs import ExportJobBusyError, ExportJobLimits, ExportRunner
from obcms_platform.registry import TASKS as TASKS_SERVICE
from obcms_platform.storage import LocalStorage
from obcms_platform.testing import Caller, assert_error, auth_headers
from obcms_platform.testing.service_fixtures import service_settings
from obcms_platform.vocabulary import ExportJobStatus, TaskPriority, TaskStatus
from tasks_service.db import bus
from tasks_service.events import handlers
from tasks_service.exports.models import ExportJob
from tasks_service.exports.service import TASK_EXPORTS
from tasks_service.tasks.models import Task, TaskDomain

from .helpers import TASKS, create

EXPORTS = "/api/v1/tasks-exports"


@pytest.fixture
def files_dir(tmp_path: Path) -> Path:
    return tmp_path / "files"


@pytest.fixture
def settings(files_dir: Path, tasks_db_url: str, redis_url: str) -> Any:
    return service_settings(TASKS_SERVICE, tasks_db_url, redis_url, attachments_dir=files_dir)


def requested(client: TestClient, caller: Caller, **body: Any) -> dict[str, Any]:
    response = client.post(EXPORTS, json=body, headers=caller.headers)
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    assert response.headers["location"] == f"{EXPORTS}/{job['id']}"
    assert job["status"] == "queued"
    return job


def job_of(client: TestClient, caller: Caller, job_id: str) -> dict[str, Any]:
    response = client.get(f"{EXPORTS}/{job_id}", headers=caller.headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def requested_event(session: Session, job_id: str) -> dict[str, Any]:
    (payload,) = [
        payload
        for payload in session.scalars(
            select(bus.outbox.c.payload).where(bus.outbox.c.event_type == EXPORT_REQUESTED.name)
        )
        if payload["subject_id"] == job_id
    ]
    return dict(payload)


def runner(database: Database, storage: LocalStorage, **limits: Any) -> ExportRunner:
    return ExportRunner(TASK_EXPORTS, database.session, storage, ExportJobLimits(**limits))


def stored(files_dir: Path, job_id: str) -> Path:
    return files_dir / "tasks" / "exports" / job_id


def add_tasks(session: Session, count: int) -> None:
    """`count` tasks straight into the table (the API would take minutes): every other one
    of high priority."""
    session.add_all(
        Task(
            id=uuid.uuid4(),
            title=f"Survey barangay {number:05d}",
            domain=TaskDomain.MANA,
            status=TaskStatus.NOT_STARTED,
            priority=TaskPriority.HIGH if number % 2 else TaskPriority.LOW,
        )
        for number in range(count)
    )
    session.commit()


def test_a_job_writes_exactly_what_the_download_gives_as_the_requester(
    client, staff, other_staff, database, session, files_dir
):
    for day in (3, 1, 2):
        create(
            client,
            staff,
            title=f"Draft report {day}",
            assignee_ids=[str(staff.user_id)],
            due_date=f"2026-12-{day:02d}",
            priority="high",
        )
    create(client, staff, title="Someone else's", assignee_ids=[str(other_staff.user_id)])
    create(client, staff, title="Done", assignee_ids=[str(staff.user_id)], status="completed")
    filters = {"assignee": "me", "status": ["not_started", "in_progress"], "sort": "due_date"}
    direct = client.get(TASKS, params={**filters, "format": "csv"}, headers=staff.headers)

    job = requested(client, staff, resource="tasks", format="csv", filters=filters)
    consumer = EventConsumer("tasks", database, bus, handlers(LocalStorage(files_dir)))
    assert consumer.handle(requested_event(session, job["id"])) is Outcome.HANDLED

    done = job_of(client, staff, job["id"])
    assert (done["status"], done["rows_done"], done["rows_total"]) == ("done", 3, 3)
    assert done["downloadable"]
    assert done["error"] is None
    assert done["file_name"].startswith("tasks-")
    assert done["file_name"].endswith(".csv")
    content = client.get(f"{EXPORTS}/{job['id']}/content", headers=staff.headers)
    assert content.status_code == 200, content.text
    assert content.headers["content-type"] == "text/csv; charset=utf-8"
    assert content.headers["content-disposition"].startswith("attachment;")
    # The same file: "me" is the requester, not the worker running it.
    assert content.content == direct.content
    rows = list(csv.DictReader(io.StringIO(content.content.decode("utf-8-sig"))))
    assert [row["Title"] for row in rows] == [f"Draft report {day}" for day in (1, 2, 3)]
    assert stored(files_dir, job["id"]).read_bytes() == direct.content


def test_an_excel_job_has_the_rows_of_the_excel_download(client, staff, database, session):
    for priority in ("high", "low", "high"):
        create(client, staff, title=f"A {priority} task", priority=priority)
    filters = {"priority": ["high"]}
    direct = client.get(TASKS, params={**filters, "format": "xlsx"}, headers=staff.headers)
    job = requested(client, staff, resource="tasks", format="xlsx", filters=filters)
    storage = LocalStorage(Path(client.app.state.attachment_files.storage.root))
    assert runner(database, storage).run(uuid.UUID(job["id"])) is ExportJobStatus.DONE

    content = client.get(f"{EXPORTS}/{job['id']}/content", headers=staff.headers)
    assert content.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )

    def sheet_rows(data: bytes) -> list[tuple[Any, ...]]:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        return list(workbook.worksheets[0].iter_rows(values_only=True))

    assert sheet_rows(content.content) == sheet_rows(direct.content)
    assert len(sheet_rows(content.content)) == 1 + 2


def test_a_file_is_in_its_requesters_time_zone_downloaded_or_written_in_the_background(
    client, staff, database, session
):
    """A London colleague's export has London times and a London date, as his pages do; the
    office's people keep the office's (Manila, 8 hours ahead)."""
    task = create(client, staff, title="Inventory the boats", assignee_ids=[str(staff.user_id)])
    session.execute(
        update(Task)
        .where(Task.id == uuid.UUID(task["id"]))
        .values(created_at=datetime(2026, 12, 6, 20, 30, tzinfo=UTC))
    )
    session.commit()
    london = Caller(staff.user_id, auth_headers(staff.user_id, time_zone="Europe/London"))

    def created(data: bytes) -> str:
        (row,) = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
        return row["Created"]

    direct = client.get(TASKS, params={"format": "csv"}, headers=london.headers)
    assert created(direct.content) == "2026-12-06 20:30"
    office = client.get(TASKS, params={"format": "csv"}, headers=staff.headers)
    assert created(office.content) == "2026-12-07 04:30"

    job = requested(client, london, resource="tasks", format="csv")
    session.execute(
        update(ExportJob)
        .where(ExportJob.id == uuid.UUID(job["id"]))
        .values(created_at=datetime(2026, 12, 6, 20, 0, tzinfo=UTC))
    )
    session.commit()
    storage = LocalStorage(Path(client.app.state.attachment_files.storage.root))
    assert runner(database, storage).run(uuid.UUID(job["id"])) is ExportJobStatus.DONE
    done = job_of(client, london, job["id"])
    assert done["file_name"] == "tasks-2026-12-06.csv"  # Manila was already on the 7th
    content = client.get(f"{EXPORTS}/{job['id']}/content", headers=london.headers)
    assert created(content.content) == "2026-12-06 20:30"


class ObservedStorage(LocalStorage):
    """A local folder whose writer, between two reads of the file it stores, calls
    `between` (the test looks at the job through the API there, while it runs)."""

    def __init__(self, root: Path, between: Callable[[], None]) -> None:
        super().__init__(root)
        self.between = between

    def put(self, key: str, data: BinaryIO, *, content_type: str) -> None:
        def pieces() -> Any:
            while piece := data.read(16 * 1024):
                self.between()
                yield piece

        super().put(key, _Joined(pieces()), content_type=content_type)


class _Joined(io.RawIOBase):
    def __init__(self, pieces: Any) -> None:
        self.pieces, self.pending = pieces, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self.pending:
            self.pending = next(self.pieces, b"")
        taken, self.pending = self.pending[: len(buffer)], self.pending[len(buffer) :]
        buffer[: len(taken)] = taken
        return len(taken)


def test_progress_moves_while_the_job_runs(client, staff, database, session, files_dir):
    add_tasks(session, 5_000)
    job = requested(client, staff, resource="tasks", format="csv", filters={"priority": ["high"]})
    seen: list[tuple[str, int, int | None]] = []

    def look() -> None:
        found = job_of(client, staff, job["id"])
        seen.append((found["status"], found["rows_done"], found["rows_total"]))

    storage = ObservedStorage(files_dir, look)
    ran = runner(database, storage, progress_rows=100).run(uuid.UUID(job["id"]))
    assert ran is ExportJobStatus.DONE
    assert {status for status, _, _ in seen} == {"running"}
    assert {total for _, _, total in seen} == {2_500}
    done = [rows for _, rows, _ in seen]
    assert done == sorted(done)
    assert len({rows for rows in done if 0 < rows < 2_500}) >= 2, done
    finished = job_of(client, staff, job["id"])
    assert (finished["status"], finished["rows_done"]) == ("done", 2_500)
    lines = stored(files_dir, job["id"]).read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 1 + 2_500


def test_only_the_requester_and_admins_see_a_job_and_its_file(
    client, staff, other_staff, manager, admin, database, files_dir
):
    create(client, staff)
    job = requested(client, staff, resource="tasks", format="csv")
    runner(database, LocalStorage(files_dir)).run(uuid.UUID(job["id"]))
    for path in (f"{EXPORTS}/{job['id']}", f"{EXPORTS}/{job['id']}/content"):
        for stranger in (other_staff, manager):
            assert_error(client.get(path, headers=stranger.headers), 403)
        assert client.get(path, headers=admin.headers).status_code == 200
        assert client.get(path).status_code == 401
    assert_error(client.get(f"{EXPORTS}/{uuid.uuid4()}", headers=admin.headers), 404)
    mine = client.get(EXPORTS, headers=staff.headers).json()
    assert [listed["id"] for listed in mine["items"]] == [job["id"]]
    assert client.get(EXPORTS, headers=other_staff.headers).json()["total"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"resource": "spreadsheets", "format": "csv"}, "resource"),
        ({"resource": "tasks", "format": "json"}, "format"),
        ({"resource": "tasks", "format": "pdf"}, "format"),
        (
            {"resource": "tasks", "format": "csv", "filters": {"priority": ["urgent"]}},
            "filters.priority",
        ),
        ({"resource": "tasks", "format": "csv", "filters": {"colour": "red"}}, "filters.colour"),
        ({"resource": "tasks", "format": "csv", "filters": {"team": "nope"}}, "filters.team"),
        ({"format": "csv"}, "resource"),
        ({"resource": "tasks", "format": "csv", "rows": 5}, "rows"),
    ],
)
def test_a_bad_request_is_422_naming_the_field_and_queues_nothing(
    client, staff, session, body, field
):
    assert_error(client.post(EXPORTS, json=body, headers=staff.headers), 422, field)
    assert session.scalar(text("SELECT count(*) FROM export_jobs")) == 0


def test_a_request_is_refused_as_the_list_refuses_the_same_query(client, staff):
    filters = {"due_after": "2026-12-10", "due_before": "2026-12-01"}
    listed = client.get(TASKS, params={**filters, "format": "csv"}, headers=staff.headers)
    assert listed.status_code == 422
    body = {"resource": "tasks", "format": "csv", "filters": filters}
    assert_error(client.post(EXPORTS, json=body, headers=staff.headers), 422, "due_before")


def test_the_same_request_twice_is_two_jobs(client, staff):
    first = requested(client, staff, resource="tasks", format="csv")
    second = requested(client, staff, resource="tasks", format="csv")
    assert first["id"] != second["id"]


class DyingStorage(LocalStorage):
    """A worker process that dies while writing the file (after its first progress)."""

    def put(self, key: str, data: BinaryIO, *, content_type: str) -> None:
        data.read(16 * 1024)
        raise SystemExit("the worker was killed")


def test_a_job_whose_worker_died_is_run_again_by_the_next_delivery(
    client, staff, database, session, files_dir
):
    add_tasks(session, 1_500)
    job = requested(client, staff, resource="tasks", format="csv")
    job_id = uuid.UUID(job["id"])
    with pytest.raises(SystemExit):
        runner(database, DyingStorage(files_dir), lease=timedelta(0), progress_rows=100).run(job_id)
    died = job_of(client, staff, job["id"])
    assert died["status"] == "running"
    assert died["rows_done"] > 0
    assert not stored(files_dir, job["id"]).exists()

    # Its lease has run out: the event, back on the queue, finds the job and finishes it.
    consumer = EventConsumer("tasks", database, bus, handlers(LocalStorage(files_dir)))
    assert consumer.handle(requested_event(session, job["id"])) is Outcome.HANDLED
    done = job_of(client, staff, job["id"])
    assert (done["status"], done["rows_done"]) == ("done", 1_500)
    assert session.scalar(select(ExportJob.attempts).where(ExportJob.id == job_id)) == 2
    lines = stored(files_dir, job["id"]).read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 1 + 1_500


def test_a_job_whose_worker_may_still_live_waits_for_its_lease(
    client, staff, database, session, files_dir
):
    add_tasks(session, 1_500)
    job = requested(client, staff, resource="tasks", format="csv")
    job_id = uuid.UUID(job["id"])
    with pytest.raises(SystemExit):
        runner(database, DyingStorage(files_dir), lease=timedelta(hours=1)).run(job_id)
    # Delivered again meanwhile: retried later (the worker retries the event), not run twice.
    with pytest.raises(ExportJobBusyError):
        runner(database, LocalStorage(files_dir)).run(job_id)
    assert job_of(client, staff, job["id"])["status"] == "running"
    assert session.scalar(select(ExportJob.attempts).where(ExportJob.id == job_id)) == 1


def test_a_replayed_event_runs_nothing_twice(client, staff, database, session, files_dir):
    create(client, staff)
    job = requested(client, staff, resource="tasks", format="csv")
    consumer = EventConsumer("tasks", database, bus, handlers(LocalStorage(files_dir)))
    payload = requested_event(session, job["id"])
    assert consumer.handle(payload) is Outcome.HANDLED
    finished = job_of(client, staff, job["id"])
    assert consumer.handle(payload) is Outcome.DUPLICATE
    # Published again (a replayed dead letter, a new envelope): the job is finished already.
    again = Event.model_validate({**payload, "id": str(uuid.uuid4())})
    assert consumer.handle(again.model_dump(mode="json")) is Outcome.HANDLED
    assert job_of(client, staff, job["id"]) == finished
    assert session.scalar(select(ExportJob.attempts)) == 1


def test_another_services_request_is_left_to_it(client, staff, database, session, files_dir):
    create(client, staff)
    job = requested(client, staff, resource="tasks", format="csv")
    payload = {**requested_event(session, job["id"]), "producer": "portfolio"}
    consumer = EventConsumer("tasks", database, bus, handlers(LocalStorage(files_dir)))
    assert consumer.handle(payload) is Outcome.HANDLED
    assert job_of(client, staff, job["id"])["status"] == "queued"


class BrokenStorage(LocalStorage):
    def put(self, key: str, data: BinaryIO, *, content_type: str) -> None:
        raise OSError("disk full")


def test_a_failure_ends_the_job_as_failed_with_a_message_for_people(
    client, staff, database, files_dir
):
    create(client, staff)
    job = requested(client, staff, resource="tasks", format="csv")
    ran = runner(database, BrokenStorage(files_dir)).run(uuid.UUID(job["id"]))
    assert ran is ExportJobStatus.FAILED
    failed = job_of(client, staff, job["id"])
    assert failed["status"] == "failed"
    assert not failed["downloadable"]
    assert failed["error"].startswith("The export could not be written. Try again")
    assert "disk full" not in failed["error"]
    assert job["id"] in failed["error"]
    content = client.get(f"{EXPORTS}/{job['id']}/content", headers=staff.headers)
    assert_error(content, 404, "export_id")
    # Failed is final: a delivery again runs nothing.
    assert runner(database, LocalStorage(files_dir)).run(uuid.UUID(job["id"])) is None


def test_a_file_whose_time_is_up_is_deleted(client, staff, database, session, files_dir):
    create(client, staff)
    kept = requested(client, staff, resource="tasks", format="csv")
    runner(database, LocalStorage(files_dir)).run(uuid.UUID(kept["id"]))
    expired = requested(client, staff, resource="tasks", format="csv")
    # Kept for no time: the cleanup at its own end removes it.
    runner(database, LocalStorage(files_dir), retention=timedelta(0)).run(uuid.UUID(expired["id"]))
    assert not stored(files_dir, expired["id"]).exists()
    assert stored(files_dir, kept["id"]).exists()
    gone = job_of(client, staff, expired["id"])
    assert gone["status"] == "done"
    assert not gone["downloadable"]
    content = client.get(f"{EXPORTS}/{expired['id']}/content", headers=staff.headers)
    assert_error(content, 404, "export_id")
    # The kept one's time is up too: the next cleanup removes it, once.
    session.execute(update(ExportJob).values(expires_at=text("now() - interval '1 second'")))
    session.commit()
    assert runner(database, LocalStorage(files_dir)).remove_expired() == 1
    assert runner(database, LocalStorage(files_dir)).remove_expired() == 0
    assert not stored(files_dir, kept["id"]).exists()
