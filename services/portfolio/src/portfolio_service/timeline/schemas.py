"""Portfolio timeline schemas: PPAs with their milestones and budget workflow stages, in
groups, for one Gantt chart."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from obcms_platform.schemas import ResponseModel
from portfolio_service.milestones.models import MilestoneStatus
from portfolio_service.ppas.models import PpaStatus, Sector
from portfolio_service.ppas.schemas import PpaFilters
from portfolio_service.workflow.models import BudgetStage, StageStatus


class TimelineGrouping(StrEnum):
    SECTOR = "sector"
    STATUS = "status"


class TimelineFilters(PpaFilters):
    """The PPA list's filters, and how the rows are grouped."""

    group_by: TimelineGrouping = TimelineGrouping.SECTOR


class TimelineMilestone(ResponseModel):
    id: uuid.UUID
    title: str
    date: dt.date
    status: MilestoneStatus
    version: int


class TimelineStage(ResponseModel):
    id: uuid.UUID
    stage: BudgetStage
    sequence: int
    status: StageStatus
    due_date: dt.date | None


class TimelinePpa(ResponseModel):
    id: uuid.UUID
    title: str
    status: PpaStatus
    sector: Sector | None
    start_date: dt.date | None
    target_end_date: dt.date | None
    progress: int
    # How many tasks `progress` counts (none: it measures nothing).
    tasks_linked: int
    # Whether the caller may move its milestones (the `milestone.write` rule): the chart
    # offers drag handles on those only.
    milestones_editable: bool
    milestones: list[TimelineMilestone]
    stages: list[TimelineStage]


class TimelineGroup(ResponseModel):
    """The PPAs of one sector or status (`key`: its code; ``unspecified``: no sector)."""

    key: str
    ppas: list[TimelinePpa]


class Timeline(ResponseModel):
    group_by: TimelineGrouping
    groups: list[TimelineGroup]
    # PPAs the filters select, and how many of them the groups hold (at most `limit`).
    total: int
    shown: int
    limit: int
