"""Who may change what in the tasks service (the rules of `obcms_platform.authz`).

A task is worked by its assignees, the members of its teams and, for a task of a PPA, the
PPA's owners (the `ppa_owners` projection). Its creator owns it too, unless it belongs to a
PPA they do not own: completing tasks is how a PPA's progress moves, so nobody fakes another
person's progress. A task nobody owns (generated, unassigned) is managers' work until it is
assigned. Deleting takes the creator (or, for a PPA's task, its owners) or a manager. A team
is changed by its lead or a manager; templates are managers' work.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from obcms_platform.auth import Role
from obcms_platform.authz import Ownership, Rule
from obcms_platform.errors import NotFoundError
from tasks_service.ppa_owners.service import owners_of
from tasks_service.tasks.models import Task
from tasks_service.teams.models import Team, TeamMember, TeamRole


def _task(session: Session, params: Mapping[str, Any]) -> Task:
    task_id = uuid.UUID(str(params["task_id"]))
    task = session.get(Task, task_id)
    if task is None:
        raise NotFoundError("task", task_id)
    return task


def _creator_unless_foreign_ppa(task: Task, ppa_owners: frozenset[uuid.UUID]) -> uuid.UUID | None:
    if task.related_ppa_id is None or task.created_by in ppa_owners:
        return task.created_by
    return None


def task_workers(session: Session, task: Task) -> Ownership:
    """Who may work (change, complete) `task`."""
    ppa_owners = owners_of(session, task.related_ppa_id)
    team_members = (
        session.scalars(
            select(TeamMember.user_id).where(TeamMember.team_id.in_(task.team_ids))
        ).all()
        if task.team_ids
        else []
    )
    return Ownership.of(
        _creator_unless_foreign_ppa(task, ppa_owners), task.assignee_ids, team_members, ppa_owners
    )


def _task_workers(session: Session, params: Mapping[str, Any]) -> Ownership:
    return task_workers(session, _task(session, params))


def _task_keepers(session: Session, params: Mapping[str, Any]) -> Ownership:
    task = _task(session, params)
    ppa_owners = owners_of(session, task.related_ppa_id)
    return Ownership.of(_creator_unless_foreign_ppa(task, ppa_owners), ppa_owners)


def _team_leads(session: Session, params: Mapping[str, Any]) -> Ownership:
    team_id = uuid.UUID(str(params["team_id"]))
    if session.get(Team, team_id) is None:
        raise NotFoundError("team", team_id)
    leads = session.scalars(
        select(TeamMember.user_id).where(
            TeamMember.team_id == team_id, TeamMember.role == TeamRole.LEAD
        )
    ).all()
    return Ownership.of(leads)


def ppa_owners(session: Session, ppa_id: uuid.UUID) -> Ownership:
    return Ownership.of(owners_of(session, ppa_id))


TASK_CREATE = Rule("task.create", "Create a task", role=Role.STAFF)
TASK_UPDATE = Rule(
    "task.update",
    "Change or complete a task",
    owners=True,
    loader=_task_workers,
    owners_are="its assignees, its teams' members, its PPA's owners; its creator unless the "
    "task is of a PPA the creator does not own",
)
TASK_DELETE = Rule(
    "task.delete",
    "Delete a task",
    owners=True,
    loader=_task_keepers,
    owners_are="its PPA's owners; its creator unless the task is of a PPA the creator does not own",
)
# Linking a task to a PPA counts towards the PPA's progress: its owners' or a manager's call.
TASK_LINK_PPA = Rule(
    "task.link_ppa",
    "Link a task to a PPA",
    owners=True,
    owners_are="the PPA's owners (as the portfolio announced them)",
)
TEAM_CREATE = Rule("team.create", "Create a team")
TEAM_UPDATE = Rule(
    "team.update",
    "Change a team or its members",
    owners=True,
    loader=_team_leads,
    owners_are="its leads",
)
TEMPLATE_WRITE = Rule("template.write", "Create, change or delete a task template")
TEMPLATE_GENERATE = Rule("template.generate", "Generate a template's tasks for a record")

RULES = (
    TASK_CREATE,
    TASK_UPDATE,
    TASK_DELETE,
    TASK_LINK_PPA,
    TEAM_CREATE,
    TEAM_UPDATE,
    TEMPLATE_WRITE,
    TEMPLATE_GENERATE,
)
