"""Files attached to tasks: upload, list, download and delete through the API, the limits
(size, count, types sniffed from the content, the scan hook) with nothing stored on a
refusal, and a deleted task's files removed once its ``task.deleted`` is consumed.

The files go to a local folder of the test's own (``attachments_dir``): what is stored is
read there, not taken from the API's word."""

from __future__ import annotations

import hashlib
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from obcms_platform.attachments import display_name
from obcms_platform.auth import Role
from obcms_platform.bus import Event
from obcms_platform.bus.consumer import EventConsumer, Outcome
from obcms_platform.contracts import TASK_DELETED
from obcms_platform.db import Database
from obcms_platform.registry import TASKS as TASKS_SERVICE
from obcms_platform.storage import LocalStorage
from obcms_platform.testing import Caller, assert_error, auth_headers, make_caller
from obcms_platform.testing.auth import other_private_key
from obcms_platform.testing.files import EICAR, EICAR_REASON, ELF, EXE, PDF, PNG
from obcms_platform.testing.service_fixtures import service_settings
from tasks_service.db import bus
from tasks_service.events import handlers

from .helpers import TASKS, create

LIMIT = 64 * 1024


@pytest.fixture
def files_dir(tmp_path: Path) -> Path:
    return tmp_path / "attachments"


@pytest.fixture
def settings(files_dir: Path, tasks_db_url: str, redis_url: str) -> Any:
    """The service with its files in `files_dir`, files of at most 64 KiB, three a task, and
    the EICAR-refusing scan hook."""
    return service_settings(
        TASKS_SERVICE,
        tasks_db_url,
        redis_url,
        attachments_dir=files_dir,
        attachment_max_bytes=LIMIT,
        attachment_max_per_record=3,
        attachment_scan_hook="obcms_platform.testing.files:refuse_eicar",
    )


def attachments_of(task_id: str) -> str:
    return f"{TASKS}/{task_id}/attachments"


def upload(
    client: TestClient,
    caller: Caller,
    task_id: str,
    content: bytes,
    filename: str = "report.pdf",
    content_type: str = "application/octet-stream",
) -> Any:
    return client.post(
        attachments_of(task_id),
        files={"file": (filename, content, content_type)},
        headers=caller.headers,
    )


def uploaded(client: TestClient, caller: Caller, task_id: str, content: bytes, **kw: Any) -> Any:
    response = upload(client, caller, task_id, content, **kw)
    assert response.status_code == 201, response.text
    return response.json()


