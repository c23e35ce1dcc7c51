"""Server-rendered pages: home; the sections' routers (tasks, portfolio, resources, leave,
events, account, notifications) are included below."""

from __future__ import annotations

from fastapi import APIRouter

from gateway_service.pages import (
    account,
    assessments,
    events,
    home,
    leave,
    notifications,
    portfolio,
    resources,
    tasks,
)

router = APIRouter(include_in_schema=False)


for section in (
    home,
    tasks,
    portfolio,
    assessments,
    resources,
    leave,
    events,
    account,
    notifications,
):
    router.include_router(section.router)
