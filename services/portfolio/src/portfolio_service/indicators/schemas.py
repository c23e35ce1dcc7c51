"""Indicator and actual request and response schemas."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import Field

from obcms_platform.schemas import (
    Note,
    PlausibleDate,
    RequestModel,
    ResponseModel,
    TextWithoutNul,
    Title,
    UpdateModel,
)
from portfolio_service.fields import Measure, Measured
from portfolio_service.indicators.models import IndicatorKind, IndicatorStatus

Unit = Annotated[TextWithoutNul, Field(max_length=50, description="e.g. households, %, km")]


class IndicatorCreate(RequestModel):
    """A target below the baseline makes a decreasing indicator."""

    name: Title
    kind: IndicatorKind
    unit: Unit = ""
    baseline: Measure
    target: Measure
    target_date: PlausibleDate


class IndicatorUpdate(UpdateModel):
    """Partial update: only the fields present change; none of them may be null."""

    name: Title | None = None
    kind: IndicatorKind | None = None
    unit: Unit | None = None
    baseline: Measure | None = None
    target: Measure | None = None
    target_date: PlausibleDate | None = None


class ActualCreate(RequestModel):
    period_end: PlausibleDate = Field(description="the last day of the period measured")
    value: Measure
    note: Note = ""


class ActualRead(ResponseModel):
    id: uuid.UUID
    indicator_id: uuid.UUID
    period_end: dt.date
    value: Measured
    note: str
    recorded_by: uuid.UUID | None
    created_at: dt.datetime


class IndicatorRead(ResponseModel):
    """`attainment`: (latest actual - baseline) / (target - baseline) x 100, one decimal; below
    0 the indicator moved away from its target, above 100 past it. Null, with `status`
    no_data and the reason in `attainment_note`, before the first actual or when the target
    equals the baseline. `expected`: the share (%) of the indicator's period (from the PPA's
    start date, else the day the indicator was added, to its target date) elapsed at the
    latest actual's period end; on_track when the attainment reaches it, else behind."""

    id: uuid.UUID
    ppa_id: uuid.UUID
    name: str
    kind: IndicatorKind
    unit: str
    baseline: Measured
    target: Measured
    target_date: dt.date
    latest_actual: ActualRead | None
    attainment: float | None
    expected: float | None
    status: IndicatorStatus
    attainment_note: str | None
    actuals: list[ActualRead]
    created_by: uuid.UUID | None
    updated_by: uuid.UUID | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
