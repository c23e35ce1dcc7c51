"""Exports of the portfolio's lists (PPAs, needs, assessments, funding tranches) as CSV and
Excel: every row the JSON list has for the same filters, in its order, typed cells."""

from __future__ import annotations

import io
import itertools
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from sqlalchemy import insert

from obcms_platform.bus import Event
from obcms_platform.formatting import label
from obcms_platform.testing import assert_error
from obcms_platform.vocabulary import PpaCategory, PpaStatus, Sector, values
from portfolio_service.events import HANDLERS
from portfolio_service.ppas.models import Ppa
from portfolio_service.ppas.schemas import PPA_EXPORT_COLUMNS

from .helpers import (
    ASSESSMENTS,
    NEEDS,
    PPAS,
    TRANCHES,
    create_ppa,
    csv_rows,
    tranche,
    workbook_rows,
)

# More than one fetch of the export's server-side cursor (1,000 rows).
SEEDED = 1_260
# The seeded PPAs' lead, whose name the gateway has announced, and a member it has not.
LEAD = uuid.uuid4()
UNANNOUNCED = uuid.uuid4()


@pytest.fixture
def seed(session) -> list[dict[str, Any]]:
    """1,260 PPAs over every category, status and sector, with dates, amounts and people."""
    HANDLERS["user.changed"](
        session,
        Event.new(
            "user.changed",
            producer="gateway",
            subject_id=LEAD,
            data={
                "user_id": str(LEAD),
                "username": "amina.datumanong",
                "full_name": "Amina Datumanong",
                "role": "manager",
                "active": True,
                "version": 1,
            },
        ),
    )
    base = datetime(2026, 1, 1, tzinfo=UTC)
    combinations = itertools.cycle(
        itertools.product(values(PpaCategory), values(PpaStatus), [*values(Sector), None])
    )
    rows = []
    for index, (category, status, sector) in zip(range(SEEDED), combinations, strict=False):
        rows.append(
            {
                "id": uuid.uuid4(),
                "title": f"Water system #{index}",
                "category": category,
                "status": status,
                "sector": sector,
                "fiscal_year": 2025 + index % 2,
                "start_date": date(2026, 1, 1) + timedelta(days=index % 300),
                "budget_allocation": Decimal(index * 1000) + Decimal("0.25"),
                "lead_id": LEAD,
                "member_ids": [LEAD, UNANNOUNCED],
                "created_at": base + timedelta(minutes=index),
                "updated_at": base + timedelta(minutes=index),
            }
        )
    session.execute(insert(Ppa), rows)
    session.commit()
    return rows


def json_ids(client, caller, path: str, params: dict[str, Any]) -> list[str]:
    """The ids of every page of the JSON list, in order."""
    found: list[str] = []
    while True:
        page = client.get(
            path, params={**params, "limit": 500, "offset": len(found)}, headers=caller.headers
        )
        assert page.status_code == 200, page.text
        found += [item["id"] for item in page.json()["items"]]
        if len(found) >= page.json()["total"]:
            return found


def test_csv_export_has_every_row_the_filtered_list_has_in_its_order(client, staff, seed):
    statuses = values(PpaStatus)[:4]
    filters = {"status": statuses, "fiscal_year": 2026}
    listed = json_ids(client, staff, PPAS, filters)
    assert 500 < len(listed) < SEEDED  # more than one page of the JSON list, not every PPA

    response = client.get(PPAS, params={**filters, "format": "csv"}, headers=staff.headers)

    rows = csv_rows(response)
    assert [row["PPA id"] for row in rows] == listed
    assert {row["Status"] for row in rows} == {label(status) for status in statuses}
    assert {row["Fiscal year"] for row in rows} == {"2026"}
    # People by name (one never announced by the gateway keeps the id); the ids stay for
    # an import to read back.
    assert {(row["Lead"], row["Members"]) for row in rows} == {
        ("Amina Datumanong", f"Amina Datumanong; {UNANNOUNCED}")
    }
    assert {(row["Lead (user id)"], row["Members (user ids)"]) for row in rows} == {
        (str(LEAD), f"{LEAD}; {UNANNOUNCED}")
    }
    assert re.fullmatch(
        r'attachment; filename="ppas-\d{4}-\d{2}-\d{2}\.csv"',
        response.headers["content-disposition"],
    )


