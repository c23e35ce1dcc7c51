"""A person's choices: a channel per kind (only those differing from the default are
stored), the daily digest's time, quiet hours and how long before an event to be reminded."""

from __future__ import annotations

import uuid
from datetime import time

from sqlalchemy import ForeignKey, Integer, Time, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from notifications_service.db import Base
from notifications_service.kinds import Channel, Kind
from obcms_platform.db import Timestamped, enum_column

DEFAULT_DIGEST_TIME = time(7, 30)
DEFAULT_EVENT_LEAD_MINUTES = 30


class DeliverySettings(Timestamped, Base):
    __tablename__ = "delivery_settings"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    digest_time: Mapped[time] = mapped_column(Time, default=DEFAULT_DIGEST_TIME)
    # Emails due inside quiet hours wait for their end (local time; may span midnight).
    quiet_start: Mapped[time | None] = mapped_column(Time)
    quiet_end: Mapped[time | None] = mapped_column(Time)
    event_lead_minutes: Mapped[int] = mapped_column(Integer, default=DEFAULT_EVENT_LEAD_MINUTES)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class KindPreference(Base):
    __tablename__ = "kind_preferences"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("delivery_settings.user_id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[Kind] = mapped_column(enum_column(Kind, "kind"), primary_key=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "channel"))
