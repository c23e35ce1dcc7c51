"""The databases obcmsctl works on: one per service plus the gateway's.

Each URL comes from an option or from ``OBCMS_<SERVICE>_DATABASE_URL`` (the variable the
services themselves read).
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable, Sequence
from typing import Annotated, Any

import typer
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
# Deployable name -> the URL its ``--<name>-db`` option was given (None when not given).
DatabaseOptions = dict[str, str | None]


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


def with_database_options(
    deployables: Sequence[Service],
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A typer command's `databases` parameter becomes one ``--<name>-db`` option per
    deployable; the command receives their values as `DatabaseOptions`."""

    def parameter(deployable: Service) -> str:
        return f"{deployable.name.replace('-', '_')}_db"

    options = [
        inspect.Parameter(
            parameter(deployable),
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[
                str | None,
                typer.Option(f"--{deployable.name}-db", help=f"{deployable.name} database URL"),
            ],
        )
        for deployable in deployables
    ]

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        declared = inspect.signature(command, eval_str=True).parameters.values()
        # Keyword-only: typer passes every option by name, and the order of defaults is free.
        parameters = [
            new
            for old in declared
            for new in (
                options if old.name == "databases" else [old.replace(kind=old.KEYWORD_ONLY)]
            )
        ]

        @functools.wraps(command)
        def run(**values: Any) -> None:
            databases = {d.name: values.pop(parameter(d)) for d in deployables}
            command(databases=databases, **values)

        # typer reads the signature, and the annotations for types it cannot see there.
        run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in parameters}
        return run

    return decorate
