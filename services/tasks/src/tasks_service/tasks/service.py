"""Task domain logic. Functions take a session and never commit; the route does."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, not_, or_, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from obcms_platform import records
from obcms_platform.auth import Principal
from obcms_platform.authz import ensure
from obcms_platform.contracts import (
    TASK_COMPLETED,
    TASK_CREATED,
    TASK_DELETED,
    TASK_UPDATED,
    EventContract,
    TaskChanged,
)
from obcms_platform.errors import (
    AppError,
    InputProblems,
    InvalidInputError,
    NotFoundError,
)
from obcms_platform.history import because
from obcms_platform.pagination import PageParams, driver_columns, paginate_rows
from obcms_platform.repeats import Repeat
from tasks_service.authz import (
    TASK_LINK_PPA,
    TASK_UPDATE,
    TaskGroups,
    ppa_owners,
    task_workers,
)
from tasks_service.db import history, outbox
from tasks_service.tasks.models import PRIORITY_RANK, STATUS_RANK, Task, TaskStatus
from tasks_service.tasks.repeats import next_due
from tasks_service.tasks.schemas import (
    ID_LIST_MAX,
    RELATED_FIELDS,
    DueShortcut,
    ItemError,
    TaskBulkResult,
    TaskBulkUpdate,
    TaskCreate,
    TaskFilters,
    TaskRead,
    TaskSort,
    TaskUpdate,
)
from tasks_service.teams.service import existing_team_ids, team_ids_of_user

HOURS_FIELDS = ("estimated_hours", "actual_hours")
# What a repeating task's next occurrence keeps of it (its dates follow the rule).
CONTINUED_FIELDS = (
    "title",
    "description",
    "domain",
    "priority",
    "assignee_ids",
    "team_ids",
    *RELATED_FIELDS,
    "created_from_template",
    "estimated_hours",
    "repeats",
    "repeat_interval",
    "repeat_until",
    "repeat_anchor",
    "created_by",
)
# A change of these moves a repeating task's rhythm to its (new) due date.
RHYTHM_FIELDS = ("due_date", "repeats", "repeat_interval")
UNORDERED_FIELDS = ("assignee_ids", "team_ids")  # sets kept in a list: their order means nothing
# The advisory lock key of dependency changes (any constant other locks of this database
# do not use: theirs are derived from record ids).
DEPENDENCY_GRAPH_LOCK = 0x7461736B_64657073  # "taskdeps"


@dataclass(frozen=True)
class BulkChange:
    """A bulk change of several tasks, as each task's event names it: the notifications
    service tells the people it assigns once, in one summary, rather than once per task."""

    id: uuid.UUID
    reason: str


def get_task(session: Session, task_id: uuid.UUID) -> Task:
    return records.get_or_404(session, Task, task_id, what="task")


def create_task(session: Session, data: TaskCreate, principal: Principal) -> Task:
    values = data.model_dump()
    for name in HOURS_FIELDS:
        values[name] = _hours(values[name])
    task = records.new_record(Task, principal, **values, completed_at=None)
    task.repeat_anchor = task.due_date if task.repeats else None
    _apply_status(task, previous=None)
    if task.depends_on:
        _lock_dependency_graph(session)
    _check_state(session, task)
    if task.related_ppa_id is not None:
        _ensure_may_link(session, task, principal)
    records.insert_row(session, task)
    announce(session, TASK_CREATED, task)
    if task.status is TaskStatus.COMPLETED:
        _continue_series(session, task)
    return task


def update_task(
    session: Session,
    task_id: uuid.UUID,
    changes: TaskUpdate,
    principal: Principal,
    expected_version: int | None = None,
    *,
    bulk: BulkChange | None = None,
) -> Task:
    task = records.locked(session, Task, task_id, expected_version, what="task")
    values = changes.changes()
    # The same people or teams in another order (the task form's) are no change: the stored
    # order stays, and no history entry or version says they changed.
    for name in UNORDERED_FIELDS:
        if name in values and set(values[name] or ()) == set(getattr(task, name)):
            del values[name]
    # Setting one related record replaces another one (only one may be set at a time).
    if any(values.get(name) is not None for name in RELATED_FIELDS):
        for name in RELATED_FIELDS:
            values.setdefault(name, None)
    previous, previous_ppa_id = task.status, task.related_ppa_id
    if _reopened(previous, values) and "progress" not in values and task.progress == 100:
        values["progress"] = _progress_before_completion(session, task)
    for name, value in values.items():
        setattr(task, name, _hours(value) if name in HOURS_FIELDS else value)
    if any(name in values for name in RHYTHM_FIELDS):
        task.repeat_anchor = task.due_date if task.repeats else None
    task.updated_by = principal.user_id
    _apply_status(task, previous=previous)
    if "depends_on" in values:
        _lock_dependency_graph(session)
    _check_state(session, task)
    if task.related_ppa_id not in (None, previous_ppa_id):
        _ensure_may_link(session, task, principal)
    session.flush()
    became_completed = task.status is TaskStatus.COMPLETED and previous is not TaskStatus.COMPLETED
    announce(session, TASK_COMPLETED if became_completed else TASK_UPDATED, task, bulk=bulk)
    if became_completed:
        _continue_series(session, task)
    elif _reopened(previous, values):
        _withdraw_next(session, task)
    return task


def reopen_task(
    session: Session,
    task_id: uuid.UUID,
    principal: Principal,
    expected_version: int | None = None,
) -> Task:
    """Reopen a completed task (409 naming status when it is not): back to the status it had
    before it was completed, its progress with it (`update_task`)."""
    task = records.locked(session, Task, task_id, expected_version, what="task")
    records.ensure_status(task.status, (TaskStatus.COMPLETED,), refused="reopen a task")
    before = TaskUpdate(status=_status_before_completion(session, task))
    return update_task(session, task_id, before, principal, expected_version)


def bulk_update_tasks(
    session: Session, request: TaskBulkUpdate, principal: Principal
) -> list[TaskBulkResult]:
    """Apply one set of changes to many tasks, each as its own PATCH would: found, then
    worked by the caller, then at the version the caller saw. Each task changes in a
    savepoint, so one refused task leaves the others' changes (and events) in place. A task
    the changes leave as it is (the people to add already assigned) is checked the same way,
    then left alone: no new version, history entry or event."""
    values = request.changes.changes(field_prefix="changes.")
    adding = values.pop("add_assignee_ids", [])
    removing = values.pop("remove_assignee_ids", [])
    cause = request.reason or f"bulk change of {len(request.items)} tasks"
    bulk = BulkChange(uuid.uuid4(), request.reason or "") if len(request.items) > 1 else None
    results: dict[uuid.UUID, TaskBulkResult] = {}
    # Locked in id order, so two bulk changes of overlapping tasks queue instead of deadlocking.
    for item in sorted(request.items, key=lambda item: item.id):
        try:
            with because(session, cause), session.begin_nested():
                task = records.locked(session, Task, item.id, what="task")
                ensure(principal, TASK_UPDATE, task_workers(session, task))
                changes = _bulk_changes_of(task, values, adding, removing)
                if changes is None:
                    records.check_version(task, item.id, item.version, what="task")
                else:
                    task = update_task(
                        session, item.id, changes, principal, item.version, bulk=bulk
                    )
            results[item.id] = TaskBulkResult(
                id=str(item.id),
                status=200,
                task=TaskRead.model_validate(task),
                error=None,
                changed=changes is not None,
            )
        except AppError as exc:
            error = ItemError(code=exc.code, message=exc.message, field=exc.field)
            results[item.id] = TaskBulkResult(
                id=str(item.id), status=exc.status_code, task=None, error=error, changed=False
            )
    return [results[item.id] for item in request.items]


def _bulk_changes_of(
    task: Task,
    values: dict[str, Any],
    adding: list[uuid.UUID],
    removing: list[uuid.UUID],
) -> TaskUpdate | None:
    """The PATCH a bulk change makes of `task`: `values`, with its assignees less `removing`
    and plus `adding` (when that changes them); None when there is nothing to change."""
    current = list(task.assignee_ids)
    assignees = [person for person in current if person not in removing]
    assignees += [person for person in adding if person not in assignees]
    own = dict(values)
    if assignees != current:
        if len(assignees) > ID_LIST_MAX:
            raise InvalidInputError(
                f"changes.add_assignee_ids: a task has at most {ID_LIST_MAX} assignees",
                field="changes.add_assignee_ids",
            )
        own["assignee_ids"] = assignees
    return TaskUpdate(**own) if own else None


def changeable(
    session: Session, task_ids: Sequence[uuid.UUID], principal: Principal
) -> list[uuid.UUID]:
    """Of `task_ids`, those `principal` may change (`TASK_UPDATE`, as its routes judge), in
    two queries however many: the tasks' people, then their teams' and PPAs' groups."""
    rows = session.execute(
        select(Task.id, Task.created_by, Task.related_ppa_id, Task.assignee_ids, Task.team_ids)
        .where(Task.id.in_(task_ids))
        .order_by(Task.id)
    ).all()
    groups = TaskGroups.load(
        session,
        {team for row in rows for team in row.team_ids},
        {row.related_ppa_id for row in rows if row.related_ppa_id is not None},
    )
    return [row.id for row in rows if TASK_UPDATE.allows(principal, groups.workers(row))]


