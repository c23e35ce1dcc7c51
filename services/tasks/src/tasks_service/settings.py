"""Tasks service settings (environment prefix ``OBCMS_TASKS_``, falling back to ``OBCMS_``)."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from obcms_platform.settings import ServiceSettings


class TasksSettings(ServiceSettings):
    env_prefix: ClassVar[str] = "OBCMS_TASKS_"
    service_name: ClassVar[str] = "tasks"

    database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/obcms_tasks"


@lru_cache
def get_settings() -> TasksSettings:
    return TasksSettings()
