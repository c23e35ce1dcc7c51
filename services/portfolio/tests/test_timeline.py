"""The portfolio timeline (`GET /api/v1/portfolio/timeline`): the PPA list's filters, PPAs
grouped by sector or status with their milestones and budget workflow stages, whether the
caller may move a PPA's milestones, a bounded answer, refusals naming the parameter."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from obcms_platform.testing import assert_error
from obcms_platform.testing.service_probes import recorded_statements
from portfolio_service.ppas.models import Ppa
from portfolio_service.timeline.service import TIMELINE_LIMIT

from .helpers import PPAS, STAGES, create_ppa

TIMELINE = "/api/v1/portfolio/timeline"


def timeline(client, caller, **params):
    answer = client.get(TIMELINE, params=params, headers=caller.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def titles(body) -> dict[str, list[str]]:
    return {group["key"]: [ppa["title"] for ppa in group["ppas"]] for group in body["groups"]}


def test_ppas_grouped_with_milestones_stages_and_who_may_move_them(
    client, staff, other_staff, manager
):
    road = create_ppa(
        client,
        staff,
        title="Road",
        sector="infrastructure",
        status="ongoing",
        start_date="2027-02-01",
        target_end_date="2027-09-30",
    )
    bridge = create_ppa(
        client,
        other_staff,
        title="Bridge",
        sector="infrastructure",
        start_date="2027-01-15",
        target_end_date="2027-06-30",
    )
    create_ppa(client, staff, title="Clinic", sector="social", start_date="2027-03-01")
    create_ppa(client, staff, title="Undated")
    milestone = client.post(
        f"{PPAS}/{road['id']}/milestones",
        json={"title": "Groundbreaking", "date": "2027-03-10"},
        headers=staff.headers,
    ).json()
    client.patch(
        f"{PPAS}/{road['id']}/workflow/budget_call",
        json={"due_date": "2027-02-20", "status": "in_progress"},
        headers=staff.headers,
    )

    body = timeline(client, staff)
    # Sectors in the vocabulary's order, PPAs without one last; by start date within.
    assert titles(body) == {
        "social": ["Clinic"],
        "infrastructure": ["Bridge", "Road"],
        "unspecified": ["Undated"],
    }
    assert (body["group_by"], body["total"], body["shown"]) == ("sector", 4, 4)
    road_row = body["groups"][1]["ppas"][1]
    assert (road_row["start_date"], road_row["target_end_date"]) == ("2027-02-01", "2027-09-30")
    assert road_row["milestones"] == [
        {
            "id": milestone["id"],
            "title": "Groundbreaking",
            "date": "2027-03-10",
            "status": "planned",
            "version": milestone["version"],
        }
    ]
    assert [stage["stage"] for stage in road_row["stages"]] == STAGES
    assert road_row["stages"][0] | {"id": None} == {
        "id": None,
        "stage": "budget_call",
        "sequence": 1,
        "status": "in_progress",
        "due_date": "2027-02-20",
    }
    # The owner may move its milestones, another staff member not; a manager all.
    editable = {
        ppa["title"]: ppa["milestones_editable"] for g in body["groups"] for ppa in g["ppas"]
    }
    assert editable == {"Clinic": True, "Bridge": False, "Road": True, "Undated": True}
    for caller, expected in (
        (other_staff, {"Bridge"}),
        (manager, {"Bridge", "Road", "Clinic", "Undated"}),
    ):
        seen = timeline(client, caller)
        movable = {
            ppa["title"] for g in seen["groups"] for ppa in g["ppas"] if ppa["milestones_editable"]
        }
        assert movable == expected

    by_status = timeline(client, staff, group_by="status")
    assert titles(by_status) == {"planning": ["Bridge", "Clinic", "Undated"], "ongoing": ["Road"]}
    assert bridge["id"] in {ppa["id"] for ppa in by_status["groups"][0]["ppas"]}


def test_the_ppa_lists_filters_apply(client, staff):
    create_ppa(client, staff, title="Water system", sector="infrastructure", tags=["gad"])
    create_ppa(client, staff, title="Water training", sector="social", fiscal_year=2027)
    create_ppa(client, staff, title="Seaweed farming", sector="economic", fiscal_year=2027)

    assert titles(timeline(client, staff, q="water")) == {
        "social": ["Water training"],
        "infrastructure": ["Water system"],
    }
    assert titles(timeline(client, staff, fiscal_year=2027, sector="economic")) == {
        "economic": ["Seaweed farming"]
    }
    assert titles(timeline(client, staff, tag="gad")) == {"infrastructure": ["Water system"]}
    nothing = timeline(client, staff, q="no such words")
    assert (nothing["groups"], nothing["total"], nothing["shown"]) == ([], 0, 0)


def test_a_large_portfolio_is_capped_and_says_so_in_few_queries(client, staff, session):
    base = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        {
            "id": uuid.uuid4(),
            "title": f"PPA {index:03}",
            "category": "oobc_ppa",
            "created_at": base + timedelta(minutes=index),
            "updated_at": base + timedelta(minutes=index),
        }
        for index in range(TIMELINE_LIMIT + 5)
    ]
    session.execute(insert(Ppa), rows)
    session.commit()

    with recorded_statements(client.app.state.database.engine) as statements:
        body = timeline(client, staff)
    assert (body["total"], body["shown"], body["limit"]) == (
        TIMELINE_LIMIT + 5,
        TIMELINE_LIMIT,
        TIMELINE_LIMIT,
    )
    # The list's order picks them: the newest.
    shown = {ppa["title"] for group in body["groups"] for ppa in group["ppas"]}
    assert "PPA 204" in shown
    assert "PPA 004" not in shown
    # Count, PPAs, their milestones, their stages (however many PPAs).
    assert len([sql for sql, _ in statements if sql.lstrip().upper().startswith("SELECT")]) <= 4


def test_bad_parameters_are_refused_naming_them(client, staff):
    assert_error(
        client.get(TIMELINE, params={"group_by": "owner"}, headers=staff.headers), 422, "group_by"
    )
    assert_error(
        client.get(TIMELINE, params={"sector": "space"}, headers=staff.headers), 422, "sector"
    )
    assert_error(
        client.get(TIMELINE, params={"fiscal_year": "1200"}, headers=staff.headers),
        422,
        "fiscal_year",
    )


def test_signed_out_callers_read_nothing(client):
    assert_error(client.get(TIMELINE), 401)
