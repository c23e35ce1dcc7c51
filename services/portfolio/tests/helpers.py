"""Helpers shared by the portfolio tests: API shortcuts, error checks, outbox rows, bus
events as the tasks service sends them, exported files read back."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy import text

from obcms_platform.bus import Event
from obcms_platform.db import Database
from obcms_platform.vocabulary import BudgetStage

PPAS = "/api/v1/ppas"
ASSESSMENTS = "/api/v1/assessments"
NEEDS = "/api/v1/needs"
CEILINGS = "/api/v1/budget-ceilings"
DASHBOARD = "/api/v1/portfolio/dashboard"
TRANCHES = "/api/v1/funding-tranches"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A PPA's workflow stages, in their documented order (the enum declares them in it).
STAGES = [stage.value for stage in BudgetStage]


def create_ppa(client: TestClient, caller: Any, **fields: Any) -> dict[str, Any]:
    fields.setdefault("title", "A PPA")
    fields.setdefault("category", "oobc_ppa")
    response = client.post(PPAS, json=fields, headers=caller.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def get_ppa(client: TestClient, caller: Any, ppa_id: str) -> dict[str, Any]:
    response = client.get(f"{PPAS}/{ppa_id}", headers=caller.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def outbox_rows(database: Database, event_type: str | None = None) -> list[dict[str, Any]]:
    """The outbox envelopes (oldest first), optionally of one event type."""
    query = "SELECT payload FROM bus_outbox"
    params: dict[str, Any] = {}
    if event_type is not None:
        query += " WHERE event_type = :type"
        params["type"] = event_type
    with database.engine.connect() as connection:
        rows = connection.execute(text(query + " ORDER BY created_at, id"), params).scalars()
        return [dict(row) for row in rows]


def outbox_count(database: Database) -> int:
    with database.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM bus_outbox")).scalar_one())


def create_assessment(client, caller, **fields: Any) -> dict[str, Any]:
    body = {
        "title": "An assessment",
        "primary_methodology": "survey",
        "assessment_level": "community",
    }
    response = client.post(ASSESSMENTS, json={**body, **fields}, headers=caller.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def create_need(client, caller, **fields: Any) -> dict[str, Any]:
    fields.setdefault("title", "A need")
    response = client.post(NEEDS, json=fields, headers=caller.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def put_links(client, caller, need_id: str, ppa_ids: list[str]):
    return client.put(f"{NEEDS}/{need_id}/ppas", json={"ppa_ids": ppa_ids}, headers=caller.headers)


def task_event(kind: str, task_id: uuid.UUID, ppa_id: Any, status: str, version: int) -> Event:
    return Event(
        type=f"task.{kind}",
        producer="tasks",
        subject_id=task_id,
        data={
            "task_id": str(task_id),
            "title": "a task",
            "status": status,
            "related_ppa_id": None if ppa_id is None else str(ppa_id),
            "related_assessment_id": None,
            "related_event_id": None,
            "due_date": None,
            "version": version,
        },
    )


def tranche(client, caller, ppa_id, kind, amount, day="2026-02-01"):
    return client.post(
        f"{PPAS}/{ppa_id}/funding",
        json={"tranche_type": kind, "amount": amount, "date": day},
        headers=caller.headers,
    )


def summary(client, caller, ppa_id):
    response = client.get(f"{PPAS}/{ppa_id}/funding", headers=caller.headers)
    assert response.status_code == 200, response.text
    return response.json()


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\N{BYTE ORDER MARK}".encode())
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def workbook_rows(response) -> list[tuple[Any, ...]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    return list(sheet.iter_rows(values_only=True))
