"""The gateway's accounts as ``user.changed`` announced them (never edited here)."""

from __future__ import annotations

from obcms_platform.people import PersonColumns
from portfolio_service.db import Base


class Person(PersonColumns, Base):
    __tablename__ = "people"
