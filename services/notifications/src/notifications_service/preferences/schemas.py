"""Preferences as the API reads and takes them."""

from __future__ import annotations

from datetime import time
from typing import ClassVar

from pydantic import BaseModel, Field

from notifications_service.kinds import Channel, Kind
from obcms_platform.schemas import LocalTime, ResponseModel, UpdateModel


class KindChoice(BaseModel):
    kind: Kind
    label: str
    channel: Channel
    default: Channel


class PreferencesRead(ResponseModel):
    digest_time: time
    quiet_start: time | None
    quiet_end: time | None
    event_lead_minutes: int
    kinds: list[KindChoice]
    version: int


class PreferencesUpdate(UpdateModel):
    clearable: ClassVar[frozenset[str]] = frozenset({"quiet_start", "quiet_end"})

    digest_time: LocalTime | None = None
    quiet_start: LocalTime | None = None
    quiet_end: LocalTime | None = None
    event_lead_minutes: int | None = Field(default=None, ge=0, le=7 * 24 * 60)
    channels: dict[Kind, Channel] | None = None
