"""Bus commands every service gets (`obcms-<service> bus ...`), and the relay command.

Every uvicorn worker of a service imports this module (through the service's CLI, its
spawn entry point), so Celery, the relay, the sweeper and the admin functions are imported
inside the commands that use them: about 35 MB of RSS an API worker never needs.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from sqlalchemy import MetaData

from obcms_platform.bus.tables import BusTables, bus_tables
from obcms_platform.db import Database
from obcms_platform.heap import freeze_startup_heap
from obcms_platform.settings import RelaySettings

if TYPE_CHECKING:
    from celery import Celery

    from obcms_platform.bus.sweeper import RedeliverySweeper


def bus_cli(
    tables: BusTables,
    database_url: Callable[[], str],
    redis_url: Callable[[], str],
) -> typer.Typer:
    cli = typer.Typer(help="event bus: dead letters, replay, re-publish", no_args_is_help=True)

    def session_scope() -> Any:
        return Database(database_url(), pool_size=1).session()

    @cli.command("dead-letters")
    def list_dead_letters(
        include_replayed: Annotated[bool, typer.Option("--all", help="also replayed")] = False,
    ) -> None:
        """List dead-lettered events (id, event, type, attempts, failed at, error)."""
        from obcms_platform.bus import admin

        with session_scope() as session:
            for row in admin.dead_letters(session, tables, include_replayed=include_replayed):
                replayed = f" replayed {row.replayed_at:%Y-%m-%d %H:%M}" if row.replayed_at else ""
                typer.echo(
                    f"{row.id}  {row.event_type:<24} event {row.event_id}  attempts {row.attempts}"
                    f"  failed {row.failed_at:%Y-%m-%d %H:%M:%S}{replayed}\n    {row.error[:200]}"
                )

    @cli.command("show")
    def show(dead_letter_id: uuid.UUID) -> None:
        """Print one dead letter with its full payload and error."""
        from obcms_platform.bus import admin

        with session_scope() as session:
            row = admin.dead_letter(session, tables, dead_letter_id)
        if row is None:
            typer.echo(f"no dead letter {dead_letter_id}", err=True)
            raise typer.Exit(1)
        typer.echo(json.dumps(dict(row._mapping), indent=2, default=str))

    @cli.command("replay")
    def replay(
        ids: Annotated[list[uuid.UUID] | None, typer.Argument(help="dead letter ids")] = None,
        replay_all: Annotated[bool, typer.Option("--all", help="every pending one")] = False,
    ) -> None:
        """Send dead letters back to this service's queue (after fixing the cause)."""
        from obcms_platform.bus import admin
        from obcms_platform.bus.worker import publisher_app

        if not ids and not replay_all:
            typer.echo("name dead letter ids or pass --all", err=True)
            raise typer.Exit(2)
        app = publisher_app(redis_url())
        with session_scope() as session:
            rows = [
                row
                for row in admin.dead_letters(session, tables)
                if replay_all or row.id in set(ids or [])
            ]
            count = admin.replay(session, tables, app, rows)
            session.commit()
        typer.echo(f"replayed {count}")

    @cli.command("republish")
    def republish(
        since: Annotated[datetime, typer.Option(help="from (inclusive), ISO time")],
        until: Annotated[datetime | None, typer.Option(help="to (exclusive); default now")] = None,
        event_type: Annotated[str | None, typer.Option("--type", help="only this type")] = None,
    ) -> None:
        """Publish this service's events of a time range again; consumers ignore repeats."""
        from obcms_platform.bus import admin

        end = until or datetime.now(UTC)
        with session_scope() as session:
            count = admin.republish(session, tables, _aware(since), _aware(end), event_type)
            session.commit()
        typer.echo(f"queued {count} events for re-publishing")

    @cli.command("outbox")
    def outbox() -> None:
        """Outbox status: pending events and the oldest one."""
        from obcms_platform.bus import admin

        with session_scope() as session:
            typer.echo(json.dumps(admin.outbox_status(session, tables), default=str))

    return cli


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


relay_cli = typer.Typer(
    help="the outbox relay (no command: run it) and its redelivery sweep",
    no_args_is_help=False,
)

# Every service's outbox has the same shape; one definition reads them all.
RELAY_TABLES = bus_tables(MetaData())

# Each option overrides its variable of RelaySettings (OBCMS_RELAY_<OPTION>).
SourcesOption = Annotated[
    str | None,
    typer.Option(help="services whose outboxes to relay (OBCMS_RELAY_SOURCES; default tasks)"),
]
RedisOption = Annotated[str | None, typer.Option(help="(OBCMS_REDIS_URL)")]
ConsumersOption = Annotated[
    str | None,
    typer.Option(
        help="consumers to sweep for (OBCMS_RELAY_CONSUMERS; default every one whose database"
        " URL is set)"
    ),
]
LookbackOption = Annotated[
    float | None,
    typer.Option(help="oldest events swept, in seconds (OBCMS_RELAY_SWEEP_LOOKBACK_SECONDS)"),
]


def _relay_settings(**options: Any) -> RelaySettings:
    """The relay's settings, with the options given on the command line in place of their
    variables; bad values end the command as a usage error would."""
    try:
        return RelaySettings(
            **{name: value for name, value in options.items() if value is not None}
        )
    except ValidationError as exc:
        typer.echo(f"invalid relay settings: {exc}", err=True)
        raise typer.Exit(2) from exc


