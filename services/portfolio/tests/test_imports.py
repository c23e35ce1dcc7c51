"""Imports of PPAs and needs from the Excel layout their exports write: the round trip
reproduces the records and their links; every problem of every row is reported at once and
nothing is half-imported; a dry run writes nothing; the limits, the rule and concurrency."""

from __future__ import annotations

import functools
import io
import uuid
from datetime import date
from typing import Any

import openpyxl
import pytest
from sqlalchemy import text

from obcms_platform import registry
from obcms_platform.testing import assert_error
from obcms_platform.testing.service_fixtures import service_settings
from obcms_platform.testing.service_probes import run_concurrently

from .helpers import NEEDS, PPAS, create_ppa, outbox_count

ALONGANAN = "1908807001"  # a barangay of Datu Piang
COTABATO = "1204700000"  # a province of Region XII
# The limits these tests run with: an upload of at most 64 KiB, 40 rows an import.
MAX_BYTES = 64 * 1024
MAX_ROWS = 40
# The columns the service sets, not the workbook: they differ after an import.
SERVICE_SET = {"Created", "Updated", "Created by"}


@pytest.fixture
def settings(portfolio_db_url: str, redis_url: str) -> Any:
    return service_settings(
        registry.PORTFOLIO,
        portfolio_db_url,
        redis_url,
        attachment_max_bytes=MAX_BYTES,
        import_max_rows=MAX_ROWS,
    )


def workbook(*rows: list[Any]) -> bytes:
    """An Excel workbook of `rows` (the first: the headers), as a person might make one."""
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def import_file(
    client, caller, path: str, content: bytes, *, dry_run: bool = False, name: str = "in.xlsx"
):
    return client.post(
        f"{path}/import",
        params={"dry_run": str(dry_run).lower()},
        files={"file": (name, content, "application/octet-stream")},
        headers=caller.headers,
    )


def exported(client, caller, path: str) -> bytes:
    response = client.get(path, params={"format": "xlsx"}, headers=caller.headers)
    assert response.status_code == 200, response.text
    return response.content


def sheet_rows(content: bytes, id_header: str) -> list[dict[str, Any]]:
    """The rows of an exported workbook by header, ordered by their `id_header` column."""
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    headers, *rows = list(sheet.iter_rows(values_only=True))
    records = [dict(zip(headers, row, strict=True)) for row in rows]
    return sorted(records, key=lambda record: str(record[id_header]))


def count(session, table: str) -> int:
    return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def emptied(session) -> None:
    """The portfolio without PPAs or needs (their links and stages go with them)."""
    session.execute(text("DELETE FROM needs"))
    session.execute(text("DELETE FROM ppas"))
    session.commit()