def add_dependency(
    session: Session,
    task_id: uuid.UUID,
    dependency_id: uuid.UUID,
    principal: Principal,
    expected_version: int | None = None,
) -> Task:
    """Make the task wait for another one; already waiting for it, the task is unchanged.
    Refused as a PATCH of `depends_on` would be: itself, an unknown task, a cycle."""
    task = records.locked(session, Task, task_id, expected_version, what="task")
    if dependency_id in task.depends_on:
        return task
    _lock_dependency_graph(session)
    _check_dependencies(session, task.id, [dependency_id])
    return _change_dependencies(session, task, [*task.depends_on, dependency_id], principal)


def remove_dependency(
    session: Session,
    task_id: uuid.UUID,
    dependency_id: uuid.UUID,
    principal: Principal,
    expected_version: int | None = None,
) -> Task:
    """Stop the task waiting for another one (404 when it does not)."""
    task = records.locked(session, Task, task_id, expected_version, what="task")
    if dependency_id not in task.depends_on:
        raise NotFoundError("depends_on: dependency on task", dependency_id, field="depends_on")
    remaining = [other for other in task.depends_on if other != dependency_id]
    return _change_dependencies(session, task, remaining, principal)


def _change_dependencies(
    session: Session, task: Task, depends_on: list[uuid.UUID], principal: Principal
) -> Task:
    task.depends_on = depends_on
    task.updated_by = principal.user_id
    session.flush()
    announce(session, TASK_UPDATED, task)
    return task