def stored_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def listed(client: TestClient, caller: Caller, task_id: str) -> list[dict[str, Any]]:
    response = client.get(attachments_of(task_id), headers=caller.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


# --- the round trip ----------------------------------------------------------------------


def test_an_uploaded_file_is_listed_and_downloads_identical(client, staff, other_staff, files_dir):
    task = create(client, staff)
    content = PDF + bytes(range(256)) * 40
    response = upload(client, other_staff, task["id"], content, filename="Site visit — Marawi.pdf")

    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"{attachments_of(task['id'])}/{body['id']}"
    assert body["record_type"] == "task"
    assert body["record_id"] == task["id"]
    assert body["filename"] == "Site visit — Marawi.pdf"
    assert body["content_type"] == "application/pdf"
    assert body["size"] == len(content)
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["uploaded_by"] == str(other_staff.user_id)
    stored = files_dir / "tasks" / "task" / task["id"] / body["id"]
    assert stored_files(files_dir) == [stored]
    assert stored.read_bytes() == content

    assert listed(client, staff, task["id"]) == [body]
    one = client.get(f"{attachments_of(task['id'])}/{body['id']}", headers=staff.headers)
    assert one.json() == body

    download = client.get(
        f"{attachments_of(task['id'])}/{body['id']}/content", headers=staff.headers
    )
    assert download.status_code == 200
    assert download.content == content
    assert hashlib.sha256(download.content).hexdigest() == body["sha256"]
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == (
        "attachment; filename*=UTF-8''Site%20visit%20%E2%80%94%20Marawi.pdf"
    )
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["cache-control"] == "private, no-store"


def test_the_type_comes_from_the_content_not_the_name(client, staff):
    task = create(client, staff)
    pdf = uploaded(client, staff, task["id"], PDF, filename="notes.txt", content_type="text/plain")
    assert pdf["content_type"] == "application/pdf"
    png = uploaded(client, staff, task["id"], PNG, filename="scan.pdf")
    assert png["content_type"] == "image/png"
    table = "name,barangay\nAmina,Tamparan\nJosé,Poblacion\n".encode()
    csv = uploaded(client, staff, task["id"], table, filename="people.csv", content_type="text/csv")
    assert csv["content_type"] == "text/csv"
    download = client.get(
        f"{attachments_of(task['id'])}/{csv['id']}/content", headers=staff.headers
    )
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    assert download.content == table


def test_text_declared_plain_is_plain_and_a_path_in_the_name_is_dropped(client, staff):
    task = create(client, staff)
    note = uploaded(
        client,
        staff,
        task["id"],
        b"a,b\n1,2\n",
        filename="..\\..\\etc/passwd.txt",
        content_type="text/plain",
    )
    assert note["content_type"] == "text/plain"
    assert note["filename"] == "passwd.txt"


def test_a_name_is_shown_without_path_or_control_characters():
    assert display_name("C:\\Users\\amina\\report\x07.pdf") == "report.pdf"
    assert display_name("../../\u202egpj.exe") == "gpj.exe"
    assert display_name("  ") == "file"
    long = display_name("x" * 300 + ".docx")
    assert len(long) == 255
    assert long.endswith("x.docx")


# --- refusals: nothing stored ------------------------------------------------------------


def assert_nothing_stored(client: TestClient, caller: Caller, task_id: str, folder: Path) -> None:
    assert listed(client, caller, task_id) == []
    assert stored_files(folder) == []


def test_a_file_over_the_limit_is_413_naming_the_file(client, staff, files_dir):
    task = create(client, staff)
    error = assert_error(upload(client, staff, task["id"], PDF + bytes(LIMIT)), 413, "file")
    assert str(LIMIT) in error["message"]
    assert_nothing_stored(client, staff, task["id"], files_dir)


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(client, staff, files_dir):
    task = create(client, staff)
    error = assert_error(upload(client, staff, task["id"], PDF + bytes(4 * LIMIT)), 413, "file")
    assert str(LIMIT) in error["message"]
    assert_nothing_stored(client, staff, task["id"], files_dir)


def test_other_requests_keep_the_body_limit(client, staff):
    task = create(client, staff)
    huge = {"description": "x" * 2_000_000}
    response = client.patch(f"{TASKS}/{task['id']}", json=huge, headers=staff.headers)
    assert_error(response, 413, "body")


@pytest.mark.parametrize(
    ("content", "found"),
    [
        (ELF, "application/"),
        (EXE, "application/x-dosexec"),
        (b"<html><body>hi</body></html>", "text/html"),
    ],
)
def test_a_program_renamed_pdf_is_415_with_the_type_found(client, staff, files_dir, content, found):
    task = create(client, staff)
    response = upload(client, staff, task["id"], content, content_type="application/pdf")
    error = assert_error(response, 415, "file")
    assert found in error["message"]
    assert_nothing_stored(client, staff, task["id"], files_dir)


@pytest.mark.parametrize(
    ("content", "told"),
    [
        ("Café in Latin-1\n".encode("latin-1"), "UTF-8"),
        ("UTF-16 text\n".encode("utf-16"), "UTF-8"),
        # libmagic takes text with a NUL byte for binary data.
        (b"text with a NUL \x00 byte\n", "application/octet-stream"),
    ],
)
def test_text_must_be_utf8_without_nul(client, staff, files_dir, content, told):
    task = create(client, staff)
    response = upload(
        client, staff, task["id"], content, filename="a.txt", content_type="text/plain"
    )
    error = assert_error(response, 415, "file")
    assert told in error["message"]
    assert_nothing_stored(client, staff, task["id"], files_dir)


def test_an_empty_or_missing_file_is_422(client, staff, files_dir):
    task = create(client, staff)
    assert_error(upload(client, staff, task["id"], b""), 422, "file")
    missing = client.post(attachments_of(task["id"]), data={"other": "x"}, headers=staff.headers)
    assert_error(missing, 422, "file")
    assert_nothing_stored(client, staff, task["id"], files_dir)


def test_a_broken_multipart_form_is_422_naming_the_body(client, staff):
    task = create(client, staff)
    response = client.post(
        attachments_of(task["id"]),
        content=b"--xyz\r\n['True', 8815]--xyz--\r\n",
        headers={**staff.headers, "Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert "multipart" in assert_error(response, 422, "body")["message"]


def test_a_file_the_scan_refuses_is_422_with_its_reason(client, staff, files_dir):
    task = create(client, staff)
    response = upload(client, staff, task["id"], EICAR, filename="eicar.txt")
    error = assert_error(response, 422, "file")
    assert EICAR_REASON in error["message"]
    assert_nothing_stored(client, staff, task["id"], files_dir)


def test_the_count_limit_is_409(client, staff, files_dir):
    task = create(client, staff)
    for number in range(3):
        uploaded(client, staff, task["id"], PDF + str(number).encode())
    assert_error(upload(client, staff, task["id"], PNG), 409, "file")
    assert len(listed(client, staff, task["id"])) == 3
    assert len(stored_files(files_dir)) == 3


def test_concurrent_uploads_never_pass_the_count_limit(client, staff, files_dir):
    task = create(client, staff)
    uploaded(client, staff, task["id"], PDF)
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def race(number: int) -> None:
        barrier.wait()
        statuses.append(upload(client, staff, task["id"], PDF + str(number).encode()).status_code)

    threads = [threading.Thread(target=race, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 201, 409, 409]
    assert len(listed(client, staff, task["id"])) == 3
    assert len(stored_files(files_dir)) == 3


def test_uploading_to_a_missing_task_is_404_and_stores_nothing(client, staff, files_dir):
    assert_error(upload(client, staff, str(uuid.uuid4()), PDF), 404)
    assert stored_files(files_dir) == []


def test_a_transaction_failing_after_the_store_leaves_no_file(client, staff, files_dir, database):
    """The row's transaction fails at its commit (a deferred check refuses it), after the
    file was stored: the file goes too."""
    task = create(client, staff)
    with database.session() as session:
        session.execute(
            text(
                "CREATE FUNCTION refuse_attachment() RETURNS trigger LANGUAGE plpgsql AS $$"
                " BEGIN RAISE EXCEPTION 'refused at commit'; END $$"
            )
        )
        session.execute(
            text(
                "CREATE CONSTRAINT TRIGGER refuse_attachment AFTER INSERT ON attachments"
                " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_attachment()"
            )
        )
        session.commit()
    response = upload(client, staff, task["id"], PDF)
    assert response.status_code == 500
    assert_nothing_stored(client, staff, task["id"], files_dir)


# --- who may -----------------------------------------------------------------------------


def test_delete_takes_the_uploader_the_tasks_workers_or_a_manager(
    client, staff, other_staff, manager, files_dir
):
    task = create(client, staff, assignee_ids=[str(staff.user_id)])
    by_other = uploaded(client, other_staff, task["id"], PDF + b"1")
    by_owner = uploaded(client, staff, task["id"], PDF + b"2")
    by_manager = uploaded(client, manager, task["id"], PDF + b"3")
    path = attachments_of(task["id"])

    refused = client.delete(f"{path}/{by_owner['id']}", headers=other_staff.headers)
    assert_error(refused, 403)
    assert "Delete a file attached to a task" in refused.json()["error"]["message"]
    stranger = make_caller(Role.STAFF)
    assert_error(client.delete(f"{path}/{by_other['id']}", headers=stranger.headers), 403)
    assert len(stored_files(files_dir)) == 3

    assert client.delete(f"{path}/{by_other['id']}", headers=other_staff.headers).status_code == 204
    assert client.delete(f"{path}/{by_manager['id']}", headers=staff.headers).status_code == 204
    assert client.delete(f"{path}/{by_owner['id']}", headers=manager.headers).status_code == 204
    assert listed(client, staff, task["id"]) == []
    assert stored_files(files_dir) == []
    assert_error(client.delete(f"{path}/{by_owner['id']}", headers=manager.headers), 404)


def test_an_attachment_is_found_only_under_its_own_task(client, staff, manager):
    task, other = create(client, staff), create(client, staff)
    attachment = uploaded(client, staff, task["id"], PDF)
    wrong = f"{attachments_of(other['id'])}/{attachment['id']}"
    assert_error(client.get(f"{wrong}/content", headers=staff.headers), 404)
    assert_error(client.delete(wrong, headers=manager.headers), 404)


def test_callers_who_cannot_read_the_task_cannot_download(client, staff):
    task = create(client, staff)
    attachment = uploaded(client, staff, task["id"], PDF)
    content = f"{attachments_of(task['id'])}/{attachment['id']}/content"
    someone = uuid.uuid4()
    refused = {
        "anonymous": {},
        "a token for another service": auth_headers(someone, audience="calendar"),
        "a forged token": {
            "Authorization": "Bearer " + _forged_token(someone),
        },
    }
    for who, headers in refused.items():
        response = client.get(content, headers=headers)
        assert response.status_code == 401, who
        assert PDF not in response.content, who
        assert_error(client.get(attachments_of(task["id"]), headers=headers), 401)
        assert_error(upload(client, Caller(someone, headers), task["id"], PNG), 401)
    # The task's own GET decides: once it answers 404, so does the download.
    assert client.delete(f"{TASKS}/{task['id']}", headers=staff.headers).status_code == 204
    assert_error(client.get(f"{TASKS}/{task['id']}", headers=staff.headers), 404)
    assert_error(client.get(content, headers=staff.headers), 404)


def _forged_token(user_id: uuid.UUID) -> str:
    from obcms_platform.auth import sign_internal_token

    return sign_internal_token(other_private_key(), user_id, [Role.ADMIN], audience="tasks")


def test_a_file_missing_from_the_storage_is_404(client, staff, files_dir):
    task = create(client, staff)
    attachment = uploaded(client, staff, task["id"], PDF)
    for path in stored_files(files_dir):
        path.unlink()
    response = client.get(
        f"{attachments_of(task['id'])}/{attachment['id']}/content", headers=staff.headers
    )
    assert_error(response, 404)


# --- a deleted task's files --------------------------------------------------------------


def _deleted_event(session: Session, task_id: str) -> dict[str, Any]:
    payloads = [
        payload
        for payload in session.scalars(
            select(bus.outbox.c.payload).where(bus.outbox.c.event_type == TASK_DELETED.name)
        )
        if payload["subject_id"] == task_id
    ]
    assert len(payloads) == 1
    payload: dict[str, Any] = payloads[0]
    return payload


def test_deleting_a_task_removes_its_files_once_its_event_is_consumed(
    client, staff, files_dir, database: Database, session: Session
):
    task, kept = create(client, staff), create(client, staff)
    for number in range(2):
        uploaded(client, staff, task["id"], PDF + str(number).encode())
    other = uploaded(client, staff, kept["id"], PNG)
    assert client.delete(f"{TASKS}/{task['id']}", headers=staff.headers).status_code == 204
    assert len(stored_files(files_dir)) == 3  # until the event is handled

    consumer = EventConsumer("tasks", database, bus, handlers(LocalStorage(files_dir)))
    payload = _deleted_event(session, task["id"])
    assert consumer.handle(payload) is Outcome.HANDLED
    assert stored_files(files_dir) == [files_dir / "tasks" / "task" / kept["id"] / other["id"]]
    rows = session.execute(text("SELECT record_id FROM attachments")).scalars().all()
    assert [str(row) for row in rows] == [kept["id"]]
    # Delivered again: nothing more happens.
    assert consumer.handle(payload) is Outcome.DUPLICATE
    assert listed(client, staff, kept["id"]) == [other]


def test_the_removal_is_idempotent_and_sweeps_files_without_a_row(
    client, staff, files_dir, session: Session
):
    task = create(client, staff)
    uploaded(client, staff, task["id"], PDF)
    # A file whose row never committed (a process killed between the two).
    stray = files_dir / "tasks" / "task" / task["id"] / str(uuid.uuid4())
    stray.write_bytes(PDF)
    event = Event.model_validate(_deleted_event_after_delete(client, staff, session, task["id"]))
    remove = handlers(LocalStorage(files_dir))[TASK_DELETED.name]
    for _ in range(2):
        remove(session, event)
        session.commit()
    assert stored_files(files_dir) == []
    assert session.execute(text("SELECT count(*) FROM attachments")).scalar() == 0


def _deleted_event_after_delete(
    client: TestClient, caller: Caller, session: Session, task_id: str
) -> dict[str, Any]:
    assert client.delete(f"{TASKS}/{task_id}", headers=caller.headers).status_code == 204
    return _deleted_event(session, task_id)
