"""Team pages: the teams (everyone sees who is in which), a manager's new-team form, and each
team's page: its members, leads first, with a manager or one of its leads adding, promoting and
removing them and changing the team's name, description and whether it is active.

The tasks service keeps teams (``/teams``, unversioned: a team has no version to send back).
A change of members sends the whole list (``PUT /teams/{id}/members``) made from the members as
the service has them at that moment, so one person's addition never undoes a colleague's.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from gateway_service.auth.identity import Identity, PageUser
from gateway_service.pages.activity import activity
from gateway_service.pages.common import (
    CHOICES_LIMIT,
    Reply,
    api,
    fetch,
    fetch_items,
    is_manager,
    parse_id,
    read_form,
    redirect,
    refusal_errors,
    user_names,
)
from gateway_service.pages.events import active_people
from gateway_service.pages.tasks import TASKS_PAGE
from gateway_service.web import render
from obcms_platform.vocabulary import TeamRole

TEAMS_PAGE = "/oobc-management/staff/teams/"
TEAM_PAGE = TEAMS_PAGE + "{team_id}/"
# The form's inputs of the service's fields (its refusals go beside them).
TEAM_INPUTS = {"name": "name", "slug": "name", "description": "description"}
MEMBER_INPUTS = {"members": "user_id", "user_id": "user_id", "role": "role"}
# What `?saved=` says on a team's page, by what was done to a member.
MEMBER_SAVED = {"add": "Member added", "role": "Role changed", "remove": "Member removed"}

router = APIRouter(include_in_schema=False)


def team_url(team_id: str, **query: str) -> str:
    params = "&".join(f"{name}={value}" for name, value in query.items())
    return TEAM_PAGE.format(team_id=team_id) + (f"?{params}" if params else "")


def members_in_order(team: dict[str, Any], names: dict[str, str]) -> list[dict[str, str]]:
    """The members as a page lists them: leads first, then by name."""
    members = [
        {"id": str(m["user_id"]), "role": m["role"], "name": names.get(str(m["user_id"]), "")}
        for m in team["members"]
    ]
    return sorted(members, key=lambda m: (m["role"] != TeamRole.LEAD, m["name"].casefold()))


def may_change(user: Identity, team: dict[str, Any]) -> bool:
    """A manager, or one of the team's leads (the tasks service's rule `team.update`)."""
    leads = {str(m["user_id"]) for m in team["members"] if m["role"] == TeamRole.LEAD}
    return is_manager(user) or str(user.id) in leads


# --- the teams ---------------------------------------------------------------------------------


async def _teams_page(
    request: Request,
    user: Identity,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    general: str | None = None,
    status: int = 200,
) -> Response:
    teams = await fetch_items(request, user, "tasks", "/teams")
    names = await user_names(request, [m["user_id"] for t in teams for m in t["members"]])
    listed = [
        {**team, "ordered": members_in_order(team, names)}
        for team in sorted(teams, key=lambda t: (not t["is_active"], t["name"].casefold()))
    ]
    return render(
        request,
        "teams.html",
        {
            "teams": listed,
            "may_create": is_manager(user),
            "form": form or {},
            "errors": errors or {},
            "general_error": general,
            "tasks_page": TASKS_PAGE,
            "saved_subject": "Team",
        },
        status_code=status,
    )


@router.get(TEAMS_PAGE)
async def teams_page(request: Request, user: PageUser) -> Response:
    return await _teams_page(request, user)


@router.post(TEAMS_PAGE + "create/")
async def team_create(request: Request, user: PageUser) -> Response:
    form, _ = await read_form(request)
    if not form.get("name"):
        return await _teams_page(
            request, user, form=form, errors={"name": "Give the team a name"}, status=422
        )
    body: dict[str, Any] = {"name": form["name"], "description": form.get("description", "")}
    # Whoever makes a team leads it, unless they make it for others.
    if form.get("lead"):
        body["members"] = [{"user_id": str(user.id), "role": TeamRole.LEAD}]
    reply = await api(request, user, "tasks", "POST", "/teams", json=body)
    if reply.ok:
        return redirect(team_url(str(reply.body["id"]), saved="created"))
    errors, general = _team_refusal(reply)
    return await _teams_page(
        request, user, form=form, errors=errors, general=general, status=reply.status
    )


def _team_refusal(reply: Reply) -> tuple[dict[str, str], str | None]:
    if reply.status == 409:  # the name (or the slug made of it) is taken
        return {"name": "Another team has this name already: choose another"}, None
    return refusal_errors(reply, TEAM_INPUTS)


# --- a team -------------------------------------------------------------------------------------


async def _team_page(
    request: Request,
    user: Identity,
    team_id: str,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    general: str | None = None,
    section: str = "",
    status: int = 200,
) -> Response:
    team, people, (changes, change_count) = await asyncio.gather(
        fetch(request, user, "tasks", f"/teams/{team_id}"),
        active_people(request, limit=CHOICES_LIMIT),
        activity(request, user, "tasks", f"/teams/{team_id}"),
    )
    names = await user_names(request, [m["user_id"] for m in team["members"]])
    members = members_in_order(team, names)
    in_team = {m["id"] for m in members}
    saved = request.query_params.get("saved", "")
    return render(
        request,
        "team_detail.html",
        {
            "team": team,
            "members": members,
            "candidates": [p for p in people if p["id"] not in in_team],
            "may_change": may_change(user, team),
            "roles": [role.value for role in TeamRole],
            "form": form or {},
            "errors": errors or {},
            "general_error": general,
            "section": section,
            "activity": changes,
            "activity_total": change_count,
            "tasks_url": f"{TASKS_PAGE}?team={team_id}",
            "notice": MEMBER_SAVED.get(saved),
            "saved_subject": "Team",
        },
        status_code=status,
    )


@router.get(TEAM_PAGE)
async def team_detail(request: Request, user: PageUser, team_id: str) -> Response:
    return await _team_page(request, user, parse_id(team_id, "team"))


@router.post(TEAM_PAGE + "edit/")
async def team_edit(request: Request, user: PageUser, team_id: str) -> Response:
    team_id = parse_id(team_id, "team")
    form, _ = await read_form(request)
    if not form.get("name"):
        errors = {"name": "Give the team a name"}
        return await _team_page(
            request, user, team_id, form=form, errors=errors, section="edit", status=422
        )
    body = {
        "name": form["name"],
        "description": form.get("description", ""),
        "is_active": not form.get("inactive"),
    }
    reply = await api(request, user, "tasks", "PATCH", f"/teams/{team_id}", json=body)
    if reply.ok:
        return redirect(team_url(team_id, saved="saved"))
    errors, general = _team_refusal(reply)
    return await _team_page(
        request,
        user,
        team_id,
        form=form,
        errors=errors,
        general=general,
        section="edit",
        status=reply.status,
    )


@router.post(TEAM_PAGE + "members/")
async def team_members(request: Request, user: PageUser, team_id: str) -> Response:
    """Add a person, change a member's role or remove them (``action``), on the members as
    the service has them now."""
    team_id = parse_id(team_id, "team")
    form, _ = await read_form(request)
    action, person, role = form.get("action", ""), form.get("user_id", ""), form.get("role", "")
    team = await fetch(request, user, "tasks", f"/teams/{team_id}")
    members = {str(m["user_id"]): m["role"] for m in team["members"]}
    problem = _member_problem(action, person, role, members)
    if problem is not None:
        field, message = problem
        return await _team_page(
            request,
            user,
            team_id,
            form=form,
            errors={field: message},
            section="members",
            status=422,
        )
    if action == "remove":
        members.pop(person)
    else:
        members[person] = role
    body = {"members": [{"user_id": member, "role": r} for member, r in members.items()]}
    reply = await api(request, user, "tasks", "PUT", f"/teams/{team_id}/members", json=body)
    if reply.ok:
        return redirect(team_url(team_id, saved=action))
    errors, general = refusal_errors(reply, MEMBER_INPUTS)
    return await _team_page(
        request,
        user,
        team_id,
        form=form,
        errors=errors,
        general=general,
        section="members",
        status=reply.status,
    )


def _member_problem(
    action: str, person: str, role: str, members: dict[str, str]
) -> tuple[str, str] | None:
    """Why the members' form cannot be done: (the input it is about, in words)."""
    if action not in MEMBER_SAVED:
        return "user_id", "Choose what to do: add, change the role or remove"
    if not person:
        return "user_id", "Choose a person"
    if action == "add" and person in members:
        return "user_id", "This person is in the team already"
    if action in ("role", "remove") and person not in members:
        return "user_id", "This person is no longer in the team: reload the page"
    if action != "remove" and role not in {r.value for r in TeamRole}:
        return "role", "Choose a role: lead, coordinator or member"
    return None
