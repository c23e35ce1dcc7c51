"""Tasks service settings (environment prefix ``OBCMS_TASKS_``, falling back to ``OBCMS_``)."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from obcms_platform.settings import ServiceSettings, service_database_url


class TasksSettings(ServiceSettings):
    service_name: ClassVar[str] = "tasks"

    database_url: str = service_database_url(service_name)


@lru_cache
def get_settings() -> TasksSettings:
    return TasksSettings()
