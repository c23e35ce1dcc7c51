"""PPA API: create/read/update/delete, validation and the outbox (DOMAIN.md, "Portfolio")."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text

from obcms_platform.testing import assert_error
from obcms_platform.testing.concurrent_writes import (
    assert_concurrent_changes_all_apply,
    one_concurrent_change_wins,
)
from obcms_platform.testing.databases import checked_values
from portfolio_service.ppas.models import (
    AppropriationClass,
    FundingSource,
    PpaCategory,
    PpaPriority,
    PpaStatus,
    Sector,
)

from .helpers import (
    PPAS,
    STAGES,
    create_ppa,
    get_ppa,
    outbox_count,
    outbox_rows,
)

FULL_BODY: dict[str, Any] = {
    "title": "Halal livelihood program for returnees",
    "summary": "Starter kits and training.\nThree municipalities.",
    "category": "moa_ppa",
    "status": "ongoing",
    "priority": "urgent",
    "sector": "peace_security",
    "appropriation_class": "mooe",
    "funding_source": "block_grant",
    "implementing_office": "MSSD Region XII",
    "fiscal_year": 2026,
    "plan_year": 2025,
    "start_date": "2026-01-15",
    "target_end_date": "2026-11-30",
    "actual_end_date": "2026-12-10",
    "budget_allocation": 1250000.5,
    "budget_ceiling": 2000000,
    "budget_currency": "USD",
}

# Fields a PPA may leave empty: absent they are null, and null clears them.
OPTIONAL_FIELDS = (
    "sector",
    "appropriation_class",
    "funding_source",
    "fiscal_year",
    "plan_year",
    "start_date",
    "target_end_date",
    "actual_end_date",
    "budget_allocation",
    "budget_ceiling",
)


def patch(client, caller, ppa_id: str, body: Any, **headers: str) -> Any:
    return client.patch(f"{PPAS}/{ppa_id}", json=body, headers={**caller.headers, **headers})


# --- create and read --------------------------------------------------------------------


def test_create_with_every_field_reads_back_every_field(client, staff):
    before = datetime.now(UTC)
    response = client.post(PPAS, json=FULL_BODY, headers=staff.headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["ETag"] == '"1"'
    fetched = client.get(response.headers["Location"], headers=staff.headers)
    assert fetched.status_code == 200, fetched.text
    for ppa in (created, fetched.json()):
        for name, value in FULL_BODY.items():
            assert ppa[name] == value, name
        assert ppa["progress"] == 0
        assert ppa["approval_status"] == "draft"
        assert ppa["approval_history"] == []
        assert ppa["milestones"] == []
        assert ppa["need_ids"] == []
        assert ppa["created_by"] == str(staff.user_id)
        assert ppa["version"] == 1
        created_at = datetime.fromisoformat(ppa["created_at"])
        assert before - timedelta(seconds=5) <= created_at <= datetime.now(UTC)
    assert fetched.json() == created


def test_defaults(client, staff):
    ppa = create_ppa(client, staff, title="Only the required fields", category="obc_request")
    assert ppa["status"] == "planning"
    assert ppa["priority"] == "medium"
    assert ppa["budget_currency"] == "PHP"
    assert ppa["summary"] == ""
    assert ppa["implementing_office"] == ""
    for name in OPTIONAL_FIELDS:
        assert ppa[name] is None, name
    assert ppa["progress"] == 0
    assert ppa["approval_status"] == "draft"
    assert get_ppa(client, staff, ppa["id"]) == ppa


ENUM_CLASSES: dict[str, Any] = {
    "category": PpaCategory,
    "status": PpaStatus,
    "priority": PpaPriority,
    "sector": Sector,
    "appropriation_class": AppropriationClass,
    "funding_source": FundingSource,
}


def test_every_enum_value_is_accepted(client, staff, session):
    plain = create_ppa(client, staff, title="changes every time")
    for field, enum in ENUM_CLASSES.items():
        values = [member.value for member in enum]
        # The values the migrated database stores, no more, no fewer.
        assert set(values) == checked_values(session, "ppas", field)
        for value in values:
            ppa = create_ppa(client, staff, title=f"{field} {value}", **{field: value})
            assert get_ppa(client, staff, ppa["id"])[field] == value
            response = patch(client, staff, plain["id"], {field: value})
            assert response.status_code == 200, response.text
            assert response.json()[field] == value
        assert get_ppa(client, staff, plain["id"])[field] == values[-1]


def test_unknown_enum_value_is_refused_naming_the_field(client, staff):
    ppa = create_ppa(client, staff)
    wrong = []
    for field in ENUM_CLASSES:
        for value in ["bogus", "Planning", "ONGOING", "", " ", 3, ["economic"], {"a": 1}]:
            body = {"title": "t", "category": "oobc_ppa", field: value}
            for response in (
                client.post(PPAS, json=body, headers=staff.headers),
                patch(client, staff, ppa["id"], {field: value}),
            ):
                error = response.json().get("error") or {}
                if response.status_code != 422 or error.get("field") != field:
                    wrong.append((field, value, response.status_code, error.get("field")))
    assert wrong == []
    assert get_ppa(client, staff, ppa["id"])["version"] == 1
    assert client.get(PPAS, headers=staff.headers).json()["total"] == 1


@pytest.mark.parametrize("field", ["title", "category"])
def test_missing_required_field_is_refused(client, staff, field):
    body = {"title": "t", "category": "oobc_ppa"}
    del body[field]
    assert_error(client.post(PPAS, json=body, headers=staff.headers), 422, field)
    assert_error(client.post(PPAS, json={**body, field: None}, headers=staff.headers), 422, field)


def test_bad_title_is_refused(client, staff):
    for title in ["", "   ", "x" * 301, "nul\x00byte", 12]:
        body = {"title": title, "category": "oobc_ppa"}
        assert_error(client.post(PPAS, json=body, headers=staff.headers), 422, "title")
    assert create_ppa(client, staff, title="  Trimmed  ")["title"] == "Trimmed"
    assert create_ppa(client, staff, title="x" * 300)["title"] == "x" * 300


INVALID_INPUT: list[tuple[dict[str, Any], str]] = [
    ({"start_date": "2026-05-02", "target_end_date": "2026-05-01"}, "target_end_date"),
    ({"start_date": "2026-05-02", "actual_end_date": "2026-04-30"}, "actual_end_date"),
    ({"start_date": "2026-02-30"}, "start_date"),
    ({"target_end_date": "next week"}, "target_end_date"),
    ({"actual_end_date": "1800-01-01"}, "actual_end_date"),
    ({"start_date": "9999-01-01"}, "start_date"),
    ({"budget_allocation": -1}, "budget_allocation"),
    ({"budget_allocation": "-0.01"}, "budget_allocation"),
    ({"budget_ceiling": -100}, "budget_ceiling"),
    ({"budget_allocation": "12.345"}, "budget_allocation"),
    ({"budget_allocation": 1e15}, "budget_allocation"),
    ({"budget_allocation": "lots"}, "budget_allocation"),
    ({"budget_allocation": 200, "budget_ceiling": 100}, "budget_allocation"),
    ({"fiscal_year": 1969}, "fiscal_year"),
    ({"fiscal_year": 2200}, "fiscal_year"),
    ({"fiscal_year": 40000}, "fiscal_year"),
    ({"plan_year": "soon"}, "plan_year"),
    ({"budget_currency": "php"}, "budget_currency"),
    ({"budget_currency": "PESO"}, "budget_currency"),
    ({"implementing_office": "x" * 256}, "implementing_office"),
    ({"summary": "x" * 20_001}, "summary"),
    ({"summary": "nul\x00"}, "summary"),
    ({"progress": 50}, "progress"),
    ({"approval_status": "approved"}, "approval_status"),
    ({"id": str(uuid.uuid4())}, "id"),
    ({"unknown_field": 1}, "unknown_field"),
]


def test_invalid_input_is_422_naming_the_field(client, staff):
    ppa = create_ppa(client, staff)
    wrong = []
    for body, field in INVALID_INPUT:
        full = {"title": "t", "category": "oobc_ppa", **body}
        for response in (
            client.post(PPAS, json=full, headers=staff.headers),
            patch(client, staff, ppa["id"], body),
        ):
            error = response.json().get("error") or {}
            if response.status_code != 422 or error.get("field") != field or not error["message"]:
                wrong.append((body, field, response.status_code, error.get("field")))
    assert wrong == []
    assert get_ppa(client, staff, ppa["id"])["version"] == 1
    # Nothing was created by the refused requests.
    assert client.get(PPAS, headers=staff.headers).json()["total"] == 1


def test_boundary_values_are_accepted(client, staff):
    ppa = create_ppa(
        client,
        staff,
        fiscal_year=1970,
        plan_year=2199,
        budget_allocation="999999999999.99",
        budget_ceiling="999999999999.99",
        start_date="2026-03-01",
        target_end_date="2026-03-01",
        actual_end_date="2026-03-01",
    )
    assert ppa["budget_allocation"] == 999999999999.99
    assert ppa["target_end_date"] == ppa["start_date"]
    zero = create_ppa(client, staff, budget_allocation=0, budget_ceiling=0)
    assert (zero["budget_allocation"], zero["budget_ceiling"]) == (0, 0)


def test_patch_dates_and_budget_are_checked_against_the_stored_values(client, staff):
    ppa = create_ppa(
        client,
        staff,
        start_date="2026-01-01",
        target_end_date="2026-06-30",
        budget_allocation=100,
        budget_ceiling=500,
    )
    assert_error(
        patch(client, staff, ppa["id"], {"start_date": "2026-07-01"}), 422, "target_end_date"
    )
    assert_error(
        patch(client, staff, ppa["id"], {"target_end_date": "2025-12-31"}), 422, "target_end_date"
    )
    assert_error(
        patch(client, staff, ppa["id"], {"budget_allocation": 501}), 422, "budget_allocation"
    )
    assert_error(patch(client, staff, ppa["id"], {"budget_ceiling": 99}), 422, "budget_allocation")
    ok = patch(
        client, staff, ppa["id"], {"start_date": "2026-07-01", "target_end_date": "2026-08-01"}
    )
    assert ok.status_code == 200, ok.text
    cleared = patch(client, staff, ppa["id"], {"budget_ceiling": None, "budget_allocation": 900})
    assert cleared.status_code == 200, cleared.text
    assert (cleared.json()["budget_ceiling"], cleared.json()["budget_allocation"]) == (None, 900)


def test_dates_and_budget_wrong_together_are_refused_naming_each_at_once(client, staff):
    ppa = create_ppa(client, staff, start_date="2026-01-01", budget_ceiling=500)

    refused = patch(
        client,
        staff,
        ppa["id"],
        {"target_end_date": "2025-12-31", "budget_allocation": 501},
    )

    error = assert_error(refused, 422, "target_end_date")
    named = {detail["field"]: detail["message"] for detail in error["details"]}
    assert named == {
        "target_end_date": "must not be before start_date",
        "budget_allocation": "501.00 exceeds the PPA's budget_ceiling of 500.00",
    }


def test_null_for_a_non_nullable_field_is_refused(client, staff):
    ppa = create_ppa(client, staff)
    for field in [
        "title",
        "summary",
        "category",
        "status",
        "priority",
        "implementing_office",
        "budget_currency",
    ]:
        assert_error(patch(client, staff, ppa["id"], {field: None}), 422, field)
    assert get_ppa(client, staff, ppa["id"])["version"] == 1


def test_null_clears_optional_fields(client, staff):
    ppa = create_ppa(client, staff, **{k: v for k, v in FULL_BODY.items()})
    response = patch(client, staff, ppa["id"], dict.fromkeys(OPTIONAL_FIELDS))
    assert response.status_code == 200, response.text
    stored = get_ppa(client, staff, ppa["id"])
    for name in OPTIONAL_FIELDS:
        assert stored[name] is None, name
    assert stored["title"] == FULL_BODY["title"]


def test_patch_changes_only_the_fields_sent(client, staff):
    ppa = create_ppa(client, staff, **FULL_BODY)
    response = patch(client, staff, ppa["id"], {"summary": "Rewritten", "priority": "low"})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["version"] == 2
    assert response.headers["ETag"] == '"2"'
    for name, value in FULL_BODY.items():
        expected = {"summary": "Rewritten", "priority": "low"}.get(name, value)
        assert updated[name] == expected, name
    assert get_ppa(client, staff, ppa["id"]) == updated


def test_unknown_ppa_is_404_and_malformed_id_is_422(client, staff, manager):
    url = f"{PPAS}/{uuid.uuid4()}"
    assert_error(client.get(url, headers=staff.headers), 404)
    assert_error(client.patch(url, json={"title": "x"}, headers=staff.headers), 404)
    assert_error(client.delete(url, headers=manager.headers), 404)
    for sub in ("milestones", "workflow", "approval", "funding"):
        assert_error(client.get(f"{url}/{sub}", headers=staff.headers), 404)
    bad = f"{PPAS}/not-a-uuid"
    assert_error(client.get(bad, headers=staff.headers), 422, "ppa_id")
    assert_error(client.patch(bad, json={"title": "x"}, headers=staff.headers), 422, "ppa_id")
    assert_error(client.delete(bad, headers=manager.headers), 422, "ppa_id")


def test_malformed_bodies_are_422(client, staff):
    for content in [b"{", b"[]", b"null", b'"text"']:
        response = client.post(
            PPAS, content=content, headers={**staff.headers, "Content-Type": "application/json"}
        )
        assert_error(response, 422)


def test_text_round_trips_unicode(client, staff):
    title = "Kalilintad — Maranao 🌊 ñ 中文"
    ppa = create_ppa(client, staff, title=title, summary="Ä\n\tß")
    assert get_ppa(client, staff, ppa["id"])["title"] == title


# --- delete -----------------------------------------------------------------------------


def test_delete_by_creator_or_manager_only(client, staff, other_staff, manager):
    mine = create_ppa(client, staff, title="mine")
    assert_error(client.delete(f"{PPAS}/{mine['id']}", headers=other_staff.headers), 403)
    assert get_ppa(client, staff, mine["id"])["title"] == "mine"
    response = client.delete(f"{PPAS}/{mine['id']}", headers=staff.headers)
    assert response.status_code == 204, response.text
    assert_error(client.get(f"{PPAS}/{mine['id']}", headers=staff.headers), 404)
    assert_error(client.delete(f"{PPAS}/{mine['id']}", headers=staff.headers), 404)

    theirs = create_ppa(client, other_staff, title="theirs")
    assert client.delete(f"{PPAS}/{theirs['id']}", headers=manager.headers).status_code == 204
    assert client.get(PPAS, headers=staff.headers).json()["total"] == 0


def test_delete_removes_everything_hanging_off_the_ppa(client, staff, manager, database):
    """A PPA that may be deleted (rejected, here; never one with funding recorded:
    test_approvals) takes its milestones, approval history, workflow stages and need links."""
    ppa = create_ppa(client, staff, sector="social", fiscal_year=2026, budget_allocation=10)
    other = create_ppa(client, staff, title="other")
    pid = ppa["id"]
    assert (
        client.post(
            f"{PPAS}/{pid}/milestones",
            json={"title": "m", "date": "2026-02-01"},
            headers=staff.headers,
        ).status_code
        == 201
    )
    for to in ("technical_review", "rejected"):
        body = {"to": to, "note": "Not in this year's plan"}
        moved = client.post(f"{PPAS}/{pid}/approval", json=body, headers=manager.headers)
        assert moved.status_code == 200, moved.text
    need = client.post(
        "/api/v1/needs", json={"title": "n", "ppa_ids": [pid, other["id"]]}, headers=staff.headers
    )
    assert need.status_code == 201, need.text

    with database.engine.connect() as connection:
        kept = {
            table: connection.execute(
                text(f"SELECT count(*) FROM {table} WHERE ppa_id = :id"), {"id": pid}
            ).scalar_one()
            for table in ("milestones", "approval_history", "budget_workflow_stages")
        }
    assert all(kept.values()), kept
    assert client.delete(f"{PPAS}/{pid}", headers=staff.headers).status_code == 204
    with database.engine.connect() as connection:
        for table in kept:
            remaining = connection.execute(
                text(f"SELECT count(*) FROM {table} WHERE ppa_id = :id"), {"id": pid}
            ).scalar_one()
            assert remaining == 0, table
    stored_need = client.get(f"/api/v1/needs/{need.json()['id']}", headers=staff.headers).json()
    assert stored_need["ppa_ids"] == [other["id"]]


# --- outbox -----------------------------------------------------------------------------


def test_create_update_delete_write_their_events(client, staff, database):
    ppa = create_ppa(client, staff, **FULL_BODY)
    created = outbox_rows(database, "ppa.created")
    assert len(created) == 1
    assert created[0]["subject_id"] == ppa["id"]
    assert created[0]["producer"] == "portfolio"
    data = created[0]["data"]
    assert data["title"] == FULL_BODY["title"]
    assert data["category"] == "moa_ppa"
    assert data["start_date"] == "2026-01-15"
    assert data["target_end_date"] == "2026-11-30"
    assert data["fiscal_year"] == 2026

    assert (
        patch(
            client, staff, ppa["id"], {"title": "Renamed", "start_date": "2026-02-01"}
        ).status_code
        == 200
    )
    updated = outbox_rows(database, "ppa.updated")
    assert len(updated) == 1
    assert updated[0]["subject_id"] == ppa["id"]
    assert updated[0]["data"]["title"] == "Renamed"
    assert updated[0]["data"]["start_date"] == "2026-02-01"

    assert client.delete(f"{PPAS}/{ppa['id']}", headers=staff.headers).status_code == 204
    deleted = outbox_rows(database, "ppa.deleted")
    assert len(deleted) == 1
    assert deleted[0]["subject_id"] == ppa["id"]
    assert deleted[0]["data"]["title"] == "Renamed"
    assert outbox_count(database) == 3


def test_a_refused_request_writes_no_event(client, staff, other_staff, database):
    ppa = create_ppa(client, staff, start_date="2026-01-01")
    assert outbox_count(database) == 1
    bad_create = {
        "title": "t",
        "category": "oobc_ppa",
        "start_date": "2026-02-01",
        "target_end_date": "2026-01-01",
    }
    assert_error(client.post(PPAS, json=bad_create, headers=staff.headers), 422)
    assert_error(patch(client, staff, ppa["id"], {"target_end_date": "2025-01-01"}), 422)
    assert_error(patch(client, staff, ppa["id"], {"title": "x"}, **{"If-Match": '"7"'}), 412)
    assert_error(client.delete(f"{PPAS}/{ppa['id']}", headers=other_staff.headers), 403)
    assert outbox_count(database) == 1


def test_creating_a_ppa_creates_its_six_workflow_stages_in_order(client, staff):
    ppa = create_ppa(client, staff)
    response = client.get(f"{PPAS}/{ppa['id']}/workflow", headers=staff.headers)
    assert response.status_code == 200, response.text
    stages = response.json()
    assert [s["stage"] for s in stages] == STAGES
    assert [s["sequence"] for s in stages] == [1, 2, 3, 4, 5, 6]
    assert {s["status"] for s in stages} == {"not_started"}
    assert {s["ppa_id"] for s in stages} == {ppa["id"]}


# --- versions ---------------------------------------------------------------------------


def test_etag_and_if_match(client, staff):
    ppa = create_ppa(client, staff)
    pid = ppa["id"]
    assert client.get(f"{PPAS}/{pid}", headers=staff.headers).headers["ETag"] == '"1"'
    updated = patch(client, staff, pid, {"title": "u"}, **{"If-Match": '"1"'})
    assert updated.status_code == 200, updated.text
    assert updated.headers["ETag"] == '"2"'
    assert_error(patch(client, staff, pid, {"title": "stale"}, **{"If-Match": '"1"'}), 412)
    assert_error(patch(client, staff, pid, {"title": "x"}, **{"If-Match": "abc"}), 422, "If-Match")
    assert get_ppa(client, staff, pid)["title"] == "u"
    stale_delete = client.delete(f"{PPAS}/{pid}", headers={**staff.headers, "If-Match": '"1"'})
    assert_error(stale_delete, 412)
    ok = client.delete(f"{PPAS}/{pid}", headers={**staff.headers, "If-Match": '"2"'})
    assert ok.status_code == 204, ok.text


def test_concurrent_patches_of_the_same_version_exactly_one_wins(client, staff):
    ppa = create_ppa(client, staff)
    winner, losers = one_concurrent_change_wins(
        lambda change: patch(client, staff, ppa["id"], change, **{"If-Match": '"1"'}),
        [{"title": f"writer {i}"} for i in range(4)],
    )
    assert [r.status_code for r in losers] == [412] * 3, [r.text for r in losers]
    stored = get_ppa(client, staff, ppa["id"])
    assert stored["title"] == winner.json()["title"]
    assert stored["version"] == 2


def test_concurrent_patches_without_if_match_all_apply(client, staff):
    ppa = create_ppa(client, staff)
    changes = [
        {"summary": "s"},
        {"priority": "high"},
        {"sector": "social"},
        {"implementing_office": "MOST"},
    ]
    assert_concurrent_changes_all_apply(
        lambda change: patch(client, staff, ppa["id"], change),
        lambda: get_ppa(client, staff, ppa["id"]),
        changes,
    )


def test_the_answer_of_a_write_reads_nothing_after_its_commit(client, staff):
    """Whatever the answer shows is read in the write's transaction: a database gone away
    between the commit and the answer must not turn a stored PPA into a 500 (the PostgreSQL
    restart test found `last_update_on` read lazily after the commit)."""
    engine = client.app.state.database.engine
    trail: list[str] = []

    def statement(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        trail.append(sql)

    def committed(conn: Any) -> None:
        trail.append("COMMIT")

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", committed)
    try:
        created = client.post(
            PPAS, json={"title": "Solar dryers", "category": "oobc_ppa"}, headers=staff.headers
        )
        assert created.status_code == 201, created.text
        assert trail[-1] == "COMMIT", trail[trail.index("COMMIT") :]
        trail.clear()
        ppa = created.json()
        patched = client.patch(
            f"{PPAS}/{ppa['id']}",
            json={"title": "Solar dryers for Datu Odin"},
            headers={**staff.headers, "If-Match": f'"{ppa["version"]}"'},
        )
        assert patched.status_code == 200, patched.text
        assert trail[-1] == "COMMIT", trail[trail.index("COMMIT") :]
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", committed)