def test_csv_export_without_filters_has_all_rows_not_one_page(client, staff, seed):
    rows = csv_rows(client.get(PPAS, params={"format": "csv"}, headers=staff.headers))
    assert len(rows) == SEEDED
    newest = seed[-1]
    assert rows[0]["Title"] == newest["title"]
    assert rows[0]["Budget allocation"] == str(newest["budget_allocation"])
    assert rows[0]["Start date"] == newest["start_date"].isoformat()


def test_excel_export_has_the_header_words_and_typed_cells(client, staff, seed):
    filters = {"sector": "social", "category": "oobc_ppa"}
    listed = json_ids(client, staff, PPAS, filters)

    response = client.get(PPAS, params={**filters, "format": "xlsx"}, headers=staff.headers)

    header, *rows = workbook_rows(response)
    assert response.headers["content-disposition"].endswith('.xlsx"')
    assert header[:3] == ("Title", "Category", "Status")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet.title == "PPAs"  # as people write it (it read "Ppas")
    # The header row's filter buttons, over every row (QA: no export had them).
    assert sheet.auto_filter.ref == f"A1:{get_column_letter(len(header))}{len(rows) + 1}"
    column = {name: index for index, name in enumerate(header)}
    assert [row[column["PPA id"]] for row in rows] == listed
    first = next(item for item in reversed(seed) if str(item["id"]) == listed[0])
    row = rows[0]
    assert row[column["Category"]] == "OOBC PPA"
    assert row[column["Sector"]] == "Social"
    assert row[column["Start date"]] == datetime.combine(first["start_date"], datetime.min.time())
    assert row[column["Budget allocation"]] == float(first["budget_allocation"])
    assert isinstance(row[column["Fiscal year"]], int)
    assert isinstance(row[column["Created"]], datetime)
    assert row[column["Lead"]] == "Amina Datumanong"


def test_an_excel_file_too_large_to_build_while_waiting_is_refused_with_the_ways_out(
    client, settings, staff, seed
):
    # A workbook is written whole before its first byte leaves: a large one would outlast
    # the gateway's backend timeout and reach the client as a 503.
    settings.export_xlsx_max_cells = 1_000 * len(PPA_EXPORT_COLUMNS)

    refused = client.get(PPAS, params={"format": "xlsx"}, headers=staff.headers)

    error = assert_error(refused, 422, "format")
    assert "1,260 ppas" in error["message"]
    assert f"at most 1,000 of them, {len(PPA_EXPORT_COLUMNS)} columns each" in error["message"]
    assert "format=csv" in error["message"]
    assert "POST /api/v1/portfolio-exports" in error["message"]
    streamed = client.get(PPAS, params={"format": "csv"}, headers=staff.headers)
    assert len(csv_rows(streamed)) == SEEDED
    narrowed = {"fiscal_year": 2025}
    header, *rows = workbook_rows(
        client.get(PPAS, params={**narrowed, "format": "xlsx"}, headers=staff.headers)
    )
    assert [row[header.index("PPA id")] for row in rows] == json_ids(client, staff, PPAS, narrowed)
    assert len(rows) == SEEDED // 2


def test_a_title_a_spreadsheet_would_run_as_a_formula_stays_text(client, staff):
    create_ppa(client, staff, title="=HYPERLINK(1)")
    create_ppa(client, staff, title="-5 days")

    rows = csv_rows(client.get(PPAS, params={"format": "csv"}, headers=staff.headers))
    assert [row["Title"] for row in rows] == ["'-5 days", "'=HYPERLINK(1)"]
    header, *cells = workbook_rows(
        client.get(PPAS, params={"format": "xlsx"}, headers=staff.headers)
    )
    assert header[0] == "Title"
    assert [row[0] for row in cells] == ["-5 days", "=HYPERLINK(1)"]


