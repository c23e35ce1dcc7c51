"""Alembic environment of the portfolio service (the mechanism lives in obcms_platform)."""

from obcms_platform.migrations import run_migrations_env
from portfolio_service.db import Base, load_models

load_models()
run_migrations_env(Base.metadata)