def test_the_excel_round_trip_reproduces_ppas_needs_and_their_links(
    client, staff, manager, session
):
    lead = create_ppa(
        client,
        staff,
        title="Madrasah water system",
        summary="Two wells\nand a tank",
        category="oobc_ppa",
        status="ongoing",
        priority="high",
        sector="infrastructure",
        funding_source="gaa",
        implementing_office="OOBC Cotabato",
        fiscal_year=2026,
        start_date="2026-02-01",
        target_end_date="2026-11-30",
        budget_allocation="1250000.50",
        budget_ceiling="1500000",
        lead_id=str(staff.user_id),
        member_ids=[str(manager.user_id)],
        coverage=[ALONGANAN, COTABATO],
        communities="Sitio Malingao",
        implementing_partner="MBHTE",
        moa_reference="MOA-2026-014",
        moa_date="2026-01-15",
        beneficiaries_targeted=1200,
        beneficiaries_reached=300,
        tags=["gad", "peace"],
        sdgs=[6, 3],
        accomplishments="First well dug",
        challenges="=rain delays",
    )
    other = create_ppa(client, staff, title="Livelihood kits", category="moa_ppa")
    bodies = [
        {
            "title": "Safe drinking water",
            "status": "validated",
            "urgency_level": "immediate",
            "impact_severity": 5,
            "feasibility": "high",
            "affected_population": 840,
            "community": "Datu Piang",
            "description": "Wells run dry in March",
            "ppa_ids": [lead["id"], other["id"]],
        },
        {"title": "Skills training", "ppa_ids": [other["id"]]},
        {"title": "No PPA yet"},
    ]
    for body in bodies:
        assert client.post(NEEDS, json=body, headers=staff.headers).status_code == 201
    ppas_before = sheet_rows(exported(client, staff, PPAS), "PPA id")
    needs_before = sheet_rows(exported(client, staff, NEEDS), "Need id")
    ppa_file, need_file = exported(client, staff, PPAS), exported(client, staff, NEEDS)
    emptied(session)

    ppa_report = import_file(client, manager, PPAS, ppa_file)
    need_report = import_file(client, manager, NEEDS, need_file)

    assert ppa_report.status_code == 201, ppa_report.text
    assert ppa_report.json()["imported"] == 2
    assert set(ppa_report.json()["ids"]) == {lead["id"], other["id"]}
    assert ppa_report.json()["ignored_columns"] == [
        "Progress (%)",
        "Tasks linked",  # the tasks service's
        "Reported progress (%)",  # the status updates' (not imported)
        "Reported on",
        "Approval status",
        "Allocated",  # the PPA's tranches: recorded as tranches, not imported
        "Obligated",
        "Disbursed",
        "Lead",  # the names; the ids beside them are read
        "Members",
        "Created",
        "Updated",
    ]
    assert need_report.status_code == 201, need_report.text
    assert need_report.json()["imported"] == 3
    for before, after in [
        (ppas_before, sheet_rows(exported(client, staff, PPAS), "PPA id")),
        (needs_before, sheet_rows(exported(client, staff, NEEDS), "Need id")),
    ]:
        assert len(after) == len(before)
        for old, new in zip(before, after, strict=True):
            for header in old.keys() - SERVICE_SET:
                assert new[header] == old[header], (header, old[header], new[header])
    linked = client.get(NEEDS, params={"ppa_id": lead["id"]}, headers=staff.headers).json()
    assert [need["title"] for need in linked["items"]] == ["Safe drinking water"]
    stored = client.get(f"{PPAS}/{lead['id']}", headers=staff.headers).json()
    assert stored["coverage"] == [ALONGANAN, COTABATO]
    assert stored["tags"] == ["gad", "peace"]
    assert stored["sdgs"] == [3, 6]
    assert stored["created_by"] == str(manager.user_id)


PPA_HEADERS = ["Title", "Category", "Status", "Start date", "Budget allocation"]


def test_every_problem_of_every_row_is_reported_at_once_and_nothing_is_written(
    client, manager, session, database
):
    content = workbook(
        [*PPA_HEADERS, "Coverage (PSGC codes)", "Colour"],
        ["Fine", "OOBC PPA", "Planning", date(2026, 3, 1), 1000, ALONGANAN, "red"],
        ["Bad status", "OOBC PPA", "Dreaming", date(2026, 3, 1), 1000, None, None],
        ["Bad date", "OOBC PPA", "Planning", "next March", 1000, None, None],
        ["Negative", "OOBC PPA", "Planning", None, -5, None, None],
        [None, "OOBC PPA", "Planning", None, None, None, None],
        [None, None, None, None, None, None, None],
        ["Nowhere", "OOBC PPA", "Planning", None, None, "1999999999", None],
    )
    events = outbox_count(database)

    response = import_file(client, manager, PPAS, content)

    error = assert_error(response, 422, "file")
    assert "nothing was imported" in error["message"]
    report = response.json()["report"]
    problems = [(p["row"], p["column"], p["message"]) for p in report["errors"]]
    assert problems == [
        (1, "Colour", "not a column of the ppas export"),
        (3, "Status", problems[1][2]),
        (4, "Start date", "next March is not a date (yyyy-mm-dd)"),
        (5, "Budget allocation", "must be at least 0"),
        (6, "Title", "required: the cell is empty"),
        (8, "Coverage (PSGC codes)", "not a PSGC code of any area: 1999999999"),
    ]
    assert problems[1][2].startswith("Dreaming is not one of: Planning, ")
    assert (report["rows"], report["valid_rows"], report["imported"]) == (6, 1, 0)
    assert count(session, "ppas") == 0
    assert outbox_count(database) == events


