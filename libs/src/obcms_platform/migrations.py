"""Alembic per service: the shared env.py body and programmatic upgrade/downgrade.

Each service keeps its own history in ``<package>/migrations`` (script_location
``<package>:migrations``); the database URL comes from the service settings, never from an
ini file, so passwords are not written to disk.
"""

from __future__ import annotations

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine
from sqlalchemy.pool import NullPool

from obcms_platform.db import normalise_url


def alembic_config(package: str, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", f"{package}:migrations")
    config.attributes["database_url"] = database_url
    return config


def run_migrations_env(target_metadata: MetaData) -> None:
    """Body of every service's migrations/env.py."""
    config = context.config
    url = normalise_url(config.attributes["database_url"])
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def upgrade(package: str, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(package, database_url), revision)


def downgrade(package: str, database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(package, database_url), revision)


def current_revision(package: str, database_url: str) -> str | None:
    engine = create_engine(normalise_url(database_url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision(package: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(package, "")).get_current_head()
