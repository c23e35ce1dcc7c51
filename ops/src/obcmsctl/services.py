"""The databases obcmsctl works on: one per service plus the gateway's.

Each URL comes from an option or from ``OBCMS_<SERVICE>_DATABASE_URL`` (the variable the
services themselves read).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy.engine import make_url

from obcms_platform.db import normalise_url


@dataclass(frozen=True)
class Service:
    name: str
    package: str  # its Alembic history is <package>:migrations

    @property
    def url_variable(self) -> str:
        return f"OBCMS_{self.name.upper()}_DATABASE_URL"


GATEWAY = Service("gateway", "gateway_service")
TASKS = Service("tasks", "tasks_service")
PORTFOLIO = Service("portfolio", "portfolio_service")
CALENDAR = Service("calendar", "calendar_service")
ALL: tuple[Service, ...] = (GATEWAY, TASKS, PORTFOLIO, CALENDAR)
BY_NAME = {service.name: service for service in ALL}


class MissingDatabaseUrlError(ValueError):
    pass


def database_url(service: Service, option: str | None = None) -> str:
    """The option, else the environment variable; a clear error when neither is set."""
    url = option or os.environ.get(service.url_variable)
    if not url:
        raise MissingDatabaseUrlError(
            f"no database URL for {service.name}: pass it or set {service.url_variable}"
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
