"""PPA list: filters alone and combined, search, pagination with a total."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from obcms_platform.testing import assert_error, wrongly_refused
from obcms_platform.vocabulary import PpaCategory, PpaStatus, Sector, values
from portfolio_service.ppas.models import Ppa

from .helpers import PPAS

CATEGORIES = values(PpaCategory)
STATUSES = values(PpaStatus)
SECTORS = [*values(Sector), None]
YEARS = [2025, 2026, None]
WORDS = ["Water system", "Madrasah classroom", "Road to barangay", "Seaweed farming"]


@pytest.fixture
def seed(session) -> list[dict[str, Any]]:
    """Every combination of category x status x sector x fiscal year (315 PPAs), inserted
    with one statement."""
    base = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for index, (category, status, sector, year) in enumerate(
        itertools.product(CATEGORIES, STATUSES, SECTORS, YEARS)
    ):
        rows.append(
            {
                "id": uuid.uuid4(),
                "title": f"{WORDS[index % len(WORDS)]} #{index}",
                "summary": "Needs 100% funding_match" if index % 50 == 0 else "",
                "category": category,
                "status": status,
                "sector": sector,
                "fiscal_year": year,
                "created_at": base + timedelta(minutes=index),
                "updated_at": base + timedelta(minutes=index),
            }
        )
    session.execute(insert(Ppa), rows)
    session.commit()
    return rows


def listing(client, caller, **params: Any) -> dict[str, Any]:
    response = client.get(PPAS, params={"limit": 500, **params}, headers=caller.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def ids(page: dict[str, Any]) -> set[str]:
    return {item["id"] for item in page["items"]}


def expected(seed, **conditions: Any) -> set[str]:
    def keep(row: dict[str, Any]) -> bool:
        for name, allowed in conditions.items():
            values = allowed if isinstance(allowed, list) else [allowed]
            if row[name] not in values:
                return False
        return True

    return {str(row["id"]) for row in seed if keep(row)}


def test_no_filter_lists_every_ppa_newest_first(client, staff, seed):
    page = listing(client, staff)
    assert page["total"] == len(seed) == 315
    assert len(page["items"]) == 315
    assert [item["id"] for item in page["items"]] == [str(row["id"]) for row in reversed(seed)]


def test_sorted_by_each_field_either_way_the_missing_values_last(client, staff, seed):
    """The list sorts by title, fiscal year, status and the rest (the page's headings and
    "Sort by"), ties newest first; a PPA without the value comes last either way."""
    newest_first = list(reversed(seed))
    for field in ("title", "fiscal_year", "status", "progress", "budget_allocation"):
        for descending in (False, True):
            sort = f"-{field}" if descending else field
            got = [item["id"] for item in listing(client, staff, sort=sort)["items"]]
            having = [row for row in newest_first if row.get(field) is not None]
            having.sort(
                key=lambda row: STATUSES.index(row[field]) if field == "status" else row[field],
                reverse=descending,
            )
            without = [row for row in newest_first if row.get(field) is None]
            assert got == [str(row["id"]) for row in [*having, *without]], sort
    assert_error(client.get(PPAS, params={"sort": "colour"}, headers=staff.headers), 422, "sort")


FILTER_CASES: list[dict[str, Any]] = [
    {"category": "moa_ppa"},
    {"status": "on_hold"},
    {"sector": "peace_security"},
    {"fiscal_year": 2026},
    {"category": ["oobc_ppa", "obc_request"]},
    {"status": ["ongoing", "completed"], "sector": "social"},
    {"category": "moa_ppa", "status": "ongoing", "sector": "economic", "fiscal_year": 2025},
    {"category": "obc_request", "fiscal_year": 2026, "sector": ["governance", "environment"]},
]


def test_filters_alone_and_combined(client, staff, seed):
    for conditions in FILTER_CASES:
        page = listing(client, staff, **conditions)
        want = expected(seed, **conditions)
        assert want, conditions  # the dataset has matches for every case
        assert ids(page) == want, conditions
        assert page["total"] == len(want), conditions


def test_q_searches_title_and_summary_case_insensitively(client, staff, seed):
    page = listing(client, staff, q="SEAWEED")
    want = {str(r["id"]) for r in seed if "seaweed" in r["title"].lower()}
    assert ids(page) == want
    assert page["total"] == len(want) > 0
    combined = listing(
        client, staff, q="water", status="ongoing", fiscal_year=2026, category="oobc_ppa"
    )
    want_combined = {
        str(r["id"])
        for r in seed
        if "water" in r["title"].lower()
        and (r["status"], r["fiscal_year"], r["category"]) == ("ongoing", 2026, "oobc_ppa")
    }
    assert ids(combined) == want_combined
    assert combined["total"] == len(want_combined) > 0
    assert ids(listing(client, staff, q="funding_match")) == {
        str(r["id"]) for r in seed if r["summary"]
    }


def test_q_takes_like_wildcards_literally(client, staff, seed):
    assert listing(client, staff, q="100%")["total"] == sum(1 for r in seed if r["summary"])
    assert listing(client, staff, q="%")["total"] == sum(1 for r in seed if r["summary"])
    assert listing(client, staff, q="Water_system")["total"] == 0
    assert listing(client, staff, q="nothing like this")["total"] == 0


def test_pagination_walks_every_ppa_once_with_the_total(client, staff, seed):
    seen: list[str] = []
    offset = 0
    while True:
        response = client.get(
            PPAS,
            params={"limit": 40, "offset": offset, "sector": "economic"},
            headers=staff.headers,
        )
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["total"] == 45
        assert (page["limit"], page["offset"]) == (40, offset)
        if not page["items"]:
            break
        seen += [item["id"] for item in page["items"]]
        offset += 40
    assert len(seen) == len(set(seen)) == 45
    assert set(seen) == expected(seed, sector="economic")


INVALID_FILTERS: list[tuple[dict[str, Any], str]] = [
    ({"category": "bogus"}, "category"),
    ({"status": "Ongoing"}, "status"),
    ({"sector": "peace"}, "sector"),
    ({"fiscal_year": "next"}, "fiscal_year"),
    ({"fiscal_year": 1900}, "fiscal_year"),
    ({"q": ""}, "q"),
    ({"q": "x" * 201}, "q"),
    ({"limit": 0}, "limit"),
    ({"limit": 501}, "limit"),
    ({"offset": -1}, "offset"),
]


def test_invalid_filter_values_are_422_naming_the_parameter(client, staff):
    # List-valued filters may name the position too ("sector[0]").
    wrong = wrongly_refused(
        INVALID_FILTERS, lambda params: client.get(PPAS, params=params, headers=staff.headers)
    )
    assert wrong == []


def test_listing_needs_credentials(client):
    assert_error(client.get(PPAS), 401)


def test_lead_lists_the_ppas_a_person_leads(client, staff, session, seed):
    """Whoever hands over a leaving colleague's work lists the PPAs they lead."""
    leads = [uuid.uuid4(), uuid.uuid4()]
    for row, lead in zip(seed[:6], itertools.cycle(leads), strict=False):
        session.execute(Ppa.__table__.update().where(Ppa.id == row["id"]).values(lead_id=lead))
    session.commit()
    first = {str(row["id"]) for row in seed[:6:2]}
    assert ids(listing(client, staff, lead=str(leads[0]))) == first
    both = listing(client, staff, lead=[str(lead) for lead in leads])
    assert ids(both) == {str(row["id"]) for row in seed[:6]}
    assert listing(client, staff, lead=str(uuid.uuid4()))["total"] == 0
    assert_error(client.get(PPAS, params={"lead": "omar"}, headers=staff.headers), 422, "lead")
