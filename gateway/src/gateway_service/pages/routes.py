"""Server-rendered pages: home; the sections' routers (tasks, portfolio, resources, leave,
events, account, notifications, exports) are included below, after the comments and
attachments of every record's page (`collaboration`), which render a record's own page after
a refusal."""

from __future__ import annotations

from fastapi import APIRouter

from gateway_service.pages import (
    account,
    approvals,
    assessments,
    collaboration,
    events,
    exports,
    home,
    imports,
    leave,
    notifications,
    portfolio,
    priorities,
    reports,
    resources,
    search,
    tasks,
    teams,
    templates,
    timeline,
)

router = APIRouter(include_in_schema=False)

router.include_router(
    collaboration.collaboration_router(
        {
            "task": tasks.task_detail,
            "ppa": portfolio.ppa_detail,
            "assessment": assessments.assessment_detail,
            "need": assessments.need_detail,
            "event": events.event_detail,
        }
    )
)

for section in (
    home,
    tasks,
    portfolio,
    approvals,
    imports,
    timeline,
    priorities,
    reports,
    assessments,
    resources,
    leave,
    teams,
    templates,
    events,
    account,
    notifications,
    exports,
    search,
):
    router.include_router(section.router)
