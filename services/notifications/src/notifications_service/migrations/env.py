"""Alembic environment of the notifications service (the mechanism lives in obcms_platform)."""

from notifications_service.db import Base, load_models
from obcms_platform.migrations import run_migrations_env

load_models()
run_migrations_env(Base.metadata)
