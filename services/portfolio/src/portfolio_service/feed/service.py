"""This service's calendar feed entries, all all-day (DOMAIN.md, "The calendar feed"):

- ``planning``: PPA start and target end dates (``planning-entry-<ppa>-start``,
  ``-target_end``), milestones (``planning-entry-<ppa>-milestone-<id>``, coloured by
  status) and budget workflow stages by due date (``planning-stage-<id>``);
- ``mana``: assessments' planned start and end dates (``mana-assessment-<id>-start|end``).

Every entry names who may change its record (``ownerIds``: the PPA's owners, or the
assessment's, per authz.py), on whose calendars it belongs (``peopleIds``: the PPA's lead and
members; the assessment's creator) and the record's ``version``; milestones, moved by drag,
also the ``apiUrl`` the move patches.

One query, whatever the modules and the number of rows (a statement is a round trip and a
fixed cost in both processes: a quarter of an empty feed part's cost was its four): a
``UNION ALL`` of a branch per kind and date (a PPA's start and its target end, milestones,
stages, an assessment's start and its end), each on the B-tree index of its date, of the
columns the entries show (not whole ORM objects: a year's window holds thousands of rows).
A date is in a window when it is one of the window's office-local days.

Each entry's JSON is written by PostgreSQL in that query (`obcms_platform.feed.sql_all_day_entry`),
but for ``ownerIds`` and ``peopleIds``, the authz rules' (`ppa_facts`), computed once per PPA
or creator and spliced in. The ``*_entries`` functions build the same entries in Python from
the rows (the reference the tests compare the SQL's with).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from functools import cache, partial
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    Text,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from obcms_platform.app import API_PREFIX
from obcms_platform.feed import (
    ASSESSMENT_COLOUR,
    FIRST_DAY,
    LAST_DAY,
    MILESTONE_COLOUR,
    MODULE_MANA,
    MODULE_PLANNING,
    PPA_COLOUR,
    WORKFLOW_STAGE_COLOUR,
    EncodedEntry,
    Entry,
    FeedPage,
    SqlObject,
    SqlValue,
    TimeWindow,
    all_day_entry,
    encoded_facts,
    entry_bytes,
    extended_props,
    json_constant,
    json_number,
    json_word,
    page_of,
    sql_all_day_entry,
    sql_entry_id,
    sql_extended_props,
    user_ids,
    window_parameters,
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


# A day, or the bound parameter of one (`FIRST_DAY`, `LAST_DAY`).
Day = date | SqlValue


def _in(column: Any, first: Day, last: Day) -> Any:
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
    return _ppas_between(*window.days())


def _ppas_between(first: Day, last: Day) -> Select[*tuple[Any, ...]]:
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
    return _milestones_between(*window.days())


def _milestones_between(first: Day, last: Day) -> Select[*tuple[Any, ...]]:
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
    return _stages_between(*window.days())


def _stages_between(first: Day, last: Day) -> Select[*tuple[Any, ...]]:
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
    return _assessments_between(*window.days())


def _assessments_between(first: Day, last: Day) -> Select[*tuple[Any, ...]]:
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
    """The window's entries of the wanted modules, built in Python (unsorted)."""
    wanted = set(modules)
    entries: list[Entry] = []
    if MODULE_PLANNING in wanted:
        entries.extend(ppa_entries(session, window))
        entries.extend(milestone_entries(session, window))
        entries.extend(stage_entries(session, window))
    if MODULE_MANA in wanted:
        entries.extend(assessment_entries(session, window))
    return entries


def _ppa_url(ppa_id: SqlValue) -> ColumnElement[str]:
    return sql_entry_id("/oobc-management/portfolio/ppas/", ppa_id, "/")


# The facts an entry's people are read from: a PPA's (`ppa_facts`), or an assessment
# creator's.
PPA_PEOPLE = "ppa"
ASSESSMENT_PEOPLE = "assessment"


