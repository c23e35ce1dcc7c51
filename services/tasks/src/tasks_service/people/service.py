"""The names the task exports write for people, teams and PPAs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from obcms_platform.exports import Names
from obcms_platform.people import names
from tasks_service.people.models import Person
from tasks_service.ppa_owners.service import titles
from tasks_service.teams.models import Team


def directory(session: Session) -> Names:
    """Every person the service has heard of, every team and every PPA announced with its
    title, by id."""
    teams = {team_id: name for team_id, name in session.execute(select(Team.id, Team.name))}
    return {**names(session, Person), **teams, **titles(session)}
