"""Team domain logic. Functions take a session and never commit."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from obcms_platform.errors import ConflictError, InvalidInputError
from obcms_platform.history import RecordChange
from obcms_platform.pagination import PageParams, paginate
from obcms_platform.records import apply_changes, get_or_404, insert_row
from tasks_service.db import history
from tasks_service.teams.models import Team, TeamMember
from tasks_service.teams.schemas import TeamCreate, TeamMemberIn, TeamUpdate


def slugify(name: str) -> str:
    # "Équipe" -> "equipe": drop accents rather than the accented letters.
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:160].rstrip("-") or "team"


def _free_slug(session: Session, base: str) -> str:
    """A derived slug the caller never chose must not make creation fail: add -2, -3, ..."""
    slug, number = base, 2
    while session.scalar(select(Team.id).where(func.lower(Team.slug) == slug)) is not None:
        suffix = f"-{number}"
        slug = base[: 160 - len(suffix)].rstrip("-") + suffix
        number += 1
    return slug


def get_team(session: Session, team_id: uuid.UUID) -> Team:
    return get_or_404(session, Team, team_id, what="team")


def list_teams(
    session: Session, page: PageParams, *, member: uuid.UUID | None, active: bool | None
) -> tuple[list[Team], int]:
    statement = select(Team).order_by(Team.name)
    if member is not None:
        statement = statement.where(
            Team.id.in_(select(TeamMember.team_id).where(TeamMember.user_id == member))
        )
    if active is not None:
        statement = statement.where(Team.is_active.is_(active))
    return paginate(session, statement, page)


def create_team(session: Session, data: TeamCreate) -> Team:
    team = Team(
        name=data.name,
        slug=data.slug or _free_slug(session, slugify(data.name)),
        description=data.description,
        is_active=data.is_active,
    )
    _ensure_unique(session, team)
    team.members = _members(data.members)
    insert_row(session, team)
    return team


def update_team(session: Session, team_id: uuid.UUID, changes: TeamUpdate) -> Team:
    team = get_or_404(session, Team, team_id, what="team", for_update=True)
    apply_changes(team, changes.changes())
    _ensure_unique(session, team)
    session.flush()
    return team


def replace_members(session: Session, team_id: uuid.UUID, members: Sequence[TeamMemberIn]) -> Team:
    team = get_or_404(session, Team, team_id, what="team", for_update=True)
    before = _roster(team)
    team.members.clear()
    session.flush()
    team.members.extend(_members(members))
    session.flush()
    session.refresh(team)
    after = _roster(team)
    if after != before:
        history.add(session, Team, [RecordChange(team.id, None, {"members": (before, after)})])
    return team


def _roster(team: Team) -> list[dict[str, str]]:
    """The team's members as its history records them: each person and role, by id."""
    return [{"user_id": str(member.user_id), "role": member.role.value} for member in team.members]


# Built once: "my tasks" asks it on every list request, where building the statement and
# running it through the ORM cost more than the round trip. Core columns, run on the session's
# connection (a membership is no record to load; nothing pending need be flushed for it).
_MEMBERSHIPS = TeamMember.__table__.c
TEAM_IDS_OF_USER = select(_MEMBERSHIPS.team_id).where(_MEMBERSHIPS.user_id == bindparam("user_id"))


def team_ids_of_user(session: Session, user_id: uuid.UUID) -> list[uuid.UUID]:
    return list(session.connection().scalars(TEAM_IDS_OF_USER, {"user_id": user_id}))


def existing_team_ids(session: Session, team_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    return set(session.scalars(select(Team.id).where(Team.id.in_(list(team_ids)))))


def _members(members: Sequence[TeamMemberIn]) -> list[TeamMember]:
    seen: set[uuid.UUID] = set()
    result = []
    for index, member in enumerate(members):
        if member.user_id in seen:
            raise InvalidInputError(
                f"members[{index}].user_id: {member.user_id} is listed twice",
                field=f"members[{index}].user_id",
            )
        seen.add(member.user_id)
        result.append(TeamMember(user_id=member.user_id, role=member.role))
    return result


def _ensure_unique(session: Session, team: Team) -> None:
    """Friendly 409s; the unique constraints still decide under concurrency.

    One statement (one snapshot) checks both, so a team committed between two checks cannot
    make a duplicate name be reported as a slug clash; the name is reported first.
    """
    name_clash = func.lower(Team.name) == team.name.lower()
    slug_clash = func.lower(Team.slug) == team.slug.lower()
    with session.no_autoflush:
        clashes = session.execute(
            select(name_clash, slug_clash).where(or_(name_clash, slug_clash), Team.id != team.id)
        ).all()
    if any(row[0] for row in clashes):
        raise ConflictError(f"name: a team named {team.name!r} already exists", field="name")
    if any(row[1] for row in clashes):
        raise ConflictError(f"slug: a team with slug {team.slug!r} already exists", field="slug")
