"""Who may change what in the tasks service (the rules of `obcms_platform.authz`).

A task is worked by its assignees, the members of its teams and, for a task of a PPA, the
PPA's owners (the `ppa_owners` projection). Its creator owns it too, unless it belongs to a
PPA they do not own: completing tasks is how a PPA's progress moves, so nobody fakes another
person's progress. A task nobody owns (generated, unassigned) is managers' work until it is
assigned. Deleting takes the creator (or, for a PPA's task, its owners) or a manager. A file
attached to a task is deleted by its uploader, the task's workers or a manager. A team is
changed by its lead or a manager; templates are managers' work.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from sqlalchemy import (
    ARRAY,
    CompoundSelect,
    Uuid,
    any_,
    bindparam,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from obcms_platform.attachments import attachment_rules
from obcms_platform.auth import Role
from obcms_platform.authz import Ownership, Rule
from obcms_platform.comments import CommentRules
from obcms_platform.export_jobs import export_job_rules
from obcms_platform.records import get_or_404
from tasks_service.attachments.models import TASK_FILES
from tasks_service.comments.models import Comment
from tasks_service.exports.models import ExportJob
from tasks_service.ppa_owners.models import PpaOwners
from tasks_service.ppa_owners.service import owners_of
from tasks_service.tasks.models import Task
from tasks_service.teams.models import Team, TeamMember, TeamRole


def _task(session: Session, params: Mapping[str, Any]) -> Task:
    task_id = uuid.UUID(str(params["task_id"]))
    return get_or_404(session, Task, task_id, what="task")


class TaskPeople(Protocol):
    """What of a task names the people around it (a `Task`, or a row of these columns)."""

    @property
    def created_by(self) -> uuid.UUID | None: ...
    @property
    def related_ppa_id(self) -> uuid.UUID | None: ...
    @property
    def assignee_ids(self) -> Sequence[uuid.UUID]: ...
    @property
    def team_ids(self) -> Sequence[uuid.UUID]: ...


# The kinds of group `_groups_statement` reads.
_TEAM = "team"
_PPA = "ppa"


@cache
def _groups_statement() -> CompoundSelect[str, uuid.UUID, list[uuid.UUID]]:
    """The members of each team of the array ``team_ids`` and the owners (the projection) of
    each PPA of the array ``ppa_ids``, as (kind, group, user ids): one statement, built once,
    however many teams and PPAs (a year's feed names hundreds)."""
    members = (
        select(
            literal(_TEAM).label("kind"),
            TeamMember.team_id.label("group_id"),
            func.array_agg(TeamMember.user_id).label("user_ids"),
        )
        .where(TeamMember.team_id == any_(bindparam("team_ids", type_=ARRAY(Uuid))))
        .group_by(TeamMember.team_id)
    )
    owners = select(literal(_PPA), PpaOwners.ppa_id, PpaOwners.owner_ids).where(
        PpaOwners.ppa_id == any_(bindparam("ppa_ids", type_=ARRAY(Uuid)))
    )
    return union_all(members, owners)


@dataclass(frozen=True)
class TaskGroups:
    """The groups some tasks name: their teams' members and their PPAs' owners (PPAs unknown
    here, not announced or deleted, have none), read in one query however many tasks there
    are (the feed asks for a window's worth)."""

    team_members: Mapping[uuid.UUID, frozenset[uuid.UUID]]
    ppa_owners: Mapping[uuid.UUID, frozenset[uuid.UUID]]

    @classmethod
    def load(
        cls, session: Session, team_ids: Collection[uuid.UUID], ppa_ids: Collection[uuid.UUID]
    ) -> TaskGroups:
        groups: dict[str, dict[uuid.UUID, frozenset[uuid.UUID]]] = {_TEAM: {}, _PPA: {}}
        if team_ids or ppa_ids:
            rows = session.execute(
                _groups_statement(), {"team_ids": list(team_ids), "ppa_ids": list(ppa_ids)}
            )
            for kind, group_id, user_ids in rows:
                groups[kind][group_id] = frozenset(user_ids)
        return cls(groups[_TEAM], groups[_PPA])

    def members_of(self, team_ids: Iterable[uuid.UUID]) -> frozenset[uuid.UUID]:
        return frozenset().union(*(self.team_members.get(team, ()) for team in team_ids))

    def workers(self, task: TaskPeople) -> Ownership:
        """Who may work (change, complete) `task`."""
        ppa = task.related_ppa_id
        ppa_owners = frozenset() if ppa is None else self.ppa_owners.get(ppa, frozenset())
        return Ownership.of(
            _creator_unless_foreign_ppa(task, ppa_owners),
            task.assignee_ids,
            self.members_of(task.team_ids),
            ppa_owners,
        )


def _creator_unless_foreign_ppa(
    task: TaskPeople, ppa_owners: frozenset[uuid.UUID]
) -> uuid.UUID | None:
    if task.related_ppa_id is None or task.created_by in ppa_owners:
        return task.created_by
    return None


def task_workers(session: Session, task: Task) -> Ownership:
    """Who may work (change, complete) `task`."""
    ppa_ids = [] if task.related_ppa_id is None else [task.related_ppa_id]
    return TaskGroups.load(session, task.team_ids, ppa_ids).workers(task)


def _task_workers(session: Session, params: Mapping[str, Any]) -> Ownership:
    return task_workers(session, _task(session, params))


def _task_keepers(session: Session, params: Mapping[str, Any]) -> Ownership:
    task = _task(session, params)
    ppa_owners = owners_of(session, task.related_ppa_id)
    return Ownership.of(_creator_unless_foreign_ppa(task, ppa_owners), ppa_owners)


def _team_leads(session: Session, params: Mapping[str, Any]) -> Ownership:
    team_id = uuid.UUID(str(params["team_id"]))
    get_or_404(session, Team, team_id, what="team")
    leads = session.scalars(
        select(TeamMember.user_id).where(
            TeamMember.team_id == team_id, TeamMember.role == TeamRole.LEAD
        )
    ).all()
    return Ownership.of(leads)


def ppa_owners(session: Session, ppa_id: uuid.UUID) -> Ownership:
    return Ownership.of(owners_of(session, ppa_id))


TASK_CREATE = Rule("task.create", "Create a task", role=Role.STAFF)
TASK_UPDATE = Rule.owned(
    "task.update",
    "Change or complete a task",
    loader=_task_workers,
    owners_are="its assignees, its teams' members, its PPA's owners; its creator unless the "
    "task is of a PPA the creator does not own",
)
# The route's rule; each task of the batch is then checked against `task.update`.
TASK_BULK_UPDATE = Rule(
    "task.bulk_update",
    "Change several tasks at once (each task as `task.update` allows)",
    role=Role.STAFF,
)
TASK_DELETE = Rule.owned(
    "task.delete",
    "Delete a task",
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
TEAM_UPDATE = Rule.owned(
    "team.update", "Change a team or its members", loader=_team_leads, owners_are="its leads"
)
# Attaching takes reading the task; deleting a file takes its uploader, the task's workers or
# a manager.
TASK_ATTACHMENTS = attachment_rules(
    TASK_FILES,
    owners=_task_workers,
    owners_are=TASK_UPDATE.owners_are,
)
TEMPLATE_WRITE = Rule("template.write", "Create, change or delete a task template")
TEMPLATE_GENERATE = Rule("template.generate", "Generate a template's tasks for a record")
COMMENT_RULES = CommentRules.of(Comment)
EXPORT_RULES = export_job_rules(ExportJob)

RULES = (
    TASK_CREATE,
    TASK_UPDATE,
    TASK_BULK_UPDATE,
    TASK_DELETE,
    TASK_LINK_PPA,
    TASK_ATTACHMENTS.upload,
    TASK_ATTACHMENTS.delete,
    TEAM_CREATE,
    TEAM_UPDATE,
    TEMPLATE_WRITE,
    TEMPLATE_GENERATE,
    *COMMENT_RULES.all,
    EXPORT_RULES.request,
    EXPORT_RULES.read,
)
