"""Background exports through the gateway: a list longer than the threshold (3 rows here)
starts a job from its Export menu with the page's filters; the job's page and the progress
part htmx polls (286 once finished); its file, downloaded through the gateway, holds the rows
the direct download gives; a failure said in words; "My exports"; a stranger refused; the
API facade's ``/api/v1/<service>-exports``.

The services' workers are not running here: a test runs a job with the worker's own runner."""

from __future__ import annotations

import csv
import html
import io
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import httpx
import openpyxl
import pytest
from gateway_helpers import ADMIN_PASSWORD, USER_PASSWORD, ServedApp, served, signed_in, token_for
from sqlalchemy import update

from gateway_service.app import create_app
from gateway_service.settings import GatewaySettings
from obcms_platform.db import Database
from obcms_platform.export_jobs import ExportJobLimits, ExportJobs, ExportRunner
from obcms_platform.storage import LocalStorage
from obcms_platform.vocabulary import ExportJobStatus
from portfolio_service.exports.service import PORTFOLIO_EXPORTS
from tasks_service.exports.service import TASK_EXPORTS

TASKS_PAGE = "/oobc-management/staff/tasks/"
PPAS = "/oobc-management/portfolio/ppas/"
INLINE_MAX_ROWS = 3


@pytest.fixture(scope="module")
def gateway(make_settings: Callable[..., GatewaySettings]) -> Iterator[ServedApp]:
    with served(create_app(make_settings(export_inline_max_rows=INLINE_MAX_ROWS))) as server:
        yield server


@pytest.fixture(scope="module")
def tasks_db(tasks_database: str) -> Iterator[Database]:
    database = Database(tasks_database)
    yield database
    database.engine.dispose()


@pytest.fixture(scope="module")
def portfolio_db(portfolio_database: str) -> Iterator[Database]:
    database = Database(portfolio_database)
    yield database
    database.engine.dispose()


def run_job(
    jobs: ExportJobs, database: Database, files: Path, job_id: str, storage: Any = None
) -> ExportJobStatus | None:
    """What the service's worker does on the job's ``export.requested``."""
    runner = ExportRunner(
        jobs, database.session, storage or LocalStorage(files), ExportJobLimits(progress_rows=1)
    )
    return runner.run(uuid.UUID(job_id))


def job_form(page: httpx.Response) -> tuple[str, list[tuple[str, str]]]:
    """The Export menu's job form: its action and hidden fields (the CSRF token aside)."""
    assert page.status_code == 200, page.text
    menu = re.search(r'<details class="export-menu">(.*?)</details>', page.text, re.S)
    assert menu, "the page has no Export menu"
    form = re.search(r'<form method="post" action="([^"]+)"', menu.group(1))
    assert form, "the Export menu starts no job"
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', menu.group(1))
    return form.group(1), [(n, html.unescape(v)) for n, v in fields if n != "csrftoken"]


def started(client: httpx.Client, page: httpx.Response, export_format: str) -> str:
    """Submit the menu's job form as its `export_format` button does: the job page's path."""
    action, fields = job_form(page)
    data: dict[str, list[str]] = {}
    for name, value in [*fields, ("format", export_format)]:
        data.setdefault(name, []).append(value)
    response = client.post(action, data={**data, "csrftoken": client.cookies["csrftoken"]})
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert re.fullmatch(r"/exports/(tasks|portfolio)/[0-9a-f-]{36}/", location), location
    return location


def progress(client: httpx.Client, job_page: str) -> httpx.Response:
    """The part of the job page htmx polls."""
    return client.get(job_page, headers={"HX-Request": "true"})


def csv_titles(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment;")
    rows = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline=""))
    return [row["Title"] for row in rows]


def staff_client(make_client: Callable[[], httpx.Client], admin: dict[str, str]) -> httpx.Client:
    client = make_client()
    name = f"staff-{uuid.uuid4().hex[:10]}"
    body = {"username": name, "password": USER_PASSWORD, "role": "staff", "full_name": "Noor Ali"}
    assert client.post("/api/v1/users", json=body, headers=admin).status_code == 201
    return signed_in(client, name, USER_PASSWORD)