def test_the_report_lists_the_people_each_row_names_for_the_gateway_to_check(client, manager):
    lead, member, other = (str(uuid.uuid4()) for _ in range(3))
    content = workbook(
        ["Title", "Category", "Lead (user id)", "Members (user ids)"],
        ["Water", "OOBC PPA", lead, f"{member}; {other}"],
        ["Roads", "Someday", "nobody", member],
    )

    response = import_file(client, manager, PPAS, content, dry_run=True)

    assert response.status_code == 200, response.text
    assert response.json()["people"] == [
        {"row": 2, "column": "Lead (user id)", "user_id": lead},
        {"row": 2, "column": "Members (user ids)", "user_id": member},
        {"row": 2, "column": "Members (user ids)", "user_id": other},
        # A row with other problems still names its people; a cell that is no id names nobody.
        {"row": 3, "column": "Members (user ids)", "user_id": member},
    ]


def test_a_row_wrong_in_two_fields_names_both(client, manager, session):
    content = workbook(
        [*PPA_HEADERS, "Target end date", "Budget ceiling"],
        ["Backwards", "OOBC PPA", "Planning", date(2026, 3, 1), 1000, date(2026, 2, 1), 500],
    )

    response = import_file(client, manager, PPAS, content)

    assert_error(response, 422, "file")
    report = response.json()["report"]
    assert [(p["row"], p["column"], p["message"]) for p in report["errors"]] == [
        (2, "Target end date", "must not be before start_date"),
        (2, "Budget allocation", "1,000.00 exceeds the PPA's budget_ceiling of 500.00"),
    ]
    assert count(session, "ppas") == 0


def test_a_dry_run_reports_the_rows_ready_and_writes_nothing(client, manager, session, database):
    content = workbook(
        PPA_HEADERS,
        ["Water", "OOBC PPA", "Planning", date(2026, 3, 1), 1000],
        ["Roads", "oobc_ppa", "ongoing", "2026-04-01", "2,500.75"],
    )
    events = outbox_count(database)

    response = import_file(client, manager, PPAS, content, dry_run=True)

    assert response.status_code == 200, response.text
    report = response.json()
    assert report["dry_run"] is True
    assert (report["rows"], report["valid_rows"], report["imported"]) == (2, 2, 0)
    assert report["errors"] == report["ids"] == []
    assert count(session, "ppas") == 0
    assert outbox_count(database) == events
    imported = import_file(client, manager, PPAS, content)
    assert imported.status_code == 201, imported.text
    listed = client.get(PPAS, params={"q": "Roads"}, headers=manager.headers).json()["items"]
    assert listed[0]["budget_allocation"] == 2500.75
    assert listed[0]["status"] == "ongoing"
    assert outbox_count(database) == events + 2


def test_an_id_in_use_or_twice_in_the_file_is_a_row_problem_never_an_overwrite(
    client, staff, manager
):
    existing = create_ppa(client, staff, title="Already here")
    new_id = "5b1d2f6e-1c1a-4c52-9a43-2f0d5d9e7a10"
    content = workbook(
        ["Title", "Category", "PPA id"],
        ["Overwrite?", "OOBC PPA", existing["id"]],
        ["New", "OOBC PPA", new_id],
        ["New again", "OOBC PPA", new_id],
    )

    response = import_file(client, manager, PPAS, content)

    report = response.json()["report"]
    assert [(p["row"], p["column"]) for p in report["errors"]] == [(2, "PPA id"), (4, "PPA id")]
    assert (
        "already exists: an import adds new records (clear the id" in report["errors"][0]["message"]
    )
    assert report["errors"][1]["message"] == "the same id as row 3"
    stored = client.get(f"{PPAS}/{existing['id']}", headers=staff.headers).json()
    assert stored["title"] == "Already here"
    assert client.get(f"{PPAS}/{new_id}", headers=staff.headers).status_code == 404