def delete_task(
    session: Session, task_id: uuid.UUID, expected_version: int | None, principal: Principal
) -> None:
    task = records.locked(session, Task, task_id, expected_version, what="task")
    # No task may keep depending on one that no longer exists.
    session.execute(
        update(Task)
        .where(Task.depends_on.contains([task_id]))
        .values(
            depends_on=func.array_remove(Task.depends_on, task_id),
            version=Task.version + 1,
            updated_by=principal.user_id,
        )
        .execution_options(synchronize_session=False)
    )
    # Nothing continues a task that no longer exists: completing its predecessor again
    # continues the series anew. (Links only: no version, as nobody changed those tasks.)
    session.execute(
        update(Task)
        .where(Task.next_task_id == task_id)
        .values(next_task_id=None)
        .execution_options(synchronize_session=False)
    )
    remove(session, task)


def complete_all(session: Session, tasks: Iterable[Task]) -> None:
    """Mark `tasks` completed (their work was done elsewhere: a PPA's review decided) and
    announce each, in the caller's transaction and its `because`."""
    done = [task for task in tasks if task.status is not TaskStatus.COMPLETED]
    for task in done:
        previous, task.status = task.status, TaskStatus.COMPLETED
        _apply_status(task, previous=previous)
    session.flush()
    for task in done:
        announce(session, TASK_COMPLETED, task)
        _continue_series(session, task)


