"""The team pages: every team with its members by name (leads first), a manager's new team,
a team's page where a manager or one of its leads adds, promotes and removes members and
renames it, every refusal beside its input, and a staff member who leads nothing refused."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from gateway_helpers import ADMIN_PASSWORD, create_user, signed_in, submit, visible_text

TEAMS = "/oobc-management/staff/teams/"


@pytest.fixture
def admin(make_client) -> httpx.Client:
    return signed_in(make_client(), "admin", ADMIN_PASSWORD)


def _team_id(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    found = re.fullmatch(
        re.escape(TEAMS) + r"([0-9a-f-]{36})/\?saved=\w+", response.headers["location"]
    )
    assert found, response.headers["location"]
    return found.group(1)


def _members(client: httpx.Client, team_id: str) -> list[str]:
    """The members' rows as the team's page reads: "Name · Role"."""
    page = client.get(f"{TEAMS}{team_id}/").text
    section = page[page.index('id="members"') : page.index("</table>", page.index('id="members"'))]
    rows = re.findall(r"<tr>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>", section)
    return [f"{name} · {role}" for name, role in rows]


def _error_beside(page: str, input_id: str) -> str:
    found = re.search(rf'<span class="field-error" id="{input_id}">([^<]*)</span>', page)
    assert found, f"no error beside {input_id}"
    return found.group(1)


def test_a_manager_makes_a_team_and_its_lead_runs_its_members(make_client, admin_headers):
    marker = uuid.uuid4().hex[:6]
    manager = create_user(make_client(), admin_headers, "manager", f"Amina Datu {marker}")
    norhana = create_user(make_client(), admin_headers, "staff", f"Norhana Ampa {marker}")
    rashid = create_user(make_client(), admin_headers, "staff", f"Rashid Lida {marker}")
    amina = signed_in(make_client(), manager["username"])

    # No name: asked for beside the input, what was typed kept.
    empty = submit(amina, TEAMS + "create/", {"name": "", "description": "Field work", "lead": "1"})
    assert empty.status_code == 422
    assert _error_beside(empty.text, "team-name-error") == "Give the team a name"
    assert "Field work</textarea>" in empty.text

    made = submit(
        amina,
        TEAMS + "create/",
        {"name": f"Field team {marker}", "description": "Missions to the islands", "lead": "1"},
    )
    team = _team_id(made)
    page = amina.get(made.headers["location"]).text
    assert "Team created" in page
    assert _members(amina, team) == [f"Amina Datu {marker} · Lead"]

    # The same name again: refused beside it, in words.
    again = submit(amina, TEAMS + "create/", {"name": f"Field team {marker}", "lead": "1"})
    assert again.status_code == 409
    assert "Another team has this name already" in _error_beside(again.text, "team-name-error")

    # The lead adds Norhana as a lead and Rashid as a member; leads are listed first.
    members = f"{TEAMS}{team}/members/"
    added = submit(amina, members, {"action": "add", "user_id": rashid["id"], "role": "member"})
    assert added.headers["location"] == f"{TEAMS}{team}/?saved=add"
    assert "Member added" in amina.get(added.headers["location"]).text
    submit(amina, members, {"action": "add", "user_id": norhana["id"], "role": "lead"})
    assert _members(amina, team) == [
        f"Amina Datu {marker} · Lead",
        f"Norhana Ampa {marker} · Lead",
        f"Rashid Lida {marker} · Member",
    ]
    # Adding someone twice, or no one, is refused beside the person.
    twice = submit(amina, members, {"action": "add", "user_id": rashid["id"], "role": "member"})
    assert twice.status_code == 422
    assert _error_beside(twice.text, "member-user-error") == "This person is in the team already"
    nobody = submit(amina, members, {"action": "add", "user_id": "", "role": "member"})
    assert _error_beside(nobody.text, "member-user-error") == "Choose a person"

    # Norhana, a lead but only staff, promotes Rashid and removes Amina.
    lead = signed_in(make_client(), norhana["username"])
    promoted = submit(lead, members, {"action": "role", "user_id": rashid["id"], "role": "lead"})
    assert "Role changed" in lead.get(promoted.headers["location"]).text
    removed = submit(lead, members, {"action": "remove", "user_id": manager["id"]})
    assert "Member removed" in lead.get(removed.headers["location"]).text
    assert _members(lead, team) == [f"Norhana Ampa {marker} · Lead", f"Rashid Lida {marker} · Lead"]

    # She renames it and marks it inactive; the list says so, with every member by name.
    renamed = submit(
        lead,
        f"{TEAMS}{team}/edit/",
        {"name": f"Island team {marker}", "description": "", "inactive": "1"},
    )
    assert "Team saved" in lead.get(renamed.headers["location"]).text
    listed = visible_text(lead.get(TEAMS).text)
    assert (
        f"Island team {marker} Norhana Ampa {marker} (lead), Rashid Lida {marker} (lead) Inactive"
    ) in listed
    # The team's history says what changed and who did it.
    page = lead.get(f"{TEAMS}{team}/").text
    history = visible_text(page[page.index('id="activity"') :])
    assert f"Norhana Ampa {marker} changed" in history
    assert f"Name: Field team {marker} → Island team {marker}" in history


def test_a_staff_member_who_leads_nothing_sees_and_is_refused(make_client, admin, admin_headers):
    marker = uuid.uuid4().hex[:6]
    made = submit(admin, TEAMS + "create/", {"name": f"Budget team {marker}", "lead": "1"})
    team = _team_id(made)
    outsider = create_user(make_client(), admin_headers, "staff", f"Omar Maca {marker}")
    omar = signed_in(make_client(), outsider["username"])

    listing = omar.get(TEAMS)
    assert listing.status_code == 200
    assert f"Budget team {marker}" in listing.text
    assert "New team" not in listing.text  # managers make teams
    page = omar.get(f"{TEAMS}{team}/").text
    assert "Add a member" not in page
    assert "Change the team" not in page

    refused = submit(
        omar,
        f"{TEAMS}{team}/members/",
        {"action": "add", "user_id": outsider["id"], "role": "lead"},
    )
    assert refused.status_code == 403
    assert _members(admin, team) == ["Administrator · Lead"]
    assert (
        submit(omar, TEAMS + "create/", {"name": f"Mine {marker}", "lead": "1"}).status_code == 403
    )
    assert submit(omar, f"{TEAMS}{team}/edit/", {"name": "Taken over"}).status_code == 403
