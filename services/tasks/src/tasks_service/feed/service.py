"""This service's calendar feed entries: tasks (module ``staff``, category ``task``).

A task is on the calendar from its start date (its due date when it has none) to its due
date, as an all-day entry; it is in a window when that span touches one of the window's
office-local days. Tasks without a due date are not on the calendar, and tasks linked to a
calendar event (``related_event_id``) are shown through the event instead (DOMAIN.md).

An entry names who may change the task (``ownerIds``, the ``task.update`` rule of authz.py)
and on whose calendars it belongs (``peopleIds``: its assignees and its teams' members), its
``version`` and the ``apiUrl`` a move by drag patches.

Three queries whatever the number of tasks: the window's tasks, on the partial GiST index
``ix_tasks__calendar_span`` (the task's span ``&&`` the window's days); the members of their
teams; the owners of their PPAs (both selecting the window's tasks again, so the tasks are
still streamed rather than held).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Row, Select, func, literal_column, select
from sqlalchemy.orm import Session

from obcms_platform.app import API_PREFIX
from obcms_platform.feed import (
    MODULE_STAFF,
    TASK_COLOUR,
    Entry,
    TimeWindow,
    all_day_entry,
    extended_props,
    user_ids,
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
    first, last = window.days()
    return select(*ENTRY_COLUMNS).where(
        # The index's predicate (CALENDAR_TASKS), so the planner may use it.
        Task.due_date.is_not(None),
        Task.related_event_id.is_(None),
        calendar_span(Task.start_date, Task.due_date).op("&&")(
            func.daterange(first, last, literal_column("'[]'::text"))
        ),
    )


def window_groups(session: Session, window: TimeWindow) -> TaskGroups:
    """The teams' members and PPAs' owners of the window's tasks."""
    tasks = window_tasks_statement(window)
    return TaskGroups.load(
        session,
        team_ids=tasks.with_only_columns(func.unnest(Task.team_ids)),
        ppa_ids=tasks.with_only_columns(Task.related_ppa_id),
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


# Rows fetched this many at a time (a server-side cursor): a year's tasks are thousands,
# and fetched at once they sat in the worker's memory next to their entries.
FEED_ROWS_PER_FETCH = 500


def feed_entries(session: Session, window: TimeWindow, modules: Iterable[str]) -> Iterator[Entry]:
    """The entries of the window's tasks, as their rows arrive (unsorted: `feed_response`
    sorts)."""
    if MODULE_STAFF not in set(modules):
        return
    groups = window_groups(session, window)
    statement = window_tasks_statement(window).execution_options(yield_per=FEED_ROWS_PER_FETCH)
    for task in session.execute(statement):
        yield task_entry(task, groups)
