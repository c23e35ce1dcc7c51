"""This service's calendar feed entries: tasks (module ``staff``, category ``task``).

A task is on the calendar from its start date (its due date when it has none) to its due
date, as an all-day entry; it is in a window when that span touches one of the window's
office-local days. Tasks without a due date are not on the calendar, and tasks linked to a
calendar event (``related_event_id``) are shown through the event instead (DOMAIN.md).

An entry names who may change the task (``ownerIds``, the ``task.update`` rule of authz.py)
and on whose calendars it belongs (``peopleIds``: its assignees and its teams' members), its
``version`` and the ``apiUrl`` a move by drag patches.

At most two queries whatever the number of tasks. The page: the earliest
``MAX_FEED_ENTRIES`` of the window's tasks, on the partial GiST index ``ix_tasks__calendar_span``
(the task's span ``&&`` the window's days), each entry's JSON written by PostgreSQL
(`obcms_platform.feed.sql_all_day_entry`), joined in chunks of entries. Then the members of the
teams and the owners of the PPAs those entries name, in one (none when there are none).
``ownerIds`` and ``peopleIds`` are the ``task.update`` rule's (`TaskGroups.workers`),
computed once per distinct group of people and put where PostgreSQL marked them
(`with_facts`). `task_entry` builds the same entry in Python from a row (the reference the
tests compare the SQL's with).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Set
from dataclasses import dataclass
from datetime import date
from functools import cache, partial
from typing import Any

from sqlalchemy import Row, Select, Text, cast, func, literal_column, select
from sqlalchemy.orm import Session

from obcms_platform.app import API_PREFIX
from obcms_platform.feed import (
    FIRST_DAY,
    LAST_DAY,
    MODULE_STAFF,
    TASK_COLOUR,
    Entry,
    FeedPage,
    SqlValue,
    TimeWindow,
    all_day_entry,
    encoded_facts,
    extended_props,
    json_ids,
    json_number,
    json_word,
    page_chunks,
    sql_all_day_entry,
    sql_entry_id,
    sql_extended_props,
    sql_joined_page,
    sql_marked_entry,
    user_ids,
    window_parameters,
    with_facts,
)
from tasks_service.authz import TaskGroups
from tasks_service.tasks.models import Task, calendar_span

CATEGORY = "task"


# Only what an entry shows: a year's feed holds tens of thousands of tasks, and whole ORM
# objects (identity map, every column, change tracking) cost seconds and hundreds of MB.
ENTRY_COLUMNS = (
    Task.id,
    Task.title,
    Task.description,
    Task.start_date,
    Task.due_date,
    Task.status,
    Task.priority,
    Task.domain,
    Task.assignee_ids,
    Task.team_ids,
    Task.created_by,
    Task.related_ppa_id,
    Task.related_assessment_id,
    Task.version,
)


def window_tasks_statement(window: TimeWindow) -> Select[*tuple[Any, ...]]:
    """The tasks on the calendar whose span overlaps the window's days (index-backed), with
    the columns of their entries."""
    return _tasks_within(*window.days())


def _tasks_within(first: date | SqlValue, last: date | SqlValue) -> Select[*tuple[Any, ...]]:
    """The tasks on the calendar whose span overlaps the days from `first` to `last`."""
    return select(*ENTRY_COLUMNS).where(
        # The index's predicate (CALENDAR_TASKS), so the planner may use it.
        Task.due_date.is_not(None),
        Task.related_event_id.is_(None),
        calendar_span(Task.start_date, Task.due_date).op("&&")(
            func.daterange(first, last, literal_column("'[]'::text"))
        ),
    )


def window_groups(session: Session, window: TimeWindow) -> TaskGroups:
    """The teams' members and PPAs' owners of the window's tasks (for `task_entry`, the
    tests' reference: the feed loads those of its page's entries, `people_facts`)."""
    tasks = session.execute(window_tasks_statement(window)).all()
    return TaskGroups.load(
        session,
        team_ids={team for task in tasks for team in task.team_ids},
        ppa_ids={task.related_ppa_id for task in tasks if task.related_ppa_id},
    )


def task_entry(task: Row[Any], groups: TaskGroups) -> Entry:
    assert task.due_date is not None  # selected with one
    task_id = str(task.id)
    return all_day_entry(
        f"staff-task-{task_id}",
        task.title,
        task.start_date or task.due_date,
        TASK_COLOUR,
        extended_props(
            MODULE_STAFF,
            CATEGORY,
            task_id,
            task.status.value,
            f"/oobc-management/staff/tasks/{task_id}/",
            priority=task.priority.value,
            domain=task.domain.value,
            assigneeIds=[str(user) for user in task.assignee_ids],
            relatedPpaId=str(task.related_ppa_id) if task.related_ppa_id else None,
            relatedAssessmentId=(
                str(task.related_assessment_id) if task.related_assessment_id else None
            ),
            ownerIds=user_ids(groups.workers(task).owners),
            peopleIds=user_ids(task.assignee_ids, groups.members_of(task.team_ids)),
            version=task.version,
            apiUrl=f"{API_PREFIX}/tasks/{task_id}",
        ),
        last=task.due_date,
        description=task.description,
    )


@cache
def window_page_statement() -> Select[Any]:
    """The page of the window's tasks (parameters: `window_parameters`; `sql_joined_page`):
    the earliest entries (by start, then id), each written by PostgreSQL with its people
    (who made it, its PPA, assignees and teams, as text) marked where ownerIds and
    peopleIds go."""
    first = func.coalesce(Task.start_date, Task.due_date)
    people = func.concat_ws(
        " ",
        func.coalesce(cast(Task.created_by, Text), ""),
        func.coalesce(cast(Task.related_ppa_id, Text), ""),
        func.array_to_string(Task.assignee_ids, ","),
        func.array_to_string(Task.team_ids, ","),
    )
    entry = sql_all_day_entry(
        sql_entry_id("staff-task-", Task.id),
        Task.title,
        first,
        TASK_COLOUR,
        last=Task.due_date,
        description=Task.description,
    )
    props = sql_extended_props(
        MODULE_STAFF,
        CATEGORY,
        Task.id,
        Task.status,
        sql_entry_id("/oobc-management/staff/tasks/", Task.id, "/"),
        priority=json_word(Task.priority),
        domain=json_word(Task.domain),
        assigneeIds=json_ids(Task.assignee_ids),
        relatedPpaId=json_word(Task.related_ppa_id),
        relatedAssessmentId=json_word(Task.related_assessment_id),
        version=json_number(Task.version),
        apiUrl=json_word(sql_entry_id(f"{API_PREFIX}/tasks/", Task.id)),
    )
    order = (first, Task.id)
    entries = (
        _tasks_within(FIRST_DAY, LAST_DAY)
        .with_only_columns(sql_marked_entry(entry, props, people))
        .order_by(*order)
    )
    return sql_joined_page(entries, func.row_number().over(order_by=order))


@dataclass(frozen=True)
class TaskPeopleIds:
    """The people columns of a task (`TaskPeople`), read back from an entry's marked people
    (ids as text are cheaper than UUIDs when many entries share their people)."""

    created_by: uuid.UUID | None
    related_ppa_id: uuid.UUID | None
    assignee_ids: list[uuid.UUID]
    team_ids: list[uuid.UUID]

    @classmethod
    def parse(cls, people: str, ids: Callable[[str], uuid.UUID] = uuid.UUID) -> TaskPeopleIds:
        """`people` read with `ids` (a feed passes one that remembers the ids it made: the
        same few people make most of a window's tasks)."""
        created_by, ppa, assignees, teams = people.split(" ")
        return cls(
            ids(created_by) if created_by else None,
            ids(ppa) if ppa else None,
            [ids(user) for user in assignees.split(",") if user],
            [ids(team) for team in teams.split(",") if team],
        )


def feed_page(session: Session, window: TimeWindow, modules: Iterable[str], limit: int) -> FeedPage:
    """The window's first `limit` task entries, sorted, written by PostgreSQL but for who
    may change each and on whose calendars it is (`people_facts`)."""
    if MODULE_STAFF not in set(modules):
        return FeedPage([], truncated=False)
    found, chunks = page_chunks(
        session.execute(window_page_statement(), window_parameters(window, limit))
    )
    return FeedPage(with_facts(chunks, partial(people_facts, session)), truncated=found > limit)


def people_facts(session: Session, marked: Set[str]) -> dict[str, str]:
    """The ``ownerIds`` and ``peopleIds`` (the ``task.update`` rule's `TaskGroups.workers`)
    of each of a page's distinct marked people, with the teams and PPAs they name loaded
    once: those of the entries found (none for an empty page), not of the window's tasks."""
    ids = cache(uuid.UUID)
    people = {text: TaskPeopleIds.parse(text, ids) for text in marked}
    groups = TaskGroups.load(
        session,
        team_ids={team for task in people.values() for team in task.team_ids},
        ppa_ids={task.related_ppa_id for task in people.values() if task.related_ppa_id},
    )
    facts: dict[str, str] = {}
    for text, task in people.items():
        encoded = encoded_facts(
            ownerIds=user_ids(groups.workers(task).owners),
            peopleIds=user_ids(task.assignee_ids, groups.members_of(task.team_ids)),
        )
        facts[text] = "," + encoded[1:-1].decode()
    return facts