def _continue_series(session: Session, task: Task) -> Task | None:
    """A repeating task just completed continues as its next occurrence: a new task, not
    started, due on the rule's next date after its own (its start as far before), with its
    people, links and rule, created by the series' creator. None when it does not repeat,
    already continued (completed, reopened and completed again), or the rule has ended."""
    if task.repeats is None or task.due_date is None or task.next_task_id is not None:
        return None
    due = next_due(
        task.repeats, task.repeat_interval, task.repeat_anchor or task.due_date, task.due_date
    )
    if task.repeat_until is not None and due > task.repeat_until:
        return None
    follower = Task(
        **{name: getattr(task, name) for name in CONTINUED_FIELDS},
        id=uuid.uuid4(),
        due_date=due,
        start_date=None if task.start_date is None else due - (task.due_date - task.start_date),
        previous_task_id=task.id,
        auto_generated=task.auto_generated,
        completed_at=None,
        # Made by completing the previous one: whoever did that (None: the service).
        updated_by=task.updated_by,
    )
    rhythm = Repeat(task.repeats, task.repeat_interval).pattern(task.repeat_anchor or due)
    with because(session, f"the next occurrence of a task repeating {rhythm}"):
        records.insert_row(session, follower)
    _link_next(session, task, follower.id)
    announce(session, TASK_CREATED, follower)
    return follower


def _withdraw_next(session: Session, task: Task) -> None:
    """A repeating task reopened takes back the occurrence its completion created, if nobody
    has touched it since (an undone completion leaves no stray task); one someone changed
    stays, and stays its successor, so completing again creates no second one."""
    if task.next_task_id is None:
        return
    follower = session.get(Task, task.next_task_id, with_for_update=True)
    if follower is not None and follower.version > 1:
        return
    _link_next(session, task, None)
    if follower is not None:
        with because(session, "its previous occurrence was reopened"):
            remove(session, follower)


