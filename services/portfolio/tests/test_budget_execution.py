"""The budget-execution report: figures by sector and fiscal year against hand-summed
tranches (reversals included), rates null on a zero denominator, filters, the CSV and Excel
files, one query whatever the number of PPAs."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from sqlalchemy import insert

from obcms_platform.testing import assert_error
from obcms_platform.testing.service_probes import recorded_statements
from portfolio_service.ceilings.models import BudgetCeiling
from portfolio_service.funding.models import FundingTranche
from portfolio_service.ppas.models import Ppa

REPORT = "/api/v1/reports/budget-execution"
REGION_XII = "1200000000"


def ppa_row(title: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "title": title,
        "category": "oobc_ppa",
        "sector": None,
        "fiscal_year": None,
        "budget_allocation": None,
        "coverage_scope": [],
        **fields,
    }


@pytest.fixture
def known(session) -> dict[str, dict[str, Any]]:
    """Five PPAs: two economic 2026 (one reversed obligation), one social 2026 with nothing
    obligated, one economic 2025, one without a sector or year; active and inactive
    ceilings."""
    rows = [
        ppa_row(
            "E1",
            sector="economic",
            fiscal_year=2026,
            budget_allocation=Decimal(1000),
            coverage_scope=[REGION_XII],
        ),
        ppa_row("E2", sector="economic", fiscal_year=2026, budget_allocation=Decimal(3000)),
        ppa_row("S1", sector="social", fiscal_year=2026, budget_allocation=Decimal(500)),
        ppa_row("E3", sector="economic", fiscal_year=2025, budget_allocation=Decimal(800)),
        ppa_row("N1"),
    ]
    session.execute(insert(Ppa), rows)
    by_title = {row["title"]: row for row in rows}

    def tranche(title: str, kind: str, amount: str, **fields: Any) -> dict[str, Any]:
        return {
            "id": uuid.uuid4(),
            "ppa_id": by_title[title]["id"],
            "tranche_type": kind,
            "amount": Decimal(amount),
            "date": date(2026, 3, 1),
            "reverses_id": None,
            "reason": "",
            **fields,
        }

    mistaken = tranche("E2", "obligation", "700.00")
    tranches = [
        tranche("E1", "allocation", "1000.00"),
        tranche("E1", "obligation", "600.00"),
        tranche("E1", "disbursement", "250.50"),
        tranche("E2", "allocation", "3000.00"),
        tranche("E2", "adjustment", "-200.00"),
        tranche("E2", "obligation", "1500.00"),
        mistaken,
        tranche("E2", "disbursement", "900.00"),
        tranche("S1", "allocation", "500.00"),
        tranche("E3", "allocation", "800.00"),
        tranche("E3", "obligation", "800.00"),
    ]
    session.execute(insert(FundingTranche), tranches)
    session.execute(
        insert(FundingTranche),
        [
            tranche(
                "E2",
                "obligation",
                "-700.00",
                reverses_id=mistaken["id"],
                reason="entered twice",
            )
        ],
    )
    session.execute(
        insert(BudgetCeiling),
        [
            {"id": uuid.uuid4(), "sector": "economic", "fiscal_year": 2026, "amount": 5000},
            {
                "id": uuid.uuid4(),
                "sector": "economic",
                "fiscal_year": 2026,
                "amount": 9999,
                "is_active": False,
            },
            {"id": uuid.uuid4(), "sector": "social", "fiscal_year": 2026, "amount": 2000},
        ],
    )
    session.commit()
    return by_title


def report(client, caller, **params: Any) -> dict[str, Any]:
    response = client.get(REPORT, params=params, headers=caller.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_rows_by_sector_and_year_are_the_hand_sums_net_of_reversals(client, staff, known):
    body = report(client, staff)

    assert [(row["fiscal_year"], row["sector"]) for row in body["rows"]] == [
        (2026, "economic"),
        (2026, "social"),
        (2025, "economic"),
        (None, None),
    ]
    economic_2026, social_2026, economic_2025, unspecified = body["rows"]
    # E1 + E2: allocated 1000 + 3000 - 200; obligated 600 + 1500 + 700 - 700 (reversed).
    assert economic_2026 == {
        "sector": "economic",
        "fiscal_year": 2026,
        "ppa_count": 2,
        "budget_allocation": 4000,
        "allocated": 3800,
        "obligated": 2100,
        "disbursed": 1150.5,
        "ceiling": 5000,  # the active one, not the inactive 9999
        "obligation_rate": 55.26,  # 2100 / 3800
        "disbursement_rate": 54.79,  # 1150.50 / 2100
        "utilization_rate": 28.76,  # 1150.50 / 4000
    }
    # Allocated but nothing obligated: 0 %, and no disbursement rate (nothing to divide by).
    assert social_2026["obligation_rate"] == 0
    assert social_2026["disbursement_rate"] is None
    assert social_2026["utilization_rate"] == 0
    assert social_2026["ceiling"] == 2000
    assert economic_2025["ceiling"] is None
    assert economic_2025["obligation_rate"] == 100
    # No tranche and no budget: every rate null, not 0 and not an error.
    assert unspecified == {
        "sector": None,
        "fiscal_year": None,
        "ppa_count": 1,
        "budget_allocation": 0,
        "allocated": 0,
        "obligated": 0,
        "disbursed": 0,
        "ceiling": None,
        "obligation_rate": None,
        "disbursement_rate": None,
        "utilization_rate": None,
    }
    # Totals from the summed amounts, not an average of the rows' rates.
    assert body["totals"] == {
        "ppa_count": 5,
        "budget_allocation": 5300,
        "allocated": 5100,
        "obligated": 2900,
        "disbursed": 1150.5,
        "ceiling": 7000,
        "obligation_rate": 56.86,  # 2900 / 5100
        "disbursement_rate": 39.67,  # 1150.50 / 2900
        "utilization_rate": 21.71,  # 1150.50 / 5300
    }


def test_filters_by_fiscal_year_sector_and_region(client, staff, known):
    year = report(client, staff, fiscal_year=2026)
    assert [row["sector"] for row in year["rows"]] == ["economic", "social"]
    assert year["totals"]["ppa_count"] == 3

    sector = report(client, staff, sector="economic")
    assert [row["fiscal_year"] for row in sector["rows"]] == [2026, 2025]

    region = report(client, staff, region=REGION_XII)
    assert len(region["rows"]) == 1
    assert region["rows"][0]["ppa_count"] == 1
    assert region["rows"][0]["allocated"] == 1000


def test_an_empty_portfolio_has_no_rows_and_null_rates(client, staff):
    body = report(client, staff)
    assert body["rows"] == []
    assert body["totals"]["ppa_count"] == 0
    assert body["totals"]["ceiling"] is None
    assert body["totals"]["obligation_rate"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"fiscal_year": "next"}, "fiscal_year"),
        ({"fiscal_year": 1800}, "fiscal_year"),
        ({"sector": "mars"}, "sector"),
        ({"region": "12"}, "region"),
        ({"format": "pdf"}, "format"),
    ],
)
def test_bad_input_is_refused_naming_the_field(client, staff, params, field):
    assert_error(client.get(REPORT, params=params, headers=staff.headers), 422, field)


def test_the_report_needs_sign_in(client):
    assert client.get(REPORT).status_code == 401
    assert client.get(REPORT, params={"format": "csv"}).status_code == 401


def test_one_statement_whatever_the_number_of_ppas(client, staff, known, session):
    report(client, staff)  # warm up: the connection, the token verifier
    engine = client.app.state.database.engine
    with recorded_statements(engine) as statements:
        report(client, staff)
    few = len(statements)
    session.execute(
        insert(Ppa),
        [ppa_row(f"More {index}", sector="social", fiscal_year=2024) for index in range(40)],
    )
    session.commit()
    with recorded_statements(engine) as statements:
        report(client, staff)
    assert len(statements) == few
    assert sum("funding_tranches" in sql for sql, _ in statements) == 1


def test_csv_has_the_rows_and_the_totals_line(client, staff, known):
    response = client.get(REPORT, params={"format": "csv"}, headers=staff.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith(
        'attachment; filename="budget-execution-'
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(row["Fiscal year"], row["Sector"]) for row in rows] == [
        ("2026", "Economic"),
        ("2026", "Social"),
        ("2025", "Economic"),
        ("No fiscal year", "No sector"),
        ("Total", "All sectors"),
    ]
    assert rows[0]["Obligated"] == "2100.00"
    assert rows[0]["Obligation rate (%)"] == "55.26"
    assert rows[1]["Disbursement rate (%)"] == ""
    assert rows[4]["PPAs"] == "5"
    assert rows[4]["Active ceiling"] == "7000.00"


def test_excel_has_typed_cells_and_honours_the_filters(client, staff, known):
    response = client.get(
        REPORT, params={"format": "xlsx", "fiscal_year": 2026}, headers=staff.headers
    )
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[:4] == ("Fiscal year", "Sector", "PPAs", "Budget allocation")
    column = {name: index for index, name in enumerate(header)}
    assert [row[column["Sector"]] for row in rows] == ["Economic", "Social", "All sectors"]
    assert rows[0][column["Fiscal year"]] == 2026
    assert rows[0][column["Disbursed"]] == 1150.5
    assert rows[0][column["Utilization rate (%)"]] == 28.76
    assert rows[2][column["Allocated"]] == 4300
