"""MANA assessments, community needs and the need -> PPA links."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from obcms_platform.testing import assert_error
from obcms_platform.testing.databases import checked_values
from portfolio_service.assessments.models import AssessmentLevel, AssessmentStatus, Methodology
from portfolio_service.needs.models import Feasibility, NeedStatus, UrgencyLevel

from .helpers import (
    ASSESSMENTS,
    DASHBOARD,
    NEEDS,
    create_assessment,
    create_need,
    create_ppa,
    get_ppa,
    outbox_rows,
    put_links,
)

ASSESSMENT_BODY: dict[str, Any] = {
    "title": "MANA of Barangay Tugaya",
    "description": "Baseline needs.",
    "primary_methodology": "kii",
    "status": "data_collection",
    "assessment_level": "barangay",
    "planned_start_date": "2026-04-01",
    "planned_end_date": "2026-04-20",
    "location": "Tugaya, Lanao del Sur",
    "community": "Tugaya OBC",
}


# --- assessments ------------------------------------------------------------------------


def test_assessment_crud_with_every_field(client, staff, other_staff, manager, database):
    response = client.post(ASSESSMENTS, json=ASSESSMENT_BODY, headers=staff.headers)
    assert response.status_code == 201, response.text
    created = response.json()
    fetched = client.get(response.headers["Location"], headers=staff.headers).json()
    for item in (created, fetched):
        for name, value in ASSESSMENT_BODY.items():
            assert item[name] == value, name
        assert item["created_by"] == str(staff.user_id)
    events = outbox_rows(database, "assessment.created")
    assert len(events) == 1
    assert events[0]["subject_id"] == created["id"]
    assert events[0]["data"]["primary_methodology"] == "kii"
    assert events[0]["data"]["planned_start_date"] == "2026-04-01"
    assert events[0]["data"]["planned_end_date"] == "2026-04-20"
    assert events[0]["data"]["title"] == ASSESSMENT_BODY["title"]

    url = f"{ASSESSMENTS}/{created['id']}"
    patched = client.patch(
        url, json={"status": "analysis", "planned_end_date": None}, headers=staff.headers
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["status"], patched.json()["planned_end_date"]) == ("analysis", None)
    assert patched.json()["title"] == ASSESSMENT_BODY["title"]
    assert len(outbox_rows(database, "assessment.updated")) == 1

    assert_error(client.delete(url, headers=other_staff.headers), 403)
    assert client.delete(url, headers=manager.headers).status_code == 204
    assert_error(client.get(url, headers=staff.headers), 404)
    assert [e["subject_id"] for e in outbox_rows(database, "assessment.deleted")] == [created["id"]]


def test_assessment_defaults(client, staff):
    item = create_assessment(client, staff)
    assert item["status"] == "planning"
    assert (item["description"], item["location"], item["community"]) == ("", "", "")
    assert (item["planned_start_date"], item["planned_end_date"]) == (None, None)


INVALID_ASSESSMENTS: list[tuple[dict[str, Any], str]] = [
    ({"planned_start_date": "2026-05-02", "planned_end_date": "2026-05-01"}, "planned_end_date"),
    ({"planned_start_date": "not a date"}, "planned_start_date"),
    ({"title": ""}, "title"),
    ({"location": "x" * 256}, "location"),
    ({"assessment_level": None}, "assessment_level"),
]


def test_invalid_assessments_are_422(client, staff):
    base = {"title": "t", "primary_methodology": "kii", "assessment_level": "regional"}
    item = create_assessment(client, staff, planned_start_date="2026-05-02")
    for body, field in INVALID_ASSESSMENTS:
        assert_error(
            client.post(ASSESSMENTS, json={**base, **body}, headers=staff.headers), 422, field
        )
        patch_body = {"planned_end_date": "2026-05-01"} if field == "planned_end_date" else body
        response = client.patch(
            f"{ASSESSMENTS}/{item['id']}", json=patch_body, headers=staff.headers
        )
        assert_error(response, 422, field)
    stored = client.get(ASSESSMENTS, headers=staff.headers).json()
    assert stored["total"] == 1  # the refused creates left nothing
    assert stored["items"][0] == item


def test_assessment_404_and_list_filters(client, staff):
    assert_error(client.get(f"{ASSESSMENTS}/{uuid.uuid4()}", headers=staff.headers), 404)
    assert_error(
        client.patch(f"{ASSESSMENTS}/{uuid.uuid4()}", json={"title": "x"}, headers=staff.headers),
        404,
    )
    a = create_assessment(client, staff, title="Survey Cotabato", status="reporting")
    create_assessment(client, staff, title="Workshop Sulu", primary_methodology="workshop")
    page = client.get(ASSESSMENTS, params={"status": "reporting"}, headers=staff.headers).json()
    assert [i["id"] for i in page["items"]] == [a["id"]]
    assert page["total"] == 1
    assert client.get(ASSESSMENTS, params={"q": "sulu"}, headers=staff.headers).json()["total"] == 1
    assert client.get(ASSESSMENTS, headers=staff.headers).json()["total"] == 2


# --- needs ------------------------------------------------------------------------------


def test_need_crud_with_every_field(client, staff, manager):
    assessment = create_assessment(client, staff)
    ppa = create_ppa(client, staff)
    body = {
        "title": "Potable water",
        "description": "No source within 2 km.",
        "status": "prioritized",
        "urgency_level": "immediate",
        "impact_severity": 5,
        "feasibility": "very_high",
        "affected_population": 1200,
        "community": "Barangay Tugaya",
        "assessment_id": assessment["id"],
        "ppa_ids": [ppa["id"]],
    }
    response = client.post(NEEDS, json=body, headers=staff.headers)
    assert response.status_code == 201, response.text
    fetched = client.get(response.headers["Location"], headers=staff.headers).json()
    for item in (response.json(), fetched):
        for name, value in body.items():
            assert item[name] == value, name
    assert get_ppa(client, staff, ppa["id"])["need_ids"] == [fetched["id"]]

    url = f"{NEEDS}/{fetched['id']}"
    patched = client.patch(
        url,
        json={"impact_severity": 1, "affected_population": None, "assessment_id": None},
        headers=staff.headers,
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["impact_severity"], patched.json()["affected_population"]) == (1, None)
    assert patched.json()["ppa_ids"] == [ppa["id"]]

    assert client.delete(url, headers=manager.headers).status_code == 204
    assert_error(client.get(url, headers=staff.headers), 404)
    assert get_ppa(client, staff, ppa["id"])["need_ids"] == []


def test_only_the_creator_or_a_manager_deletes_a_need(client, staff, other_staff, manager):
    mine = create_need(client, staff)
    assert_error(client.delete(f"{NEEDS}/{mine['id']}", headers=other_staff.headers), 403)
    assert client.delete(f"{NEEDS}/{mine['id']}", headers=staff.headers).status_code == 204
    theirs = create_need(client, other_staff)
    assert client.delete(f"{NEEDS}/{theirs['id']}", headers=manager.headers).status_code == 204
    assert_error(client.delete(f"{NEEDS}/{theirs['id']}", headers=manager.headers), 404)
    assert client.get(NEEDS, headers=staff.headers).json()["total"] == 0


def test_need_defaults(client, staff):
    need = create_need(client, staff)
    assert (
        need["status"],
        need["urgency_level"],
        need["impact_severity"],
        need["feasibility"],
    ) == (
        "identified",
        "medium_term",
        3,
        "medium",
    )
    assert need["ppa_ids"] == []
    assert need["assessment_id"] is None


# Per table: its create helper, URL, a valid body without the field, and values refused.
ENUM_RECORDS: dict[str, tuple[Any, str, dict[str, Any], list[Any]]] = {
    "assessments": (
        create_assessment,
        ASSESSMENTS,
        {"title": "t", "primary_methodology": "kii", "assessment_level": "regional"},
        ["bogus", "", "KII", 1, None],
    ),
    "needs": (create_need, NEEDS, {"title": "t"}, ["bogus", "", 2, None]),
}


@pytest.mark.parametrize(
    ("table", "field", "enum"),
    [
        ("assessments", "primary_methodology", Methodology),
        ("assessments", "status", AssessmentStatus),
        ("assessments", "assessment_level", AssessmentLevel),
        ("needs", "status", NeedStatus),
        ("needs", "urgency_level", UrgencyLevel),
        ("needs", "feasibility", Feasibility),
    ],
)
def test_every_enum_value(client, staff, session, table, field, enum):
    create, url, body, refused = ENUM_RECORDS[table]
    values = [member.value for member in enum]
    # The values the migrated database stores, no more, no fewer.
    assert set(values) == checked_values(session, table, field)
    plain = create(client, staff)
    for value in values:
        assert create(client, staff, **{field: value})[field] == value
        response = client.patch(f"{url}/{plain['id']}", json={field: value}, headers=staff.headers)
        assert response.status_code == 200, response.text
        assert response.json()[field] == value
    for bad in refused:
        assert_error(client.post(url, json={**body, field: bad}, headers=staff.headers), 422, field)
        response = client.patch(f"{url}/{plain['id']}", json={field: bad}, headers=staff.headers)
        assert_error(response, 422, field)


def test_impact_severity_is_1_to_5(client, staff):
    for value in [1, 2, 3, 4, 5]:
        assert create_need(client, staff, impact_severity=value)["impact_severity"] == value
    need = create_need(client, staff)
    for bad in [0, 6, -1, 2.5, "high", None]:
        body = {"title": "t", "impact_severity": bad}
        assert_error(client.post(NEEDS, json=body, headers=staff.headers), 422, "impact_severity")
        response = client.patch(
            f"{NEEDS}/{need['id']}", json={"impact_severity": bad}, headers=staff.headers
        )
        assert_error(response, 422, "impact_severity")
    assert client.get(f"{NEEDS}/{need['id']}", headers=staff.headers).json()["impact_severity"] == 3


def test_need_references_are_checked(client, staff):
    assert_error(
        client.post(
            NEEDS, json={"title": "t", "assessment_id": str(uuid.uuid4())}, headers=staff.headers
        ),
        422,
        "assessment_id",
    )
    assert_error(
        client.post(
            NEEDS, json={"title": "t", "ppa_ids": [str(uuid.uuid4())]}, headers=staff.headers
        ),
        422,
        "ppa_ids",
    )
    both = {"title": "t", "assessment_id": str(uuid.uuid4()), "ppa_ids": [str(uuid.uuid4())]}
    error = assert_error(client.post(NEEDS, json=both, headers=staff.headers), 422)
    assert [detail["field"] for detail in error["details"]] == ["assessment_id", "ppa_ids"]
    need = create_need(client, staff)
    response = client.patch(
        f"{NEEDS}/{need['id']}", json={"assessment_id": str(uuid.uuid4())}, headers=staff.headers
    )
    assert_error(response, 422, "assessment_id")
    assert client.get(f"{NEEDS}/{need['id']}", headers=staff.headers).json() == need
    assert_error(
        client.post(NEEDS, json={"title": "t", "affected_population": -1}, headers=staff.headers),
        422,
        "affected_population",
    )
    assert client.get(NEEDS, headers=staff.headers).json()["total"] == 1


def test_deleting_an_assessment_keeps_its_needs_unlinked(client, staff, manager):
    assessment = create_assessment(client, staff)
    need = create_need(client, staff, assessment_id=assessment["id"])
    assert (
        client.delete(f"{ASSESSMENTS}/{assessment['id']}", headers=manager.headers).status_code
        == 204
    )
    assert (
        client.get(f"{NEEDS}/{need['id']}", headers=staff.headers).json()["assessment_id"] is None
    )


def test_put_ppa_links_replaces_the_list(client, staff):
    a, b, c = (create_ppa(client, staff, title=t)["id"] for t in "abc")
    need = create_need(client, staff)
    url_need = need["id"]

    response = put_links(client, staff, url_need, [a, b, a, b])  # duplicates are harmless
    assert response.status_code == 200, response.text
    assert sorted(response.json()["ppa_ids"]) == sorted([a, b])
    assert get_ppa(client, staff, a)["need_ids"] == [url_need]

    response = put_links(client, staff, url_need, [c, b])
    assert response.status_code == 200, response.text
    assert sorted(response.json()["ppa_ids"]) == sorted([b, c])
    assert get_ppa(client, staff, a)["need_ids"] == []
    assert get_ppa(client, staff, c)["need_ids"] == [url_need]
    stored = client.get(f"{NEEDS}/{url_need}", headers=staff.headers).json()
    assert sorted(stored["ppa_ids"]) == sorted([b, c])

    # Same list again: nothing changes, nothing fails.
    assert sorted(put_links(client, staff, url_need, [b, c]).json()["ppa_ids"]) == sorted([b, c])

    # An unknown PPA is refused and the previous list stays.
    unknown = str(uuid.uuid4())
    assert_error(put_links(client, staff, url_need, [a, unknown]), 422, "ppa_ids")
    stored = client.get(f"{NEEDS}/{url_need}", headers=staff.headers).json()
    assert sorted(stored["ppa_ids"]) == sorted([b, c])

    cleared = put_links(client, staff, url_need, [])
    assert cleared.status_code == 200
    assert cleared.json()["ppa_ids"] == []
    assert get_ppa(client, staff, b)["need_ids"] == []

    assert_error(put_links(client, staff, str(uuid.uuid4()), [a]), 404)
    assert_error(put_links(client, staff, url_need, ["nope"]), 422)
    assert_error(
        client.put(f"{NEEDS}/{url_need}/ppas", json={}, headers=staff.headers), 422, "ppa_ids"
    )


def test_needs_list_filters(client, staff):
    ppa = create_ppa(client, staff)["id"]
    linked = create_need(
        client, staff, title="Linked water need", ppa_ids=[ppa], status="validated"
    )
    create_need(client, staff, title="Unlinked road need")
    page = client.get(NEEDS, params={"addressed": True}, headers=staff.headers).json()
    assert [n["id"] for n in page["items"]] == [linked["id"]]
    assert (
        client.get(NEEDS, params={"addressed": False}, headers=staff.headers).json()["total"] == 1
    )
    assert client.get(NEEDS, params={"ppa_id": ppa}, headers=staff.headers).json()["total"] == 1
    assert (
        client.get(NEEDS, params={"status": "validated"}, headers=staff.headers).json()["total"]
        == 1
    )
    assert client.get(NEEDS, params={"q": "ROAD"}, headers=staff.headers).json()["total"] == 1
    assert_error(client.get(NEEDS, params={"status": "bad"}, headers=staff.headers), 422)


def test_needs_coverage_on_the_dashboard(client, staff, manager):
    a = create_ppa(client, staff, title="a", fiscal_year=2026)["id"]
    b = create_ppa(client, staff, title="b", fiscal_year=2027)["id"]
    n1 = create_need(client, staff, ppa_ids=[a, b])
    n2 = create_need(client, staff, ppa_ids=[b])
    create_need(client, staff)
    create_need(client, staff)

    needs = client.get(DASHBOARD, headers=staff.headers).json()["needs"]
    assert needs == {"total": 4, "addressed": 2, "coverage_percent": 50.0}
    scoped = client.get(DASHBOARD, params={"fiscal_year": 2026}, headers=staff.headers).json()[
        "needs"
    ]
    assert scoped == {"total": 4, "addressed": 1, "coverage_percent": 25.0}

    assert put_links(client, staff, n2["id"], []).status_code == 200
    needs = client.get(DASHBOARD, headers=staff.headers).json()["needs"]
    assert needs == {"total": 4, "addressed": 1, "coverage_percent": 25.0}
    assert client.delete(f"/api/v1/ppas/{a}", headers=manager.headers).status_code == 204
    assert client.delete(f"/api/v1/ppas/{b}", headers=manager.headers).status_code == 204
    assert client.get(f"{NEEDS}/{n1['id']}", headers=staff.headers).json()["ppa_ids"] == []
    needs = client.get(DASHBOARD, headers=staff.headers).json()["needs"]
    assert needs == {"total": 4, "addressed": 0, "coverage_percent": 0.0}