def _link_next(session: Session, task: Task, next_task_id: uuid.UUID | None) -> None:
    """Point `task` at its next occurrence: a link the service keeps, not a change of the
    task (no new version: an Undo of the completion is still at the version it left)."""
    session.execute(
        update(Task)
        .where(Task.id == task.id)
        .values(next_task_id=next_task_id, updated_at=Task.updated_at)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(task, "next_task_id", next_task_id)


def remove(session: Session, task: Task) -> None:
    """Delete a task and announce it (its last version + 1, so no late update revives it)."""
    announce(session, TASK_DELETED, task, version=records.delete_row(session, task))


def announce(
    session: Session,
    contract: EventContract[TaskChanged],
    task: Task,
    version: int | None = None,
    *,
    bulk: BulkChange | None = None,
) -> None:
    """Stage a task event in the outbox, in the caller's transaction."""
    outbox.add(session, contract, _changed(task, version, bulk), subject_id=task.id)


def announce_all(
    session: Session, contract: EventContract[TaskChanged], tasks: Iterable[Task]
) -> None:
    """Stage one task event per task, in one statement (a generation's ten tasks)."""
    outbox.add_all(session, contract, [(_changed(task), task.id) for task in tasks])


def _changed(task: Task, version: int | None = None, bulk: BulkChange | None = None) -> TaskChanged:
    return TaskChanged.of_record(
        task,
        task_id=task.id,
        version=version or task.version,
        changed_by=task.updated_by,
        bulk_id=bulk.id if bulk else None,
        bulk_reason=bulk.reason if bulk else "",
    )


TASK_COLUMNS = driver_columns(Task.__table__)


def list_tasks(
    session: Session, filters: TaskFilters, page: PageParams, principal: Principal
) -> tuple[list[dict[str, Any]], int]:
    """A page of the tasks `filters` select, each as its columns (`TaskRead` reads them)."""
    statement = filtered_tasks(session, filters, principal)
    return paginate_rows(session, statement.with_only_columns(*TASK_COLUMNS), page)


def filtered_tasks(session: Session, filters: TaskFilters, principal: Principal) -> Select[Any]:
    if filters.due_after and filters.due_before and filters.due_after > filters.due_before:
        raise InvalidInputError(
            "due_before: must not be earlier than due_after", field="due_before"
        )
    conditions = records.field_conditions(
        Task, filters, "id", "domain", "status", "priority", *RELATED_FIELDS
    )
    if filters.assigned_directly and filters.assignee in (None, "none"):
        raise InvalidInputError(
            "assigned_directly: needs an assignee (a user id or me)", field="assigned_directly"
        )
    if filters.assignee == "none":
        conditions.append(unassigned())
    elif filters.assignee is not None:
        assignee = principal.user_id if filters.assignee == "me" else filters.assignee
        conditions.append(
            Task.assignee_ids.contains([assignee])
            if filters.assigned_directly
            else assigned_to(session, assignee)
        )
    if filters.team is not None:
        conditions.append(Task.team_ids.contains([filters.team]))
    if filters.due_after is not None:
        conditions.append(Task.due_date >= filters.due_after)
    if filters.due_before is not None:
        conditions.append(Task.due_date <= filters.due_before)
    today = principal.today()  # the asker's: "overdue" on the office's morning is theirs
    # Spelled out for NULL due dates: NOT (open AND NULL) would be NULL, dropping open tasks
    # without a due date from overdue=false.
    overdue = and_(
        Task.status != TaskStatus.COMPLETED, Task.due_date.is_not(None), Task.due_date < today
    )
    if filters.overdue is not None:
        conditions.append(overdue if filters.overdue else not_(overdue))
    if filters.due is DueShortcut.TODAY:
        conditions.append(Task.due_date == today)
    elif filters.due is DueShortcut.WEEK:
        conditions.append(Task.due_date.between(today, today + timedelta(days=6)))
    elif filters.due is DueShortcut.OVERDUE:
        conditions.append(overdue)
    conditions += records.field_conditions(Task, filters, "auto_generated", "created_from_template")
    if filters.q:
        conditions.append(records.text_match(filters.q, Task.title, Task.description))
    return select(Task).where(*conditions).order_by(*ORDERINGS[filters.sort])


def assigned_to(session: Session, user_id: uuid.UUID) -> ColumnElement[bool]:
    """Assigned to the user directly or to a team the user belongs to ("my tasks"). The teams
    are read first, not in a subquery: the planner estimates a literal list of teams (none,
    most often) and keeps a user with few tasks on the assignee index."""
    direct = Task.assignee_ids.contains([user_id])
    teams = team_ids_of_user(session, user_id)
    return or_(direct, Task.team_ids.overlap(teams)) if teams else direct


def unassigned() -> ColumnElement[bool]:
    """Nobody is assigned: no person and no team."""
    return and_(func.cardinality(Task.assignee_ids) == 0, func.cardinality(Task.team_ids) == 0)


_PRIORITY_RANK = case(PRIORITY_RANK, value=Task.priority)
_STATUS_RANK = case(STATUS_RANK, value=Task.status)
# Built once: each list request picks its ORDER BY here rather than building all of them.
ORDERINGS: dict[TaskSort, tuple[Any, ...]] = {
    TaskSort.DUE_DATE: (Task.due_date.asc().nulls_last(), Task.id),
    TaskSort.DUE_DATE_DESC: (Task.due_date.desc().nulls_last(), Task.id),
    TaskSort.PRIORITY: (_PRIORITY_RANK.asc(), Task.due_date.asc().nulls_last(), Task.id),
    TaskSort.PRIORITY_DESC: (_PRIORITY_RANK.desc(), Task.due_date.asc().nulls_last(), Task.id),
    TaskSort.CREATED_AT: (Task.created_at.asc(), Task.id),
    TaskSort.CREATED_AT_DESC: (Task.created_at.desc(), Task.id),
    TaskSort.UPDATED_AT_DESC: (Task.updated_at.desc(), Task.id),
    TaskSort.TITLE: (Task.title.asc(), Task.id),
    TaskSort.TITLE_DESC: (Task.title.desc(), Task.id),
    TaskSort.STATUS: (_STATUS_RANK.asc(), Task.due_date.asc().nulls_last(), Task.id),
    TaskSort.STATUS_DESC: (_STATUS_RANK.desc(), Task.due_date.asc().nulls_last(), Task.id),
}


def _hours(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 2)))


def _apply_status(task: Task, previous: TaskStatus | None) -> None:
    """Completing sets completed_at and progress 100; leaving completed clears completed_at."""
    if task.status is TaskStatus.COMPLETED:
        if previous is not TaskStatus.COMPLETED or task.completed_at is None:
            task.completed_at = datetime.now(UTC)
        task.progress = 100
    else:
        task.completed_at = None


def _reopened(previous: TaskStatus, values: dict[str, Any]) -> bool:
    return previous is TaskStatus.COMPLETED and values.get("status") not in (
        None,
        TaskStatus.COMPLETED,
    )