def test_a_need_naming_an_unknown_ppa_is_a_problem_of_its_row(client, manager, session):
    content = workbook(
        ["Title", "Addressed by PPAs (ids)", "Impact severity (1-5)"],
        ["Water", "5b1d2f6e-1c1a-4c52-9a43-2f0d5d9e7a10", 3],
        ["Roads", None, 9],
    )

    report = import_file(client, manager, NEEDS, content).json()["report"]

    assert [(p["row"], p["column"]) for p in report["errors"]] == [
        (2, "Addressed by PPAs (ids)"),
        (3, "Impact severity (1-5)"),
    ]
    assert "unknown PPA" in report["errors"][0]["message"]
    assert count(session, "needs") == 0


def test_a_missing_required_column_is_named_once(client, manager):
    content = workbook(["Title", "Status"], ["Water", "Planning"], ["Roads", "Planning"])

    report = import_file(client, manager, PPAS, content).json()["report"]

    missing = {"row": 1, "column": "Category", "message": "the column is missing"}
    assert report["errors"] == [missing]


def test_two_imports_of_one_file_at_once_create_its_records_once(client, manager, session):
    content = workbook(
        ["Title", "Category", "PPA id"],
        *[
            [f"PPA {index}", "OOBC PPA", f"5b1d2f6e-1c1a-4c52-9a43-2f0d5d9e7a{index:02d}"]
            for index in range(10)
        ],
    )

    responses = run_concurrently(
        [functools.partial(import_file, client, manager, PPAS, content)] * 2
    )

    assert sorted(r.status_code for r in responses) == [201, 422], [r.text for r in responses]
    refused = next(r for r in responses if r.status_code == 422).json()["report"]
    assert len(refused["errors"]) == 10
    assert all("already exists" in p["message"] for p in refused["errors"])
    assert count(session, "ppas") == 10


def test_a_file_over_the_upload_limit_is_refused_naming_file(client, manager):
    content = b"x" * (MAX_BYTES + 1)
    assert_error(import_file(client, manager, PPAS, content), 413, "file")


def test_more_rows_than_the_limit_are_refused_naming_file(client, manager, session):
    rows = [[f"PPA {index}", "OOBC PPA"] for index in range(MAX_ROWS + 1)]
    response = import_file(client, manager, PPAS, workbook(["Title", "Category"], *rows))
    error = assert_error(response, 422, "file")
    assert str(MAX_ROWS) in error["message"]
    assert count(session, "ppas") == 0


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"Title,Category\nWater,OOBC PPA\n", "ppas.xlsx"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "ppas.xlsx"),
    ],
)
def test_a_file_that_is_not_a_workbook_is_refused_whatever_its_name(client, manager, content, name):
    assert_error(import_file(client, manager, PPAS, content, name=name), 415, "file")


def test_an_empty_file_is_refused_naming_file(client, manager):
    assert_error(import_file(client, manager, NEEDS, b""), 422, "file")


@pytest.mark.parametrize("path", [PPAS, NEEDS])
def test_staff_and_anonymous_callers_may_not_import(client, staff, session, path):
    content = workbook(["Title", "Category"], ["Water", "OOBC PPA"])
    assert_error(import_file(client, staff, path, content), 403)
    anonymous = client.post(f"{path}/import", files={"file": ("in.xlsx", content)})
    assert_error(anonymous, 401)
    assert count(session, "ppas") == count(session, "needs") == 0


def test_the_template_has_the_columns_an_import_reads_and_fills_in(client, staff, manager):
    response = client.get(f"{NEEDS}/import/template", headers=staff.headers)

    assert response.status_code == 200, response.text
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    assert headers[:3] == ["Title", "Status", "Urgency"]
    assert "Need id" in headers
    assert not SERVICE_SET & set(headers)
    assert sheet.max_row == 1
    sheet.append(["Clean water", "Validated", "Immediate"])
    filled = io.BytesIO()
    sheet.parent.save(filled)
    imported = import_file(client, manager, NEEDS, filled.getvalue())
    assert imported.status_code == 201, imported.text
    need = client.get(f"{NEEDS}/{imported.json()['ids'][0]}", headers=staff.headers).json()
    assert (need["status"], need["urgency_level"]) == ("validated", "immediate")