def add_tasks(client: httpx.Client, headers: dict[str, str], marker: str) -> None:
    """Four high-priority tasks of `marker` (the list the tests export) and one low."""
    for number, priority in enumerate(("high", "high", "low", "high", "high")):
        body = {"title": f"Survey {marker} {number}", "priority": priority, "domain": "mana"}
        assert client.post("/api/v1/tasks", json=body, headers=headers).status_code == 201


def test_a_long_task_list_is_exported_by_a_job_followed_to_its_file(
    make_client, tasks_db, service_files
):
    admin_client = make_client()
    admin = token_for(admin_client, "admin", ADMIN_PASSWORD)
    owner, stranger = staff_client(make_client, admin), staff_client(make_client, admin)
    marker = uuid.uuid4().hex[:8]
    add_tasks(owner, {"X-CSRFToken": owner.cookies["csrftoken"]}, marker)
    filters = {"q": marker, "priority": "high", "sort": "title"}

    # A short list keeps its direct download; a long one starts a job with the page's filters.
    short = owner.get(TASKS_PAGE, params={**filters, "priority": "low"})
    assert re.search(r'<a href="[^"]+export/\?format=csv[^"]*" download>CSV</a>', short.text)
    page = owner.get(TASKS_PAGE, params=filters)
    action, fields = job_form(page)
    assert action == "/exports/tasks/"
    assert ("resource", "tasks") in fields
    assert {("filter.q", marker), ("filter.priority", "high")} <= set(fields)
    assert "4 rows: the file is made in the background" in page.text
    job_page = started(owner, page, "csv")
    job_id = job_page.split("/")[-2]

    waiting = owner.get(job_page)
    assert waiting.status_code == 200
    assert "Status: <strong>Queued</strong>" in waiting.text
    assert 'hx-trigger="every 2s"' in waiting.text
    assert "<html" in waiting.text

    # The worker counted the rows and wrote two of them: the polled part says so.
    with tasks_db.session() as session:
        session.execute(
            update(TASK_EXPORTS.model)
            .where(TASK_EXPORTS.model.id == uuid.UUID(job_id))
            .values(status=ExportJobStatus.RUNNING, rows_total=4, rows_done=2)
        )
        session.commit()
    running = progress(owner, job_page)
    assert running.status_code == 200
    assert "<html" not in running.text
    assert '<progress max="4" value="2"' in running.text
    assert "2 of 4 rows" in running.text
    assert 'hx-trigger="every 2s"' in running.text

    # A stranger sees neither the job nor its file; nor is it in their exports.
    for path in (job_page, job_page + "download/"):
        assert stranger.get(path).status_code in (403, 404)
    assert job_id not in stranger.get("/exports/").text

    assert run_job(TASK_EXPORTS, tasks_db, service_files, job_id) is ExportJobStatus.DONE
    done = progress(owner, job_page)
    assert done.status_code == 286  # htmx stops polling
    assert "hx-trigger" not in done.text
    assert "4 rows" in done.text
    link = re.search(
        r'<a class="button" href="([^"]+)" download>Download the CSV file</a>', done.text
    )
    assert link
    assert link.group(1) == job_page + "download/"

    direct = owner.get(TASKS_PAGE + "export/", params={**filters, "format": "csv"})
    downloaded = owner.get(link.group(1))
    assert re.fullmatch(
        r"attachment; filename\*=UTF-8''tasks-\d{4}-\d{2}-\d{2}\.csv",
        downloaded.headers["content-disposition"],
    )
    assert (
        csv_titles(downloaded)
        == csv_titles(direct)
        == [f"Survey {marker} {number}" for number in (0, 1, 3, 4)]
    )
    assert stranger.get(job_page + "download/").status_code in (403, 404)
    # An admin may look after anyone's export.
    assert signed_in(make_client(), "admin", ADMIN_PASSWORD).get(job_page).status_code == 200

    mine = owner.get("/exports/")
    assert mine.status_code == 200
    row = re.search(rf'<tr>\s*<td><a href="{job_page}">(.*?)</tr>', mine.text, re.S)
    assert row, mine.text
    assert "The task list (CSV)" in row.group(1)
    assert "Done" in row.group(1)
    assert "4 of 4" in row.group(1)