def test_the_ppa_export_has_what_each_ppa_allocated_obligated_and_disbursed(client, staff, manager):
    """The dashboard's money can be checked against the file: each PPA's totals, net of a
    reversal, as its page counts them."""
    funded = create_ppa(client, staff, title="Funded road", budget_allocation=900)
    create_ppa(client, staff, title="Unfunded road")
    for kind, amount in (("allocation", 800), ("adjustment", "-50"), ("obligation", 600)):
        assert tranche(client, manager, funded["id"], kind, amount).status_code == 201
    wrong = tranche(client, manager, funded["id"], "disbursement", 200).json()
    assert tranche(client, manager, funded["id"], "disbursement", 150).status_code == 201
    reversal = client.post(
        f"{PPAS}/{funded['id']}/funding/{wrong['id']}/reversal",
        json={"reason": "Paid twice"},
        headers=manager.headers,
    )
    assert reversal.status_code == 201, reversal.text
    rows = {
        row["Title"]: (row["Allocated"], row["Obligated"], row["Disbursed"])
        for row in csv_rows(
            client.get(PPAS, params={"format": "csv", "q": "road"}, headers=staff.headers)
        )
    }
    assert rows == {
        "Funded road": ("750.00", "600.00", "150.00"),
        "Unfunded road": ("0.00", "0.00", "0.00"),
    }
    summary = client.get(f"{PPAS}/{funded['id']}/funding", headers=staff.headers).json()
    assert (summary["allocated"], summary["obligated"], summary["disbursed"]) == (750, 600, 150)


def test_the_ppa_export_has_the_progress_last_reported_beside_the_tasks(client, staff):
    reported = create_ppa(client, staff, title="Reported road")
    create_ppa(client, staff, title="Silent road")
    for as_of, progress in (("2026-12-01", 30), ("2026-12-05", None)):
        body = {"as_of": as_of, "narrative": "Works go on", "progress": progress}
        posted = client.post(f"{PPAS}/{reported['id']}/updates", json=body, headers=staff.headers)
        assert posted.status_code == 201, posted.text
    rows = {
        row["Title"]: (row["Progress (%)"], row["Reported progress (%)"], row["Reported on"])
        for row in csv_rows(
            client.get(PPAS, params={"format": "csv", "q": "road"}, headers=staff.headers)
        )
    }
    # No tasks linked: no progress from tasks (its 0 % would pull a manager's average down).
    assert rows == {"Reported road": ("", "30", "2026-12-01"), "Silent road": ("", "", "")}
    header, *cells = workbook_rows(
        client.get(PPAS, params={"format": "xlsx", "q": "road"}, headers=staff.headers)
    )
    by_title = {row[0]: row[header.index("Reported on")] for row in cells}
    assert by_title["Reported road"] == datetime(2026, 12, 1)


def test_excel_columns_are_as_wide_as_their_text_and_long_text_wraps(client, staff):
    """Every column was 12 characters wide: each title was cut. A column is now as wide as
    its header or longest cell, up to 60 characters, and a longer text wraps."""
    short, long = "Farm road", "Construction of a farm-to-market road, Barangay Tugaig " * 3
    create_ppa(client, staff, title=short, implementing_office="Ministry of Public Works")
    create_ppa(client, staff, title=long.strip())
    response = client.get(PPAS, params={"format": "xlsx"}, headers=staff.headers)
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    header = [cell.value for cell in sheet[1]]

    def width(title: str) -> float:
        letter = openpyxl.utils.get_column_letter(header.index(title) + 1)
        return float(sheet.column_dimensions[letter].width)

    assert 60 <= width("Title") < 61  # capped
    assert len("Ministry of Public Works") < width("Implementing office") < 30
    assert len("Reported progress (%)") < width("Reported progress (%)") < 26  # the header's
    wrapped = {row[0].value: bool(row[0].alignment.wrap_text) for row in sheet.iter_rows(min_row=2)}
    assert wrapped == {long.strip(): True, short: False}


def test_an_unknown_format_is_refused_naming_format(client, staff):
    assert_error(client.get(PPAS, params={"format": "pdf"}, headers=staff.headers), 422, "format")


@pytest.mark.parametrize("paging", ["limit", "offset"])
def test_paging_an_export_is_refused_naming_the_parameter(client, staff, paging):
    response = client.get(PPAS, params={"format": "csv", paging: 10}, headers=staff.headers)
    error = assert_error(response, 422, paging)
    assert "every matching" in error["message"]


def test_a_bad_filter_is_refused_before_any_file(client, staff):
    response = client.get(PPAS, params={"format": "csv", "sector": "mars"}, headers=staff.headers)
    assert_error(response, 422, "sector")