def _entry_columns(
    entry: SqlObject,
    props: SqlObject,
    entry_id: SqlValue,
    day: SqlValue,
    people: str,
    created_by: SqlValue,
    lead_id: SqlValue | None = None,
    member_ids: SqlValue | None = None,
) -> tuple[Any, ...]:
    """The columns every kind of entry is read with (the branches of `entries_statement`)."""
    return (
        entry.text().label("entry"),
        props.text().label("props"),
        entry_id.label("entry_id"),
        day.label("day"),
        literal(people).label("people"),
        created_by.label("created_by"),
        (cast(null(), Ppa.lead_id.type) if lead_id is None else lead_id).label("lead_id"),
        (cast(null(), Ppa.member_ids.type) if member_ids is None else member_ids).label(
            "member_ids"
        ),
    )


def _ppa_date_entries(key: str, label: str, column: str) -> Select[*tuple[Any, ...]]:
    """The entries of the PPAs whose `column` date is in the window."""
    day = getattr(Ppa, column)
    entry_id = sql_entry_id("planning-entry-", Ppa.id, f"-{key}")
    entry = sql_all_day_entry(entry_id, Ppa.title.concat(f" ({label})"), day, PPA_COLOUR)
    props = sql_extended_props(
        MODULE_PLANNING,
        "ppa",
        Ppa.id,
        Ppa.status,
        _ppa_url(Ppa.id),
        dateType=json_constant(key),
        ppaCategory=json_word(Ppa.category),
        version=json_number(Ppa.version),
    )
    return select(
        *_entry_columns(entry, props, entry_id, day, PPA_PEOPLE, *PPA_PEOPLE_COLUMNS)
    ).where(_in(day, FIRST_DAY, LAST_DAY))


def _milestone_entries() -> Select[*tuple[Any, ...]]:
    entry_id = sql_entry_id("planning-entry-", Milestone.ppa_id, "-milestone-", Milestone.id)
    entry = sql_all_day_entry(
        entry_id,
        Milestone.title.concat(" (").concat(Ppa.title).concat(")"),
        Milestone.date,
        MILESTONE_COLOUR,
        description=Milestone.notes,
    )
    props = sql_extended_props(
        MODULE_PLANNING,
        "milestone",
        Milestone.ppa_id,
        Milestone.status,
        _ppa_url(Milestone.ppa_id),
        milestoneId=json_word(Milestone.id),
        version=json_number(Milestone.version),
        apiUrl=json_word(
            sql_entry_id(f"{API_PREFIX}/ppas/", Milestone.ppa_id, "/milestones/", Milestone.id)
        ),
    )
    return _milestones_between(FIRST_DAY, LAST_DAY).with_only_columns(
        *_entry_columns(entry, props, entry_id, Milestone.date, PPA_PEOPLE, *PPA_PEOPLE_COLUMNS)
    )


def _stage_entries() -> Select[*tuple[Any, ...]]:
    entry_id = sql_entry_id("planning-stage-", WorkflowStage.id)
    # "budget_call" -> "Budget call": the stage's words, capitalised as `stage_entries` does.
    words = func.replace(cast(WorkflowStage.stage, Text), "_", " ")
    label = func.upper(func.left(words, 1)).concat(func.lower(func.substr(words, 2)))
    entry = sql_all_day_entry(
        entry_id,
        label.concat(" due (").concat(Ppa.title).concat(")"),
        WorkflowStage.due_date,
        WORKFLOW_STAGE_COLOUR,
        description=WorkflowStage.notes,
    )
    props = sql_extended_props(
        MODULE_PLANNING,
        "workflow_stage",
        WorkflowStage.ppa_id,
        WorkflowStage.status,
        _ppa_url(WorkflowStage.ppa_id),
        stageId=json_word(WorkflowStage.id),
        stage=json_word(WorkflowStage.stage),
        ownerTeamId=json_word(WorkflowStage.owner_team_id),
        version=json_number(WorkflowStage.version),
    )
    return _stages_between(FIRST_DAY, LAST_DAY).with_only_columns(
        *_entry_columns(
            entry, props, entry_id, WorkflowStage.due_date, PPA_PEOPLE, *PPA_PEOPLE_COLUMNS
        )
    )


