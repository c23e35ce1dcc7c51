"""The task timeline of one PPA or assessment: its tasks by date with what each waits for,
and whether the caller may move each (the same rule as changing it)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from obcms_platform.auth import Principal
from obcms_platform.errors import InvalidInputError
from tasks_service.authz import TASK_UPDATE, TaskGroups
from tasks_service.tasks.models import Task
from tasks_service.timeline.schemas import TaskTimeline, TaskTimelineFilters, TimelineTask

# More tasks than a chart can show readably; the answer says how many there are.
TIMELINE_LIMIT = 500


def task_timeline(
    session: Session, filters: TaskTimelineFilters, principal: Principal
) -> TaskTimeline:
    if (filters.related_ppa_id is None) == (filters.related_assessment_id is None):
        raise InvalidInputError(
            "related_ppa_id: give a PPA's id or an assessment's (related_assessment_id), "
            "not both or neither",
            field="related_ppa_id",
        )
    if filters.related_ppa_id is not None:
        condition = Task.related_ppa_id == filters.related_ppa_id
    else:
        condition = Task.related_assessment_id == filters.related_assessment_id
    total = session.scalar(select(func.count()).select_from(Task).where(condition))
    tasks = session.scalars(
        select(Task)
        .where(condition)
        .order_by(
            func.coalesce(Task.start_date, Task.due_date).asc().nulls_last(), Task.title, Task.id
        )
        .limit(TIMELINE_LIMIT)
    ).all()
    groups = TaskGroups.load(
        session,
        team_ids={team for task in tasks for team in task.team_ids},
        ppa_ids={task.related_ppa_id for task in tasks if task.related_ppa_id},
    )
    items = [
        TimelineTask(
            id=task.id,
            title=task.title,
            status=task.status,
            priority=task.priority,
            start_date=task.start_date,
            due_date=task.due_date,
            depends_on=task.depends_on,
            version=task.version,
            editable=TASK_UPDATE.allows(principal, groups.workers(task)),
        )
        for task in tasks
    ]
    return TaskTimeline(items=items, total=int(total or 0), shown=len(items), limit=TIMELINE_LIMIT)