# The statuses of a task whose work has begun.
STARTED = (TaskStatus.IN_PROGRESS, TaskStatus.AT_RISK)


def _status_before_completion(session: Session, task: Task) -> TaskStatus:
    """The status `task` had before it was completed, read from its history; when none
    (completed as it was created, or before the history was kept): In progress if it was
    ever started, else Not started."""
    completion = history.change_that_set(session, "task", task.id, "status", TaskStatus.COMPLETED)
    before = next((change["old"] for change in completion if change["field"] == "status"), None)
    if before is not None and before != TaskStatus.COMPLETED:
        return TaskStatus(before)
    started = any(
        history.change_that_set(session, "task", task.id, "status", status) for status in STARTED
    )
    return TaskStatus.IN_PROGRESS if started else TaskStatus.NOT_STARTED


def _progress_before_completion(session: Session, task: Task) -> int:
    """The progress `task` had before it was completed (100 if it had reached it already), so
    that a reopened task does not read as all done; read from its history."""
    completion = history.change_that_set(session, "task", task.id, "status", TaskStatus.COMPLETED)
    before = next((change["old"] for change in completion if change["field"] == "progress"), 100)
    return int(before) if before is not None else 0


def _check_state(session: Session, task: Task) -> None:
    related = [name for name in RELATED_FIELDS if getattr(task, name) is not None]
    if len(related) > 1:
        raise InvalidInputError(
            f"{related[-1]}: at most one of {', '.join(RELATED_FIELDS)} may be set",
            field=related[-1],
        )
    if task.start_date and task.due_date and task.start_date > task.due_date:
        raise InvalidInputError("due_date: must not be before start_date", field="due_date")
    _check_rule(task)
    if task.team_ids:
        missing = set(task.team_ids) - existing_team_ids(session, task.team_ids)
        if missing:
            raise InvalidInputError(
                f"team_ids: unknown team {sorted(map(str, missing))[0]}", field="team_ids"
            )
    if task.depends_on:
        _check_dependencies(session, task.id, task.depends_on)


def _check_rule(task: Task) -> None:
    problems = InputProblems()
    if task.repeats is not None and task.due_date is None:
        problems.add("repeats", "a repeating task needs a due date")
    if task.repeat_until is not None:
        if task.repeats is None:
            problems.add("repeat_until", "only a repeating task repeats until a date")
        elif task.due_date is not None and task.repeat_until < task.due_date:
            problems.add("repeat_until", "must not be before the due date")
    problems.raise_if_any()


def _ensure_may_link(session: Session, task: Task, principal: Principal) -> None:
    assert task.related_ppa_id is not None
    ensure(principal, TASK_LINK_PPA, ppa_owners(session, task.related_ppa_id))


def _lock_dependency_graph(session: Session) -> None:
    """Serialise changes of dependencies until the transaction ends: two tasks made to wait
    for each other at the same time would each pass the cycle check without it. Taken after
    the task's row lock and followed by no other row lock, so it cannot deadlock."""
    session.execute(select(func.pg_advisory_xact_lock(DEPENDENCY_GRAPH_LOCK)))


def _check_dependencies(
    session: Session, task_id: uuid.UUID, depends_on: Iterable[uuid.UUID]
) -> None:
    dependencies = list(depends_on)
    if task_id in dependencies:
        raise InvalidInputError("depends_on: a task cannot depend on itself", field="depends_on")
    found = set(session.scalars(select(Task.id).where(Task.id.in_(dependencies))))
    missing = [str(dep) for dep in dependencies if dep not in found]
    if missing:
        raise InvalidInputError(f"depends_on: unknown task {missing[0]}", field="depends_on")
    cycle = session.execute(
        text(
            """
            WITH RECURSIVE upstream(id) AS (
                SELECT unnest(depends_on) FROM tasks WHERE id = ANY(:dependencies)
                UNION
                SELECT unnest(t.depends_on) FROM tasks t JOIN upstream u ON t.id = u.id
            )
            SELECT 1 FROM upstream WHERE id = :task_id LIMIT 1
            """
        ),
        {"dependencies": dependencies, "task_id": task_id},
    ).first()
    if cycle:
        raise InvalidInputError(
            "depends_on: this dependency would create a cycle", field="depends_on"
        )
