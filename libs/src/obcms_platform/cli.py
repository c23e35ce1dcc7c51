"""The command line every service shares: serve, migrate, migration status.

Each worker of ``serve --workers N`` re-imports this module (multiprocessing's spawn runs
the parent's main module), so what only other commands need is imported inside them:
Alembic alone would add about 10 MB to every API worker.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import typer

from obcms_platform import serving
from obcms_platform.bus.cli import bus_cli
from obcms_platform.bus.tables import BusTables
from obcms_platform.settings import ServiceSettings

# Seconds a `serve --workers N` worker may take to start answering uvicorn's health check.
WORKER_HEALTHCHECK_TIMEOUT = 60
# Seconds an idle client connection stays open (clients must give theirs up sooner).
SERVICE_KEEP_ALIVE_SECONDS = 75


def service_cli(
    package: str,
    settings_factory: Callable[[], ServiceSettings],
    bus: BusTables | None = None,
    *,
    consumes_events: bool = True,
) -> typer.Typer:
    """A Typer app for one service; `package` is its Python package (``tasks_service``).

    With `bus` (the service's bus tables) it also gets the ``bus`` operator commands and,
    when it `consumes_events`, ``worker`` (its Celery worker, the app in
    ``<package>.worker:app``).
    """
    cli = typer.Typer(help=f"{package} commands", no_args_is_help=True)

    @cli.command()
    def serve(
        host: str = "127.0.0.1",
        port: int = 8000,
        workers: int = 1,
        reload: bool = False,
        worker_healthcheck_timeout: int = WORKER_HEALTHCHECK_TIMEOUT,
    ) -> None:
        """Run the HTTP API with uvicorn."""
        serving.serve(
            f"{package}.app:create_app",
            host=host,
            port=port,
            workers=workers,
            reload=reload,
            # A worker answers uvicorn's health check only once it has imported the service;
            # uvicorn's 5 s kill it and start another, forever, on a busy or small node.
            timeout_worker_healthcheck=worker_healthcheck_timeout,
            # Idle connections stay open longer than the gateway's pool keeps them
            # (`KEEPALIVE_EXPIRY_SECONDS` there): with uvicorn's 5 s, equal to the gateway's
            # pool then, it now and then sent a request on a connection the service was closing.
            timeout_keep_alive=SERVICE_KEEP_ALIVE_SECONDS,
            log_config=None,
            access_log=False,  # the platform's middleware writes the access log
            proxy_headers=True,
        )

    @cli.command()
    def migrate(revision: str = "head") -> None:
        """Upgrade the service database to `revision` (default: head)."""
        from obcms_platform import migrations

        migrations.upgrade(package, settings_factory().database_url, revision)

    @cli.command()
    def downgrade(revision: str) -> None:
        """Downgrade the service database to `revision` (tier-2 rollback)."""
        from obcms_platform import migrations

        migrations.downgrade(package, settings_factory().database_url, revision)

    @cli.command("migration-status")
    def migration_status() -> None:
        """Print current and head revisions; exit 1 when migrations are pending."""
        from obcms_platform import migrations

        current = migrations.current_revision(package, settings_factory().database_url)
        head = migrations.head_revision(package)
        typer.echo(f"current={current} head={head}")
        if current != head:
            raise typer.Exit(1)

    if bus is not None and consumes_events:

        @cli.command()
        def worker() -> None:
            """Run the service's event worker (consumes its bus queue)."""
            app = importlib.import_module(f"{package}.worker").app
            app.worker_main(
                [
                    "worker",
                    "--loglevel",
                    settings_factory().log_level,
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ]
            )

    if bus is not None:
        cli.add_typer(
            # The settings are read when a command runs, never while the commands are built:
            # `check-deploy` must report a bad setting in its own words, not fail to start.
            bus_cli(
                bus,
                database_url=lambda: settings_factory().database_url,
                redis_url=lambda: settings_factory().redis_url,
            ),
            name="bus",
        )

    return cli
