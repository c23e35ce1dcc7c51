"""Files attached to PPAs and assessments: the office formats told apart by their content,
the round trip, who may delete, who may download, and a deleted PPA's or assessment's files
removed once its ``deleted`` event is consumed (by the portfolio's own worker handlers)."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from obcms_platform.auth import Role
from obcms_platform.bus.consumer import EventConsumer, Outcome
from obcms_platform.contracts import ASSESSMENT_DELETED, PPA_DELETED
from obcms_platform.db import Database
from obcms_platform.registry import PORTFOLIO
from obcms_platform.storage import LocalStorage
from obcms_platform.testing import Caller, assert_error, auth_headers, make_caller
from obcms_platform.testing.files import OFFICE_TYPES, PDF, PNG, office_file, plain_zip
from obcms_platform.testing.service_fixtures import service_settings
from portfolio_service.db import bus
from portfolio_service.events import handlers

from .helpers import ASSESSMENTS, PPAS, create_assessment, create_ppa, outbox_rows


@pytest.fixture
def files_dir(tmp_path: Path) -> Path:
    return tmp_path / "attachments"


@pytest.fixture
def settings(files_dir: Path, portfolio_db_url: str, redis_url: str) -> Any:
    return service_settings(PORTFOLIO, portfolio_db_url, redis_url, attachments_dir=files_dir)


def upload(
    client: TestClient, caller: Caller, path: str, content: bytes, filename: str = "file.bin"
) -> Any:
    return client.post(
        f"{path}/attachments",
        files={"file": (filename, content, "application/octet-stream")},
        headers=caller.headers,
    )


def uploaded(client: TestClient, caller: Caller, path: str, content: bytes, **kw: Any) -> Any:
    response = upload(client, caller, path, content, **kw)
    assert response.status_code == 201, response.text
    return response.json()


def stored_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


@pytest.mark.parametrize("kind", list(OFFICE_TYPES))
def test_office_documents_are_told_apart_by_their_content(client, staff, kind):
    ppa = create_ppa(client, staff)
    # Named as another format: the content decides.
    content = office_file(kind)
    body = uploaded(client, staff, f"{PPAS}/{ppa['id']}", content, filename="budget.zip")
    assert body["content_type"] == OFFICE_TYPES[kind]
    download = client.get(
        f"{PPAS}/{ppa['id']}/attachments/{body['id']}/content", headers=staff.headers
    )
    assert download.content == content
    assert download.headers["content-type"] == OFFICE_TYPES[kind]


def test_a_plain_zip_is_not_an_office_document(client, staff, files_dir):
    ppa = create_ppa(client, staff)
    response = upload(client, staff, f"{PPAS}/{ppa['id']}", plain_zip(), filename="budget.docx")
    error = assert_error(response, 415, "file")
    assert "application/zip" in error["message"]
    assert stored_files(files_dir) == []


def test_an_assessments_files_round_trip(client, staff, other_staff, files_dir):
    assessment = create_assessment(client, staff)
    path = f"{ASSESSMENTS}/{assessment['id']}"
    body = uploaded(client, other_staff, path, PNG, filename="map.png")
    assert body["record_type"] == "assessment"
    assert body["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert stored_files(files_dir) == [
        files_dir / "portfolio" / "assessment" / assessment["id"] / body["id"]
    ]
    listing = client.get(f"{path}/attachments", headers=staff.headers).json()
    assert listing["total"] == 1
    assert listing["items"] == [body]
    download = client.get(f"{path}/attachments/{body['id']}/content", headers=staff.headers)
    assert download.content == PNG
    assert download.headers["content-disposition"] == "attachment; filename*=UTF-8''map.png"


def test_a_ppas_file_is_deleted_by_its_uploader_the_ppas_owners_or_a_manager(
    client, staff, other_staff, manager, files_dir
):
    lead = make_caller(Role.STAFF)
    ppa = create_ppa(client, staff, lead_id=str(lead.user_id))
    path = f"{PPAS}/{ppa['id']}"
    files = [uploaded(client, other_staff, path, PDF + str(n).encode()) for n in range(3)]
    stranger = make_caller(Role.STAFF)
    assert_error(
        client.delete(f"{path}/attachments/{files[0]['id']}", headers=stranger.headers), 403
    )
    for caller, attachment in zip((other_staff, lead, manager), files, strict=True):
        response = client.delete(f"{path}/attachments/{attachment['id']}", headers=caller.headers)
        assert response.status_code == 204, response.text
    assert stored_files(files_dir) == []


def test_an_assessments_file_is_not_deleted_by_another_staff_member(client, staff, other_staff):
    assessment = create_assessment(client, staff)
    path = f"{ASSESSMENTS}/{assessment['id']}"
    attachment = uploaded(client, staff, path, PDF)
    refused = client.delete(f"{path}/attachments/{attachment['id']}", headers=other_staff.headers)
    assert_error(refused, 403)
    assert client.get(f"{path}/attachments", headers=staff.headers).json()["total"] == 1


def test_who_cannot_read_a_ppa_cannot_download_its_file(client, staff):
    """Every signed-in, active staff member reads every PPA today; the download takes exactly
    what the PPA's GET takes: a caller refused there is refused here."""
    ppa = create_ppa(client, staff)
    attachment = uploaded(client, staff, f"{PPAS}/{ppa['id']}", PDF)
    content = f"{PPAS}/{ppa['id']}/attachments/{attachment['id']}/content"
    someone = uuid.uuid4()
    for headers in ({}, auth_headers(someone, audience="tasks")):
        assert_error(client.get(f"{PPAS}/{ppa['id']}", headers=headers), 401)
        assert_error(client.get(content, headers=headers), 401)
    assert client.get(content, headers=make_caller(Role.STAFF).headers).content == PDF
    deleted = client.delete(f"{PPAS}/{ppa['id']}", headers=staff.headers)
    assert deleted.status_code == 204
    assert_error(client.get(f"{PPAS}/{ppa['id']}", headers=staff.headers), 404)
    assert_error(client.get(content, headers=staff.headers), 404)


@pytest.mark.parametrize(
    ("collection", "contract", "make"),
    [
        (PPAS, PPA_DELETED, lambda client, caller: create_ppa(client, caller)),
        (ASSESSMENTS, ASSESSMENT_DELETED, create_assessment),
    ],
)
def test_a_deleted_records_files_go_once_its_event_is_consumed(
    client, staff, files_dir, database: Database, collection, contract, make
):
    record, kept = make(client, staff), make(client, staff)
    for n in range(2):
        uploaded(client, staff, f"{collection}/{record['id']}", PDF + str(n).encode())
    other = uploaded(client, staff, f"{collection}/{kept['id']}", PNG)
    assert client.delete(f"{collection}/{record['id']}", headers=staff.headers).status_code == 204
    assert len(stored_files(files_dir)) == 3

    consumer = EventConsumer("portfolio", database, bus, handlers(LocalStorage(files_dir)))
    [payload] = [
        row for row in outbox_rows(database, contract.name) if row["subject_id"] == record["id"]
    ]
    assert consumer.handle(payload) is Outcome.HANDLED
    assert [path.name for path in stored_files(files_dir)] == [other["id"]]
    assert consumer.handle(payload) is Outcome.DUPLICATE
    listing = client.get(f"{collection}/{kept['id']}/attachments", headers=staff.headers)
    assert listing.json()["items"] == [other]
