"""Teams and their members; tasks can be assigned to a team as a whole."""

from __future__ import annotations

import uuid

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from obcms_platform.columns import Identified
from obcms_platform.db import Timestamped, enum_column
from obcms_platform.vocabulary import TeamRole as TeamRole
from tasks_service.db import Base, history


class Team(Identified, Timestamped, Base):
    __tablename__ = "teams"

    name: Mapped[str] = mapped_column(String(150))
    slug: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    members: Mapped[list[TeamMember]] = relationship(
        back_populates="team",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="TeamMember.user_id",
    )

    # Case-insensitive: "Field Ops" and "field ops" are the same team.
    __table_args__ = (
        Index("uq_teams__name", func.lower(name), unique=True),
        Index("uq_teams__slug", func.lower(slug), unique=True),
    )


class TeamMember(Base):
    __tablename__ = "team_members"

    team_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    role: Mapped[TeamRole] = mapped_column(enum_column(TeamRole, "role"), default=TeamRole.MEMBER)

    team: Mapped[Team] = relationship(back_populates="members")

    __table_args__ = (Index("ix_team_members__user_id", "user_id"),)


# A team's own fields; its members, replaced as a whole, are recorded by `replace_members`.
history.keep(Team, "team")
