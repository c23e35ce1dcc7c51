"""Maintenance mode request and response schemas."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from obcms_platform.schemas import RequestModel


class MaintenanceUpdate(RequestModel):
    enabled: bool
    message: Annotated[str, Field(max_length=2000)] | None = None


class MaintenanceState(BaseModel):
    enabled: bool
    message: str