def test_a_long_ppa_list_exports_to_excel_and_a_failure_is_said_in_words(
    make_client, portfolio_db, service_files
):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    admin = token_for(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    for number in range(4):
        body = {"title": f"Water {marker} {number}", "category": "moa_ppa", "sector": "social"}
        assert client.post("/api/v1/ppas", json=body, headers=admin).status_code == 201
    page = client.get(PPAS, params={"q": marker, "sector": "social"})
    assert job_form(page)[0] == "/exports/portfolio/"

    job_page = started(client, page, "xlsx")
    assert run_job(PORTFOLIO_EXPORTS, portfolio_db, service_files, job_page.split("/")[-2])
    downloaded = client.get(job_page + "download/")
    assert downloaded.status_code == 200, downloaded.text
    sheet = openpyxl.load_workbook(io.BytesIO(downloaded.content), read_only=True).worksheets[0]
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert sorted(row[header.index("Title")] for row in rows) == [
        f"Water {marker} {number}" for number in range(4)
    ]

    class BrokenStorage(LocalStorage):
        def put(self, key: str, data: BinaryIO, *, content_type: str) -> None:
            raise OSError("disk full")

    failing = started(client, page, "csv")
    failing_id = failing.split("/")[-2]
    status = run_job(
        PORTFOLIO_EXPORTS, portfolio_db, service_files, failing_id, BrokenStorage(service_files)
    )
    assert status is ExportJobStatus.FAILED
    failed = progress(client, failing)
    assert failed.status_code == 286
    assert "The export could not be made: The export could not be written. Try again" in (
        html.unescape(failed.text)
    )
    assert "Download" not in failed.text
    assert client.get(failing + "download/").status_code == 404


def test_refusals_are_pages_naming_what_is_wrong(make_client):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    page = client.get(PPAS)
    token = client.cookies["csrftoken"]
    bad_format = client.post(
        "/exports/portfolio/", data={"resource": "ppas", "format": "pdf", "csrftoken": token}
    )
    assert bad_format.status_code == 422
    assert "format" in bad_format.text
    bad_filter = client.post(
        "/exports/portfolio/",
        data={"resource": "ppas", "format": "csv", "filter.colour": "red", "csrftoken": token},
    )
    assert bad_filter.status_code == 422
    assert "filters.colour" in bad_filter.text
    assert page.status_code == 200
    assert client.post("/exports/calendar/", data={"csrftoken": token}).status_code == 404
    assert client.get(f"/exports/tasks/{uuid.uuid4()}/").status_code == 404
    assert client.get("/exports/tasks/not-an-id/").status_code == 404
    # Without the CSRF token, no job starts.
    assert client.post("/exports/portfolio/", data={"resource": "ppas"}).status_code == 403


def test_api_clients_use_the_jobs_through_the_gateway(make_client, tasks_db, service_files):
    client = make_client()
    admin = token_for(client, "admin", ADMIN_PASSWORD)
    stranger_client = staff_client(make_client, admin)
    marker = uuid.uuid4().hex[:8]
    add_tasks(client, admin, marker)
    body = {"resource": "tasks", "format": "csv", "filters": {"q": marker, "priority": "low"}}
    response = client.post("/api/v1/tasks-exports", json=body, headers=admin)
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    assert response.headers["location"] == f"/api/v1/tasks-exports/{job_id}"
    assert run_job(TASK_EXPORTS, tasks_db, service_files, job_id) is ExportJobStatus.DONE

    job = client.get(response.headers["location"], headers=admin).json()
    assert (job["status"], job["rows_total"]) == ("done", 1)
    content = client.get(f"/api/v1/tasks-exports/{job_id}/content", headers=admin)
    assert csv_titles(content) == [f"Survey {marker} 2"]
    mine = client.get("/api/v1/tasks-exports", headers=admin).json()
    assert job_id in [item["id"] for item in mine["items"]]
    stranger = {"X-CSRFToken": stranger_client.cookies["csrftoken"]}
    assert stranger_client.get(f"/api/v1/tasks-exports/{job_id}", headers=stranger).status_code in (
        403,
        404,
    )
    # Each service's jobs are its own collection: the other's is not asked for them.
    assert client.get(f"/api/v1/portfolio-exports/{job_id}", headers=admin).status_code == 404
    assert client.get("/api/v1/exports", headers=admin).status_code == 404
