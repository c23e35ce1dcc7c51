"""Alembic environment of the gateway (the mechanism lives in obcms_platform)."""

from gateway_service.db import Base, load_models
from obcms_platform.migrations import run_migrations_env

load_models()
run_migrations_env(Base.metadata)
