"""Teams API: creation, naming rules, who may change a team, members, listing."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import text

from obcms_platform.auth import Role
from obcms_platform.db import Database
from obcms_platform.testing import assert_error, auth_headers
from tasks_service.teams.models import Team, TeamMember, TeamRole

from .helpers import TEAMS, create_team


def headers_of(user_id: uuid.UUID, role: Role = Role.STAFF) -> dict[str, str]:
    return auth_headers(user_id, (role,))


# --- create -------------------------------------------------------------------------------


def test_manager_creates_team_with_members_and_derived_slug(client, manager, staff, other_staff):
    response = client.post(
        TEAMS,
        json={
            "name": "  Field Operations & M&E  ",
            "description": "Runs the field work",
            "members": [
                {"user_id": str(staff.user_id), "role": "lead"},
                {"user_id": str(other_staff.user_id)},
            ],
        },
        headers=manager.headers,
    )
    assert response.status_code == 201, response.text
    team = response.json()
    assert team["name"] == "Field Operations & M&E"
    assert team["slug"] == "field-operations-m-e"
    assert team["description"] == "Runs the field work"
    assert team["is_active"] is True
    assert {(m["user_id"], m["role"]) for m in team["members"]} == {
        (str(staff.user_id), "lead"),
        (str(other_staff.user_id), "member"),
    }
    assert response.headers["Location"].endswith(f"/teams/{team['id']}")

    fetched = client.get(f"{TEAMS}/{team['id']}", headers=staff.headers)
    assert fetched.status_code == 200
    assert fetched.json()["slug"] == "field-operations-m-e"
    assert len(fetched.json()["members"]) == 2


def test_explicit_slug_is_kept(client, manager):
    team = create_team(client, manager, name="Monitoring Unit", slug="mon")
    assert team["slug"] == "mon"


def test_invalid_slug_is_refused(client, manager):
    response = client.post(
        TEAMS, json={"name": "Ops", "slug": "Not A Slug"}, headers=manager.headers
    )
    assert_error(response, 422, "slug")


def test_accented_name_gets_a_readable_slug(client, manager):
    team = create_team(client, manager, name="Équipe Maguindanao")
    assert team["slug"] == "equipe-maguindanao"


def test_different_names_with_the_same_derived_slug_both_succeed(client, manager):
    first = create_team(client, manager, name="M&E Team")
    second = create_team(client, manager, name="M E Team")
    assert first["slug"] == "m-e-team"
    assert second["slug"] != first["slug"]
    assert second["slug"].startswith("m-e-team")


def test_explicit_slug_clash_is_a_conflict_on_slug(client, manager):
    create_team(client, manager, name="Planning", slug="planning")
    response = client.post(
        TEAMS, json={"name": "Planning Two", "slug": "planning"}, headers=manager.headers
    )
    assert_error(response, 409, "slug")


def test_staff_cannot_create_team(client, staff, manager):
    response = client.post(TEAMS, json={"name": "Rogue Team"}, headers=staff.headers)
    assert_error(response, 403, None)
    assert client.get(TEAMS, headers=manager.headers).json()["total"] == 0


def test_request_without_token_is_unauthorized(client):
    assert_error(client.get(TEAMS), 401, None)


def test_admin_may_create_team(client, admin):
    assert client.post(TEAMS, json={"name": "Admins"}, headers=admin.headers).status_code == 201


@pytest.mark.parametrize("name", ["Field Operations", "field operations", "FIELD OPERATIONS"])
def test_duplicate_name_case_insensitive_is_conflict(client, manager, name):
    create_team(client, manager, name="Field Operations")
    response = client.post(TEAMS, json={"name": name}, headers=manager.headers)
    error = assert_error(response, 409, "name")
    assert error["code"] == "conflict"
    assert client.get(TEAMS, headers=manager.headers).json()["total"] == 1


def test_blank_name_is_refused(client, manager):
    assert_error(client.post(TEAMS, json={"name": "   "}, headers=manager.headers), 422, "name")


def test_unknown_field_is_refused(client, manager):
    response = client.post(TEAMS, json={"name": "Ops", "colour": "red"}, headers=manager.headers)
    assert_error(response, 422, "colour")


def _race(client, manager, names: list[str]) -> list[tuple[int, dict]]:
    """POST the names from one thread each, released together; (status, body) per request."""
    barrier = threading.Barrier(len(names))
    results: list[tuple[int, dict]] = []

    def post(name: str) -> None:
        barrier.wait()
        response = client.post(TEAMS, json={"name": name}, headers=manager.headers)
        results.append((response.status_code, response.json()))

    threads = [threading.Thread(target=post, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_concurrent_creation_of_same_name_one_wins(client, manager):
    """Two requests racing for the same name: one 201, one 409, never a 500."""
    for round_no in range(4):
        results = _race(client, manager, [f"Race Team {round_no}", f"race team {round_no}"])
        assert sorted(status for status, _ in results) == [201, 409], results
        conflict = next(body for status, body in results if status == 409)
        assert conflict["error"]["field"] == "name"
    assert client.get(TEAMS, headers=manager.headers).json()["total"] == 4


def _wait_until_blocked(url: str) -> None:
    """Until some backend of this database waits for a lock (the racing insert)."""
    probe = Database(url, pool_size=1)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with probe.engine.connect() as conn:
                waiting = conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
            if waiting:
                return
            time.sleep(0.02)
        raise AssertionError("the racing request never blocked on the first insert")
    finally:
        probe.dispose()


def test_creation_racing_an_uncommitted_team_gets_409_not_500(
    client, manager, session, tasks_db_url
):
    """The unique index, not the friendly pre-check, decides: the loser still gets a 409."""
    session.add(Team(name="Harbour Ops", slug="harbour-ops", description="", is_active=True))
    session.flush()  # holds the name in an open transaction; the request cannot see it yet

    result: dict = {}

    def post() -> None:
        response = client.post(TEAMS, json={"name": "HARBOUR OPS"}, headers=manager.headers)
        result["status"] = response.status_code
        result["body"] = response.json()

    thread = threading.Thread(target=post)
    thread.start()
    _wait_until_blocked(tasks_db_url)
    session.commit()
    thread.join(timeout=30)
    assert result["status"] == 409, result
    assert result["body"]["error"]["field"] == "name"


# --- update -------------------------------------------------------------------------------


def test_manager_updates_team(client, manager, staff):
    team = create_team(client, manager, name="Policy Desk")
    response = client.patch(
        f"{TEAMS}/{team['id']}",
        json={"name": "Policy Unit", "description": "Drafts policy", "is_active": False},
        headers=manager.headers,
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["name"] == "Policy Unit"
    assert updated["description"] == "Drafts policy"
    assert updated["is_active"] is False
    got = client.get(f"{TEAMS}/{team['id']}", headers=staff.headers).json()
    assert got["name"] == "Policy Unit"
    assert got["is_active"] is False


def test_lead_may_update_team_but_coordinator_and_member_may_not(client, manager):
    lead, coordinator, member, outsider = (uuid.uuid4() for _ in range(4))
    team = create_team(
        client,
        manager,
        name="Data Team",
        members=[
            {"user_id": str(lead), "role": "lead"},
            {"user_id": str(coordinator), "role": "coordinator"},
            {"user_id": str(member), "role": "member"},
        ],
    )
    url = f"{TEAMS}/{team['id']}"
    for user in (coordinator, member, outsider):
        response = client.patch(url, json={"description": "hijack"}, headers=headers_of(user))
        assert_error(response, 403, None)
    response = client.patch(url, json={"description": "Data and maps"}, headers=headers_of(lead))
    assert response.status_code == 200, response.text
    assert client.get(url, headers=headers_of(member)).json()["description"] == "Data and maps"


def test_rename_to_existing_name_is_conflict(client, manager):
    create_team(client, manager, name="Alpha")
    beta = create_team(client, manager, name="Beta")
    response = client.patch(
        f"{TEAMS}/{beta['id']}", json={"name": "ALPHA"}, headers=manager.headers
    )
    error = assert_error(response, 409, "name")
    assert "exists" in error["message"]
    assert client.get(f"{TEAMS}/{beta['id']}", headers=manager.headers).json()["name"] == "Beta"


def test_rename_changing_only_case_is_allowed(client, manager):
    team = create_team(client, manager, name="gamma team")
    response = client.patch(
        f"{TEAMS}/{team['id']}", json={"name": "Gamma Team"}, headers=manager.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Gamma Team"


def test_null_name_in_patch_is_refused(client, manager):
    team = create_team(client, manager, name="Delta")
    response = client.patch(f"{TEAMS}/{team['id']}", json={"name": None}, headers=manager.headers)
    assert_error(response, 422, "name")


# --- members ------------------------------------------------------------------------------


def test_put_members_replaces_the_whole_list(client, manager):
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    team = create_team(
        client,
        manager,
        name="Events",
        members=[{"user_id": str(a), "role": "lead"}, {"user_id": str(b), "role": "member"}],
    )
    url = f"{TEAMS}/{team['id']}/members"
    response = client.put(
        url,
        json={
            "members": [
                {"user_id": str(b), "role": "coordinator"},
                {"user_id": str(c), "role": "lead"},
            ]
        },
        headers=manager.headers,
    )
    assert response.status_code == 200, response.text
    expected = {(str(b), "coordinator"), (str(c), "lead")}
    assert {(m["user_id"], m["role"]) for m in response.json()["members"]} == expected
    got = client.get(f"{TEAMS}/{team['id']}", headers=manager.headers).json()
    assert {(m["user_id"], m["role"]) for m in got["members"]} == expected

    emptied = client.put(url, json={"members": []}, headers=manager.headers)
    assert emptied.status_code == 200
    assert emptied.json()["members"] == []


def test_lead_may_replace_members_plain_member_may_not(client, manager):
    lead, member = uuid.uuid4(), uuid.uuid4()
    team = create_team(
        client,
        manager,
        name="Comms",
        members=[{"user_id": str(lead), "role": "lead"}, {"user_id": str(member)}],
    )
    url = f"{TEAMS}/{team['id']}/members"
    body = {"members": [{"user_id": str(member), "role": "lead"}]}
    assert_error(client.put(url, json=body, headers=headers_of(member)), 403, None)
    response = client.put(url, json=body, headers=headers_of(lead))
    assert response.status_code == 200, response.text
    assert response.json()["members"] == [{"user_id": str(member), "role": "lead"}]


def test_duplicate_member_is_refused_and_nothing_changes(client, manager):
    a, b = uuid.uuid4(), uuid.uuid4()
    team = create_team(client, manager, name="Finance", members=[{"user_id": str(a)}])
    response = client.put(
        f"{TEAMS}/{team['id']}/members",
        json={
            "members": [
                {"user_id": str(b), "role": "lead"},
                {"user_id": str(b), "role": "member"},
            ]
        },
        headers=manager.headers,
    )
    error = assert_error(response, 422, "members[1].user_id")
    assert str(b) in error["message"]
    got = client.get(f"{TEAMS}/{team['id']}", headers=manager.headers).json()
    assert got["members"] == [{"user_id": str(a), "role": "member"}]


def test_duplicate_member_on_create_is_refused(client, manager):
    a = str(uuid.uuid4())
    response = client.post(
        TEAMS,
        json={"name": "Twice", "members": [{"user_id": a}, {"user_id": a, "role": "lead"}]},
        headers=manager.headers,
    )
    assert_error(response, 422, "members[1].user_id")
    assert client.get(TEAMS, headers=manager.headers).json()["total"] == 0


def test_invalid_member_role_is_refused(client, manager):
    team = create_team(client, manager, name="Legal")
    response = client.put(
        f"{TEAMS}/{team['id']}/members",
        json={"members": [{"user_id": str(uuid.uuid4()), "role": "boss"}]},
        headers=manager.headers,
    )
    assert_error(response, 422, "members[0].role")


def test_all_three_roles_are_accepted(client, manager, session):
    users = [uuid.uuid4() for _ in range(3)]
    team = create_team(client, manager, name="Roles")
    roles = ["lead", "coordinator", "member"]
    response = client.put(
        f"{TEAMS}/{team['id']}/members",
        json={
            "members": [{"user_id": str(u), "role": r} for u, r in zip(users, roles, strict=True)]
        },
        headers=manager.headers,
    )
    assert response.status_code == 200, response.text
    stored = session.query(TeamMember).filter_by(team_id=uuid.UUID(team["id"])).all()
    assert {(m.user_id, m.role) for m in stored} == {
        (users[0], TeamRole.LEAD),
        (users[1], TeamRole.COORDINATOR),
        (users[2], TeamRole.MEMBER),
    }


# --- listing and lookups ------------------------------------------------------------------


def test_list_filters_mine_and_member(client, manager, staff, other_staff):
    alpha = create_team(
        client, manager, name="Alpha", members=[{"user_id": str(staff.user_id), "role": "lead"}]
    )
    beta = create_team(
        client,
        manager,
        name="Beta",
        members=[{"user_id": str(staff.user_id)}, {"user_id": str(other_staff.user_id)}],
    )
    create_team(client, manager, name="Gamma")

    everything = client.get(TEAMS, headers=staff.headers).json()
    assert everything["total"] == 3
    assert [t["name"] for t in everything["items"]] == ["Alpha", "Beta", "Gamma"]

    mine = client.get(TEAMS, params={"mine": "true"}, headers=staff.headers).json()
    assert mine["total"] == 2
    assert {t["id"] for t in mine["items"]} == {alpha["id"], beta["id"]}

    theirs = client.get(TEAMS, params={"mine": "true"}, headers=other_staff.headers).json()
    assert [t["id"] for t in theirs["items"]] == [beta["id"]]

    by_member = client.get(
        TEAMS, params={"member": str(other_staff.user_id)}, headers=staff.headers
    ).json()
    assert [t["id"] for t in by_member["items"]] == [beta["id"]]
    assert by_member["total"] == 1

    nobody = client.get(TEAMS, params={"member": str(uuid.uuid4())}, headers=staff.headers)
    assert nobody.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}


def test_list_filters_active_and_paginates(client, manager):
    for name in ("One", "Two", "Three"):
        create_team(client, manager, name=name)
    create_team(client, manager, name="Zero", is_active=False)
    active = client.get(TEAMS, params={"active": "true"}, headers=manager.headers).json()
    assert {t["name"] for t in active["items"]} == {"One", "Two", "Three"}
    page = client.get(TEAMS, params={"limit": 2, "offset": 2}, headers=manager.headers).json()
    assert page["total"] == 4
    assert [t["name"] for t in page["items"]] == ["Two", "Zero"]


def test_member_filter_must_be_a_uuid(client, staff):
    assert_error(client.get(TEAMS, params={"member": "bob"}, headers=staff.headers), 422, "member")


def test_unknown_team_is_404(client, manager):
    missing = uuid.uuid4()
    for response in (
        client.get(f"{TEAMS}/{missing}", headers=manager.headers),
        client.patch(f"{TEAMS}/{missing}", json={"description": "x"}, headers=manager.headers),
        client.put(f"{TEAMS}/{missing}/members", json={"members": []}, headers=manager.headers),
    ):
        error = assert_error(response, 404, None)
        assert error["code"] == "not_found"
        assert str(missing) in error["message"]


def test_malformed_team_id_is_422(client, manager):
    assert_error(client.get(f"{TEAMS}/not-a-uuid", headers=manager.headers), 422, "team_id")
