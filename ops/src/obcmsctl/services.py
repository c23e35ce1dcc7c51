"""The databases obcmsctl works on: one per service plus the gateway's.

Each URL comes from an option or from ``OBCMS_<SERVICE>_DATABASE_URL`` (the variable the
services themselves read).
"""

from __future__ import annotations

import os

from sqlalchemy.engine import make_url

from obcms_platform import registry
from obcms_platform.db import normalise_url

# A deployable with a database: the registry's (its Alembic history is <package>:migrations).
Service = registry.Deployable
GATEWAY = registry.GATEWAY
TASKS = registry.TASKS
PORTFOLIO = registry.PORTFOLIO
CALENDAR = registry.CALENDAR
ALL: tuple[Service, ...] = registry.DEPLOYABLES
BY_NAME = {service.name: service for service in ALL}


class MissingDatabaseUrlError(ValueError):
    pass


def database_url(service: Service, option: str | None = None) -> str:
    """The option, else the environment variable; a clear error when neither is set."""
    url = option or os.environ.get(service.database_url_variable)
    if not url:
        raise MissingDatabaseUrlError(
            f"no database URL for {service.name}: pass it or set {service.database_url_variable}"
        )
    return normalise_url(url)


def libpq_dsn(url: str) -> str:
    """A SQLAlchemy URL as a libpq connection string (psycopg, pg_dump, pg_restore)."""
    return (
        make_url(normalise_url(url))
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )


def redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