def _assessment_date_entries(key: str, label: str, column: str) -> Select[*tuple[Any, ...]]:
    """The entries of the assessments whose `column` date is in the window."""
    day = getattr(Assessment, column)
    entry_id = sql_entry_id("mana-assessment-", Assessment.id, f"-{key}")
    entry = sql_all_day_entry(
        entry_id,
        Assessment.title.concat(f" ({label})"),
        day,
        ASSESSMENT_COLOUR,
        description=Assessment.description,
    )
    props = sql_extended_props(
        MODULE_MANA,
        "assessment",
        Assessment.id,
        Assessment.status,
        sql_entry_id("/oobc-management/portfolio/assessments/", Assessment.id, "/"),
        dateType=json_constant(key),
        methodology=json_word(Assessment.primary_methodology),
        assessmentLevel=json_word(Assessment.assessment_level),
        version=json_number(Assessment.version),
    )
    return select(
        *_entry_columns(entry, props, entry_id, day, ASSESSMENT_PEOPLE, Assessment.created_by)
    ).where(_in(day, FIRST_DAY, LAST_DAY))


# Each module's entries: one branch per kind and date, each on the index of its date.
_BRANCHES: dict[str, tuple[Callable[[], Select[*tuple[Any, ...]]], ...]] = {
    MODULE_PLANNING: (
        *(partial(_ppa_date_entries, *date_) for date_ in PPA_DATES),
        _milestone_entries,
        _stage_entries,
    ),
    MODULE_MANA: tuple(partial(_assessment_date_entries, *date_) for date_ in ASSESSMENT_DATES),
}


@cache
def entries_statement(modules: tuple[str, ...]) -> CompoundSelect[*tuple[Any, ...]]:
    """The window's entries of `modules` (in `_BRANCHES` order), their JSON written by
    PostgreSQL but for their people's facts, in one statement."""
    return union_all(*(branch() for name in modules for branch in _BRANCHES[name]))


class _Facts:
    """Each PPA's (or assessment creator's) ``ownerIds`` and ``peopleIds``, encoded once."""

    def __init__(self) -> None:
        self.encoded: dict[tuple[Any, ...], bytes] = {}

    def of(self, row: Any) -> bytes:
        """The facts of an entry's row of `entries_statement`."""
        if row.people == ASSESSMENT_PEOPLE:
            return self.of_assessment(row.created_by)
        key = (row.created_by, row.lead_id, tuple(row.member_ids))
        found = self.encoded.get(key)
        if found is None:
            found = self.encoded[key] = encoded_facts(**ppa_facts(row))
        return found

    def of_assessment(self, created_by: uuid.UUID | None) -> bytes:
        key = ("assessment", created_by)
        found = self.encoded.get(key)
        if found is None:
            found = self.encoded[key] = encoded_facts(
                ownerIds=user_ids(assessment_ownership(created_by).owners),
                peopleIds=user_ids(created_by),
            )
        return found


def encoded_feed_entries(
    session: Session, window: TimeWindow, modules: Iterable[str], limit: int
) -> Iterator[EncodedEntry]:
    """The window's entries of the wanted modules, written by PostgreSQL (unsorted:
    `feed_page` sorts and cuts)."""
    requested = set(modules)
    wanted = tuple(name for name in _BRANCHES if name in requested)
    if not wanted:
        return
    facts = _Facts()
    for row in session.execute(entries_statement(wanted), window_parameters(window, limit)):
        yield (row.day.isoformat(), row.entry_id), entry_bytes(row.entry, row.props, facts.of(row))


def feed_page(session: Session, window: TimeWindow, modules: Iterable[str], limit: int) -> FeedPage:
    """The window's first `limit` entries of the wanted modules, written by PostgreSQL."""
    return page_of(encoded_feed_entries(session, window, modules, limit), limit)