def _source_databases(settings: RelaySettings) -> dict[str, Database]:
    databases = {}
    for name in settings.source_names:
        url = settings.database_url_of(name)
        if not url:
            typer.echo(f"OBCMS_{name.upper()}_DATABASE_URL is not set", err=True)
            raise typer.Exit(2)
        databases[name] = Database(
            url,
            pool_size=2,
            application_name=f"relay-{name}",
            # No round trip before each batch (it delays every event): after a database
            # restart the first batch fails on a dead connection, which empties the pool of
            # them, and the relay tries again after its backoff.
            pre_ping=False,
        )
    return databases


def _sweeper(
    settings: RelaySettings, sources: dict[str, Database], app: Celery
) -> RedeliverySweeper:
    from obcms_platform.bus.sweeper import RedeliverySweeper, consumer_databases

    return RedeliverySweeper(
        sources=sources,
        consumers=consumer_databases(
            settings.consumer_names, settings.database_url_of, application_name="relay-sweeper"
        ),
        tables=RELAY_TABLES,
        app=app,
        redis_url=settings.redis_url,
        after=timedelta(seconds=settings.sweep_after),
        lookback=timedelta(seconds=settings.sweep_lookback_seconds),
    )


@relay_cli.callback(invoke_without_command=True)
def relay(
    context: typer.Context,
    sources: SourcesOption = None,
    redis_url: RedisOption = None,
    metrics_port: Annotated[
        int | None, typer.Option(help="(OBCMS_RELAY_METRICS_PORT; default 0, none)")
    ] = None,
    poll_interval: Annotated[
        float | None,
        typer.Option(
            help="read the outbox at least every N s; inserts wake the relay at once "
            "(OBCMS_RELAY_POLL_INTERVAL; default 30)"
        ),
    ] = None,
    consumers: ConsumersOption = None,
    sweep_interval: Annotated[
        float | None,
        typer.Option(help="redelivery sweep every N s (OBCMS_RELAY_SWEEP_INTERVAL; default 60)"),
    ] = None,
    sweep_after: Annotated[
        float | None,
        typer.Option(
            help="events published longer ago than this may be lost (default 2 x visibility)",
        ),
    ] = None,
    sweep_lookback: LookbackOption = None,
) -> None:
    """Relay the outboxes of SOURCES (each read from OBCMS_<SOURCE>_DATABASE_URL) and sweep
    for lost events (consumer databases from OBCMS_<CONSUMER>_DATABASE_URL)."""
    if context.invoked_subcommand is not None:
        return
    from prometheus_client import REGISTRY

    from obcms_platform.bus.relay import STOP_SIGNALS, BacklogCollector, OutboxRelay, run_relays
    from obcms_platform.bus.worker import publisher_app
    from obcms_platform.logging import configure_logging
    from obcms_platform.metrics import start_metrics_server

    settings = _relay_settings(
        sources=sources,
        redis_url=redis_url,
        metrics_port=metrics_port,
        poll_interval=poll_interval,
        consumers=consumers,
        sweep_interval=sweep_interval,
        sweep_after_seconds=sweep_after,
        sweep_lookback_seconds=sweep_lookback,
    )
    configure_logging("relay", settings.log_level)
    # Before any thread starts (each inherits the mask): a stop signal is then delivered to
    # the main thread alone, which handles it. One the kernel gave a relay thread stayed
    # unhandled (Python runs handlers in the main thread, asleep until `stop` was set), and
    # Ctrl-C left the relay running. `run_relays` unblocks them in the main thread.
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    app = publisher_app(settings.redis_url)
    databases = _source_databases(settings)
    relays = [
        OutboxRelay(name, database, RELAY_TABLES, app) for name, database in databases.items()
    ]
    sweeper = _sweeper(settings, databases, app)
    if settings.metrics_port:
        REGISTRY.register(BacklogCollector(relays, settings.redis_url))
        start_metrics_server(settings.metrics_port)
    logging.getLogger(__name__).info(
        "relaying the outboxes of %s; sweeping for %s",
        settings.sources,
        ",".join(sweeper.consumers),
    )
    freeze_startup_heap()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    run_relays(
        relays,
        poll_interval=settings.poll_interval,
        stop=stop,
        sweeper=sweeper if sweeper.consumers else None,
        sweep_interval=settings.sweep_interval,
    )


@relay_cli.command("sweep")
def sweep(
    sources: SourcesOption = None,
    redis_url: RedisOption = None,
    consumers: ConsumersOption = None,
    after: Annotated[
        float | None,
        typer.Option(
            help="seconds since publishing after which a missing event is lost"
            " (default 2 x OBCMS_BUS_VISIBILITY_TIMEOUT)",
        ),
    ] = None,
    lookback: LookbackOption = None,
) -> None:
    """Send again, once, every published event a consumer never received (see
    obcms_platform.bus.sweeper); consumers whose queue is not empty are left alone."""
    from obcms_platform.bus.worker import publisher_app
    from obcms_platform.logging import configure_logging

    settings = _relay_settings(
        sources=sources,
        redis_url=redis_url,
        consumers=consumers,
        sweep_after_seconds=after,
        sweep_lookback_seconds=lookback,
    )
    # A command run by hand: quiet unless a level is asked for.
    configure_logging(
        "relay-sweep", settings.log_level if "log_level" in settings.model_fields_set else "WARNING"
    )
    app = publisher_app(settings.redis_url)
    sweeper = _sweeper(settings, _source_databases(settings), app)
    sent = sweeper.sweep()
    for redelivery in sent:
        typer.echo(
            f"{redelivery.event_id}  {redelivery.event_type:<24} {redelivery.source}"
            f" -> {redelivery.consumer}"
        )
    typer.echo(f"redelivered {len(sent)}")


def main() -> None:
    relay_cli()


if __name__ == "__main__":
    main()