def test_export_needs_sign_in(client):
    assert client.get(PPAS, params={"format": "csv"}).status_code == 401


def test_needs_export_names_the_ppas_addressing_each_need(client, staff, manager):
    ppa = create_ppa(client, staff)
    for title, ppa_ids in (("Clean water", [ppa["id"]]), ("Classrooms", [])):
        body = {"title": title, "urgency_level": "immediate", "ppa_ids": ppa_ids}
        assert client.post(NEEDS, json=body, headers=manager.headers).status_code == 201

    rows = csv_rows(
        client.get(NEEDS, params={"format": "csv", "addressed": True}, headers=staff.headers)
    )

    assert [(row["Title"], row["Urgency"]) for row in rows] == [("Clean water", "Immediate")]
    assert rows[0]["Addressed by PPAs (ids)"] == ppa["id"]


def test_assessments_export_as_listed(client, staff):
    for title, start in (("MANA Cotabato", "2026-03-01"), ("MANA Lanao", "2026-05-01")):
        body = {
            "title": title,
            "primary_methodology": "survey",
            "assessment_level": "provincial",
            "planned_start_date": start,
        }
        assert client.post(ASSESSMENTS, json=body, headers=staff.headers).status_code == 201
    listed = json_ids(client, staff, ASSESSMENTS, {"q": "MANA"})

    header, *rows = workbook_rows(
        client.get(ASSESSMENTS, params={"format": "xlsx", "q": "MANA"}, headers=staff.headers)
    )

    column = {name: index for index, name in enumerate(header)}
    assert [row[column["Assessment id"]] for row in rows] == listed
    assert rows[0][column["Title"]] == "MANA Lanao"
    assert rows[0][column["Planned start"]] == datetime(2026, 5, 1)
    assert rows[0][column["Methodology"]] == "Survey"


def add_tranche(client, manager, ppa_id: str, kind: str, amount: str, day: str) -> None:
    body = {"tranche_type": kind, "amount": amount, "date": day}
    response = client.post(f"{PPAS}/{ppa_id}/funding", json=body, headers=manager.headers)
    assert response.status_code == 201, response.text


def test_tranches_of_every_ppa_are_listed_with_filters_and_exported(client, staff, manager):
    school = create_ppa(client, staff, title="School", fiscal_year=2026, sector="social")
    road = create_ppa(client, staff, title="Road", fiscal_year=2025, sector="infrastructure")
    add_tranche(client, manager, school["id"], "allocation", "1000000", "2026-01-10")
    add_tranche(client, manager, school["id"], "obligation", "600000.50", "2026-02-10")
    add_tranche(client, manager, road["id"], "allocation", "500000", "2025-03-01")

    every = client.get(TRANCHES, headers=staff.headers).json()
    assert [item["date"] for item in every["items"]] == ["2026-02-10", "2026-01-10", "2025-03-01"]
    filters: dict[str, Any] = {"fiscal_year": 2026, "tranche_type": ["obligation"]}
    page = client.get(TRANCHES, params=filters, headers=staff.headers).json()
    assert [(item["ppa_id"], item["amount"]) for item in page["items"]] == [
        (school["id"], 600000.5)
    ]

    header, *rows = workbook_rows(
        client.get(TRANCHES, params={**filters, "format": "xlsx"}, headers=staff.headers)
    )
    assert header[:4] == ("PPA", "Type", "Amount", "Date")
    assert rows == [
        (
            "School",
            "Obligation",
            600000.5,
            datetime(2026, 2, 10),
            None,  # notes
            None,  # reversal reason: not a reversal
            None,  # the tranche it reverses
            school["id"],
            page["items"][0]["id"],
            str(manager.user_id),
            rows[0][10],
        )
    ]
    csv_export = csv_rows(
        client.get(
            TRANCHES,
            params={"date_from": "2025-01-01", "date_to": "2025-12-31", "format": "csv"},
            headers=staff.headers,
        )
    )
    assert [(row["PPA"], row["Amount"]) for row in csv_export] == [("Road", "500000.00")]


def test_tranche_dates_out_of_order_are_refused_naming_date_to(client, staff):
    params = {"date_from": "2026-02-01", "date_to": "2026-01-01", "format": "csv"}
    assert_error(client.get(TRANCHES, params=params, headers=staff.headers), 422, "date_to")
