"""The task list exported as CSV and Excel: the rows the JSON list has for the same filters
(the caller's own "me" included), in its order, with typed cells."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

from obcms_platform.bus import Event
from obcms_platform.testing import assert_error
from tasks_service.events import HANDLERS

from .helpers import TASKS, create, create_team


def every_id(client, caller, params: dict[str, Any]) -> list[str]:
    found: list[str] = []
    while True:
        page = client.get(
            TASKS, params={**params, "limit": 2, "offset": len(found)}, headers=caller.headers
        ).json()
        found += [item["id"] for item in page["items"]]
        if len(found) >= page["total"]:
            return found


def test_my_open_tasks_export_as_the_list_shows_them(client, staff, other_staff):
    mine = [
        create(
            client,
            staff,
            title=f"Draft report {day}",
            assignee_ids=[str(staff.user_id)],
            due_date=f"2026-12-{day:02d}",
            priority="high",
            estimated_hours=1.5,
        )
        for day in (3, 1, 2, 9, 5)
    ]
    create(client, staff, title="Someone else's", assignee_ids=[str(other_staff.user_id)])
    create(client, staff, title="Done", assignee_ids=[str(staff.user_id)], status="completed")
    filters = {"assignee": "me", "status": ["not_started", "in_progress"], "sort": "due_date"}
    listed = every_id(client, staff, filters)
    assert sorted(listed) == sorted(task["id"] for task in mine)

    response = client.get(TASKS, params={**filters, "format": "csv"}, headers=staff.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert [row["Task id"] for row in rows] == listed
    assert [row["Due date"] for row in rows][:2] == ["2026-12-01", "2026-12-02"]
    # Nobody has announced the staff member's name: the export shows the id it has.
    assert {(row["Priority"], row["Assignees"]) for row in rows} == {("High", str(staff.user_id))}

    workbook = client.get(TASKS, params={**filters, "format": "xlsx"}, headers=staff.headers)
    assert workbook.status_code == 200, workbook.text
    assert 'filename="tasks-' in workbook.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content), read_only=True).worksheets[0]
    header, *cells = list(sheet.iter_rows(values_only=True))
    column = {name: index for index, name in enumerate(header)}
    assert [row[column["Task id"]] for row in cells] == listed
    assert cells[0][column["Due date"]] == datetime(2026, 12, 1)
    assert cells[0][column["Estimated hours"]] == 1.5
    assert cells[0][column["Status"]] == "Not started"


def _user_changed(caller, full_name: str, version: int) -> Event:
    return Event.new(
        "user.changed",
        producer="gateway",
        subject_id=caller.user_id,
        data={
            "user_id": str(caller.user_id),
            "username": full_name.split()[0].lower(),
            "full_name": full_name,
            "role": "staff",
            "active": True,
            "version": version,
        },
    )


def test_an_export_names_people_and_teams(client, session, manager, staff, other_staff):
    # The gateway announces accounts; a late, older announcement changes nothing.
    for announced in (
        _user_changed(staff, "Norhana Ampatuan", version=3),
        _user_changed(staff, "Norhana A. (old name)", version=2),
        _user_changed(manager, "Amina Datumanong", version=1),
    ):
        HANDLERS["user.changed"](session, announced)
    session.commit()
    team = create_team(client, manager, "Field Operations")
    task = create(
        client,
        manager,
        title="Site visit",
        assignee_ids=[str(staff.user_id), str(other_staff.user_id)],
        team_ids=[team["id"]],
    )

    response = client.get(
        TASKS, params={"id": task["id"], "format": "csv"}, headers=manager.headers
    )
    (row,) = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline=""))
    # Someone never announced keeps their id rather than vanishing from the row.
    assert row["Assignees"] == f"Norhana Ampatuan; {other_staff.user_id}"
    assert row["Teams"] == "Field Operations"
    assert row["Created by"] == "Amina Datumanong"

    workbook = client.get(
        TASKS, params={"id": task["id"], "format": "xlsx"}, headers=manager.headers
    )
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content), read_only=True).worksheets[0]
    header, cells = list(sheet.iter_rows(values_only=True))
    named = dict(zip(header, cells, strict=True))
    assert named["Assignees"] == f"Norhana Ampatuan; {other_staff.user_id}"
    assert (named["Teams"], named["Created by"]) == ("Field Operations", "Amina Datumanong")


def _ppa_announced(kind: str, ppa_id: uuid.UUID, title: str, minutes_ago: int) -> Event:
    event = Event.new(
        f"ppa.{kind}",
        producer="portfolio",
        subject_id=ppa_id,
        data={"title": title, "owner_ids": []},
    )
    return event.model_copy(
        update={"occurred_at": datetime.now(UTC) - timedelta(minutes=minutes_ago)}
    )


def test_an_export_names_each_tasks_ppa_by_its_newest_title(client, session, manager):
    ppa, unannounced = uuid.uuid4(), uuid.uuid4()
    # Renamed twice; the first rename is handled last (a retry) and changes nothing.
    for announced in (
        _ppa_announced("created", ppa, "Farm-to-market road", minutes_ago=30),
        _ppa_announced("updated", ppa, "Farm-to-market road, phase 2", minutes_ago=10),
        _ppa_announced("updated", ppa, "Farm-to-market road (renamed)", minutes_ago=20),
    ):
        HANDLERS[announced.type](session, announced)
    session.commit()
    road = create(client, manager, title="Budget proposal", related_ppa_id=str(ppa))
    other = create(client, manager, title="Survey", related_ppa_id=str(unannounced))
    create(client, manager, title="No PPA")

    params = {"format": "csv", "sort": "title"}
    response = client.get(TASKS, params=params, headers=manager.headers)
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    by_title = {row["Title"]: (row["PPA"], row["PPA id"]) for row in rows}
    assert by_title == {
        "Budget proposal": ("Farm-to-market road, phase 2", road["related_ppa_id"]),
        # A PPA the portfolio has not announced here yet keeps its id.
        "Survey": (other["related_ppa_id"], other["related_ppa_id"]),
        "No PPA": ("", ""),
    }

    workbook = client.get(TASKS, params={**params, "format": "xlsx"}, headers=manager.headers)
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content), read_only=True).worksheets[0]
    header, *cells = list(sheet.iter_rows(values_only=True))
    named = [dict(zip(header, row, strict=True)) for row in cells]
    assert [row["PPA"] for row in named if row["Title"] == "Budget proposal"] == [
        "Farm-to-market road, phase 2"
    ]


def test_an_export_is_refused_as_the_list_is(client, staff):
    params = {"due_after": "2026-12-10", "due_before": "2026-12-01", "format": "csv"}
    assert_error(client.get(TASKS, params=params, headers=staff.headers), 422, "due_before")
    params = {"format": "pdf"}
    assert_error(client.get(TASKS, params=params, headers=staff.headers), 422, "format")


def test_an_export_names_the_template_a_task_was_made_from(client, manager):
    event = str(uuid.uuid4())
    made = client.post(
        "/api/v1/task-templates/event_meeting_standard/generate",
        json={"subject_kind": "event", "subject_id": event, "base_date": "2031-05-05"},
        headers=manager.headers,
    )
    assert made.status_code == 201, made.text
    params = {"format": "csv", "related_event_id": event}
    response = client.get(TASKS, params=params, headers=manager.headers)
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert len(rows) == len(made.json()["tasks"])
    assert {row["Template"] for row in rows} == {"Meeting (standard)"}
    title = f"Made by hand {uuid.uuid4().hex[:8]}"
    by_hand = create(client, manager, title=title)
    params = {"format": "csv", "q": title}
    response = client.get(TASKS, params=params, headers=manager.headers)
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert [(row["Task id"], row["Template"]) for row in rows] == [(by_hand["id"], "")]


def test_a_generated_task_reads_generated_and_the_header_row_filters(client, manager):
    """QA: "Created by" was empty for generated tasks, and the file had no filter buttons on
    its header row."""
    event_id = uuid.uuid4()
    generated = client.post(
        "/api/v1/task-templates/event_meeting_standard/generate",
        json={"subject_kind": "event", "subject_id": str(event_id), "base_date": "2026-03-02"},
        headers=manager.headers,
    )
    assert generated.status_code == 201, generated.text
    workbook = client.get(
        TASKS,
        params={"related_event_id": str(event_id), "format": "xlsx"},
        headers=manager.headers,
    )
    assert workbook.status_code == 200, workbook.text
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).worksheets[0]
    header, *cells = list(sheet.iter_rows(values_only=True))
    assert len(cells) == 8
    column = {name: index for index, name in enumerate(header)}
    assert {row[column["Created by"]] for row in cells} == {"Generated from a template"}
    assert sheet.auto_filter.ref == f"A1:{get_column_letter(len(header))}{len(cells) + 1}"
