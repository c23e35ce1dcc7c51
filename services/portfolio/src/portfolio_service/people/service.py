"""The names the portfolio's exports write for people."""

from __future__ import annotations

from sqlalchemy.orm import Session

from obcms_platform.exports import Names
from obcms_platform.people import names
from portfolio_service.people.models import Person


def directory(session: Session) -> Names:
    """Every person the portfolio has heard of, by user id."""
    return names(session, Person)
