"""Alembic environment of the tasks service (the mechanism lives in obcms_platform)."""

from obcms_platform.migrations import run_migrations_env
from tasks_service.db import Base, load_models

load_models()
run_migrations_env(Base.metadata)
