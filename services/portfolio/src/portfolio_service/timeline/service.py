"""The portfolio timeline: the PPAs the list's filters select, with their milestones and
budget workflow stages, grouped by sector or status, in four queries however many PPAs.

At most `TIMELINE_LIMIT` PPAs (in the list's order) are drawn: a chart of more rows is not
readable, and the answer says how many the filters select so the page can say to narrow
them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload

from obcms_platform.auth import Principal
from obcms_platform.vocabulary import UNSPECIFIED_SECTOR
from portfolio_service.authz import MILESTONE_WRITE, ppa_ownership
from portfolio_service.ppas.models import Ppa, PpaStatus, Sector
from portfolio_service.ppas.service import filtered_ppas
from portfolio_service.timeline.schemas import (
    Timeline,
    TimelineFilters,
    TimelineGroup,
    TimelineGrouping,
    TimelineMilestone,
    TimelinePpa,
    TimelineStage,
)
from portfolio_service.workflow.models import WorkflowStage

TIMELINE_LIMIT = 200


def portfolio_timeline(
    session: Session, filters: TimelineFilters, principal: Principal
) -> Timeline:
    selected = filtered_ppas(session, filters)
    total = session.scalar(select(func.count()).select_from(selected.order_by(None).subquery()))
    ppas = session.scalars(
        selected.options(lazyload(Ppa.approval_history), lazyload(Ppa.need_links)).limit(
            TIMELINE_LIMIT
        )
    ).all()
    stages = _stages_by_ppa(session, [ppa.id for ppa in ppas])
    rows = [_row(ppa, stages[ppa.id], principal) for ppa in ppas]
    return Timeline(
        group_by=filters.group_by,
        groups=_groups(rows, filters.group_by),
        total=int(total or 0),
        shown=len(rows),
        limit=TIMELINE_LIMIT,
    )


def _stages_by_ppa(
    session: Session, ppa_ids: Sequence[uuid.UUID]
) -> defaultdict[uuid.UUID, list[WorkflowStage]]:
    found: defaultdict[uuid.UUID, list[WorkflowStage]] = defaultdict(list)
    if ppa_ids:
        statement = (
            select(WorkflowStage)
            .where(WorkflowStage.ppa_id.in_(ppa_ids))
            .order_by(WorkflowStage.ppa_id, WorkflowStage.sequence)
        )
        for stage in session.scalars(statement):
            found[stage.ppa_id].append(stage)
    return found


def _row(ppa: Ppa, stages: list[WorkflowStage], principal: Principal) -> TimelinePpa:
    return TimelinePpa(
        id=ppa.id,
        title=ppa.title,
        status=ppa.status,
        sector=ppa.sector,
        start_date=ppa.start_date,
        target_end_date=ppa.target_end_date,
        progress=ppa.progress,
        tasks_linked=ppa.tasks_linked,
        milestones_editable=MILESTONE_WRITE.allows(principal, ppa_ownership(ppa)),
        milestones=[TimelineMilestone.model_validate(each) for each in ppa.milestones],
        stages=[TimelineStage.model_validate(stage) for stage in stages],
    )


def _groups(rows: list[TimelinePpa], group_by: TimelineGrouping) -> list[TimelineGroup]:
    """Groups in the vocabulary's order (PPAs without a sector last), empty ones left out;
    within a group, PPAs by start date (undated last), then title."""
    order: list[str]
    if group_by is TimelineGrouping.SECTOR:
        order = [sector.value for sector in Sector] + [UNSPECIFIED_SECTOR]
    else:
        order = [status.value for status in PpaStatus]
    members: defaultdict[str, list[TimelinePpa]] = defaultdict(list)
    for row in rows:
        if group_by is TimelineGrouping.SECTOR:
            key = row.sector.value if row.sector else UNSPECIFIED_SECTOR
        else:
            key = row.status.value
        members[key].append(row)
    return [
        TimelineGroup(
            key=key,
            ppas=sorted(
                members[key], key=lambda row: (row.start_date or date.max, row.title, row.id)
            ),
        )
        for key in order
        if members[key]
    ]
