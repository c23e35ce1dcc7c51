"""This service's calendar feed entries, all all-day (DOMAIN.md, "The calendar feed"):

- ``planning``: PPA start and target end dates (``planning-entry-<ppa>-start``,
  ``-target_end``), milestones (``planning-entry-<ppa>-milestone-<id>``, coloured by
  status) and budget workflow stages by due date (``planning-stage-<id>``);
- ``mana``: assessments' planned start and end dates (``mana-assessment-<id>-start|end``).

Every entry names who may change its record (``ownerIds``: the PPA's owners, or the
assessment's, per authz.py), on whose calendars it belongs (``peopleIds``: the PPA's lead and
members; the assessment's creator) and the record's ``version``; milestones, moved by drag,
also the ``apiUrl`` the move patches.

One query per kind (at most four), of the columns the entries show (not whole ORM objects:
a year's window holds thousands of rows), each on B-tree indexes of its date columns (a
``BitmapOr`` of the two indexes where an entry has two dates), whatever the number of rows.
A date is in a window when it is one of the window's office-local days.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from obcms_platform.app import API_PREFIX
from obcms_platform.feed import (
    ASSESSMENT_COLOUR,
    MILESTONE_COLOUR,
    MODULE_MANA,
    MODULE_PLANNING,
    PPA_COLOUR,
    WORKFLOW_STAGE_COLOUR,
    Entry,
    TimeWindow,
    all_day_entry,
    extended_props,
    user_ids,
)
from portfolio_service.assessments.models import Assessment
from portfolio_service.authz import (
    PPA_PEOPLE_COLUMNS,
    PpaPeople,
    assessment_ownership,
    ppa_ownership,
)
from portfolio_service.milestones.models import Milestone
from portfolio_service.ppas.models import Ppa
from portfolio_service.workflow.models import WorkflowStage

# The dates an entry is made of, with their id suffix and title suffix.
# A record's dates on the calendar: (its entry's dateType, its label, its column).
PPA_DATES = (("start", "start", "start_date"), ("target_end", "target end", "target_end_date"))
ASSESSMENT_DATES = (
    ("start", "start", "planned_start_date"),
    ("end", "end", "planned_end_date"),
)


def ppa_url(ppa_id: uuid.UUID) -> str:
    return f"/oobc-management/portfolio/ppas/{ppa_id}/"


def assessment_url(assessment_id: uuid.UUID) -> str:
    return f"/oobc-management/portfolio/assessments/{assessment_id}/"


def milestone_api_url(ppa_id: uuid.UUID, milestone_id: uuid.UUID) -> str:
    return f"{API_PREFIX}/ppas/{ppa_id}/milestones/{milestone_id}"


def _in(column: Any, first: date, last: date) -> Any:
    return column.between(first, last)


def _dates_within(
    days: tuple[date, date], row: Any, dates: Iterable[tuple[str, str, str]]
) -> Iterator[tuple[str, str, date]]:
    """The `dates` of `row` (key, label, column) set and within `days` (first, last), with
    their day."""
    first, last = days
    for key, label, column in dates:
        day = getattr(row, column)
        if day is not None and first <= day <= last:
            yield key, label, day


def ppa_facts(ppa: PpaPeople) -> dict[str, list[str]]:
    """Who may change a PPA's entries (its owners) and on whose calendars they belong (its
    lead and members)."""
    return {
        "ownerIds": user_ids(ppa_ownership(ppa).owners),
        "peopleIds": user_ids(ppa.lead_id, ppa.member_ids),
    }


def ppas_statement(window: TimeWindow) -> Select[*tuple[Any, ...]]:
    first, last = window.days()
    return select(
        Ppa.id,
        Ppa.title,
        Ppa.status,
        Ppa.category,
        Ppa.start_date,
        Ppa.target_end_date,
        Ppa.version,
        *PPA_PEOPLE_COLUMNS,
    ).where(or_(_in(Ppa.start_date, first, last), _in(Ppa.target_end_date, first, last)))


def milestones_statement(window: TimeWindow) -> Select[*tuple[Any, ...]]:
    first, last = window.days()
    return (
        select(
            Milestone.id,
            Milestone.ppa_id,
            Milestone.title,
            Milestone.date,
            Milestone.status,
            Milestone.notes,
            Milestone.version,
            Ppa.title.label("ppa_title"),
            *PPA_PEOPLE_COLUMNS,
        )
        .join(Ppa, Ppa.id == Milestone.ppa_id)
        .where(_in(Milestone.date, first, last))
    )


def stages_statement(window: TimeWindow) -> Select[*tuple[Any, ...]]:
    first, last = window.days()
    return (
        select(
            WorkflowStage.id,
            WorkflowStage.ppa_id,
            WorkflowStage.stage,
            WorkflowStage.status,
            WorkflowStage.due_date,
            WorkflowStage.owner_team_id,
            WorkflowStage.notes,
            WorkflowStage.version,
            Ppa.title.label("ppa_title"),
            *PPA_PEOPLE_COLUMNS,
        )
        .join(Ppa, Ppa.id == WorkflowStage.ppa_id)
        .where(WorkflowStage.due_date.is_not(None), _in(WorkflowStage.due_date, first, last))
    )


def assessments_statement(window: TimeWindow) -> Select[*tuple[Any, ...]]:
    first, last = window.days()
    return select(
        Assessment.id,
        Assessment.title,
        Assessment.description,
        Assessment.status,
        Assessment.primary_methodology,
        Assessment.assessment_level,
        Assessment.planned_start_date,
        Assessment.planned_end_date,
        Assessment.created_by,
        Assessment.version,
    ).where(
        or_(
            _in(Assessment.planned_start_date, first, last),
            _in(Assessment.planned_end_date, first, last),
        )
    )


def ppa_entries(session: Session, window: TimeWindow) -> Iterator[Entry]:
    days = window.days()
    for row in session.execute(ppas_statement(window)):
        for key, label, day in _dates_within(days, row, PPA_DATES):
            yield all_day_entry(
                f"planning-entry-{row.id}-{key}",
                f"{row.title} ({label})",
                day,
                PPA_COLOUR,
                extended_props(
                    MODULE_PLANNING,
                    "ppa",
                    row.id,
                    row.status.value,
                    ppa_url(row.id),
                    dateType=key,
                    ppaCategory=row.category.value,
                    **ppa_facts(row),
                    version=row.version,
                ),
            )


def milestone_entries(session: Session, window: TimeWindow) -> Iterator[Entry]:
    for milestone in session.execute(milestones_statement(window)):
        yield all_day_entry(
            f"planning-entry-{milestone.ppa_id}-milestone-{milestone.id}",
            f"{milestone.title} ({milestone.ppa_title})",
            milestone.date,
            MILESTONE_COLOUR,
            extended_props(
                MODULE_PLANNING,
                "milestone",
                milestone.ppa_id,
                milestone.status.value,
                ppa_url(milestone.ppa_id),
                milestoneId=str(milestone.id),
                **ppa_facts(milestone),
                version=milestone.version,
                apiUrl=milestone_api_url(milestone.ppa_id, milestone.id),
            ),
            description=milestone.notes,
        )


def stage_entries(session: Session, window: TimeWindow) -> Iterator[Entry]:
    for stage in session.execute(stages_statement(window)):
        assert stage.due_date is not None  # selected with one
        label = stage.stage.value.replace("_", " ").capitalize()
        yield all_day_entry(
            f"planning-stage-{stage.id}",
            f"{label} due ({stage.ppa_title})",
            stage.due_date,
            WORKFLOW_STAGE_COLOUR,
            extended_props(
                MODULE_PLANNING,
                "workflow_stage",
                stage.ppa_id,
                stage.status.value,
                ppa_url(stage.ppa_id),
                stageId=str(stage.id),
                stage=stage.stage.value,
                ownerTeamId=str(stage.owner_team_id) if stage.owner_team_id else None,
                **ppa_facts(stage),
                version=stage.version,
            ),
            description=stage.notes,
        )


def assessment_entries(session: Session, window: TimeWindow) -> Iterator[Entry]:
    days = window.days()
    for assessment in session.execute(assessments_statement(window)):
        for key, label, day in _dates_within(days, assessment, ASSESSMENT_DATES):
            yield all_day_entry(
                f"mana-assessment-{assessment.id}-{key}",
                f"{assessment.title} ({label})",
                day,
                ASSESSMENT_COLOUR,
                extended_props(
                    MODULE_MANA,
                    "assessment",
                    assessment.id,
                    assessment.status.value,
                    assessment_url(assessment.id),
                    dateType=key,
                    methodology=assessment.primary_methodology.value,
                    assessmentLevel=assessment.assessment_level.value,
                    # It records its creator only (no lead): theirs to change, on their calendar.
                    ownerIds=user_ids(assessment_ownership(assessment.created_by).owners),
                    peopleIds=user_ids(assessment.created_by),
                    version=assessment.version,
                ),
                description=assessment.description,
            )


def feed_entries(session: Session, window: TimeWindow, modules: Iterable[str]) -> list[Entry]:
    """The window's entries of the wanted modules (unsorted: `feed_response` sorts)."""
    wanted = set(modules)
    entries: list[Entry] = []
    if MODULE_PLANNING in wanted:
        entries.extend(ppa_entries(session, window))
        entries.extend(milestone_entries(session, window))
        entries.extend(stage_entries(session, window))
    if MODULE_MANA in wanted:
        entries.extend(assessment_entries(session, window))
    return entries
