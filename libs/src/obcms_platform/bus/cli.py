"""Bus commands every service gets (`obcms-<service> bus ...`), and the relay command."""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from prometheus_client import start_http_server
from sqlalchemy import MetaData

from obcms_platform.bus import admin
from obcms_platform.bus.relay import OutboxRelay, run_relays
from obcms_platform.bus.tables import BusTables, bus_tables
from obcms_platform.bus.worker import publisher_app
from obcms_platform.db import Database
from obcms_platform.logging import configure_logging


def bus_cli(
    consumer: str,
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
        end = until or datetime.now(UTC)
        with session_scope() as session:
            count = admin.republish(session, tables, _aware(since), _aware(end), event_type)
            session.commit()
        typer.echo(f"queued {count} events for re-publishing")

    @cli.command("outbox")
    def outbox() -> None:
        """Outbox status: pending events and the oldest one."""
        with session_scope() as session:
            typer.echo(json.dumps(admin.outbox_status(session, tables), default=str))

    return cli


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


relay_cli = typer.Typer(help="the outbox relay", no_args_is_help=False)

# Every service's outbox has the same shape; one definition reads them all.
RELAY_TABLES = bus_tables(MetaData())


@relay_cli.command()
def relay(
    sources: Annotated[
        str,
        typer.Option(envvar="OBCMS_RELAY_SOURCES", help="services whose outboxes to relay"),
    ] = "tasks",
    redis_url: Annotated[str, typer.Option(envvar="OBCMS_REDIS_URL")] = "redis://127.0.0.1:6379/0",
    metrics_port: Annotated[int, typer.Option(envvar="OBCMS_RELAY_METRICS_PORT")] = 0,
    poll_interval: Annotated[float, typer.Option(envvar="OBCMS_RELAY_POLL_INTERVAL")] = 0.1,
    measure_interval: Annotated[
        float, typer.Option(envvar="OBCMS_RELAY_MEASURE_INTERVAL", help="metrics every N s")
    ] = 5.0,
) -> None:
    """Relay the outboxes of SOURCES (each read from OBCMS_<SOURCE>_DATABASE_URL)."""
    configure_logging("relay", os.environ.get("OBCMS_LOG_LEVEL", "INFO"))
    app = publisher_app(redis_url)
    relays = []
    for name in [s.strip() for s in sources.split(",") if s.strip()]:
        url = os.environ.get(f"OBCMS_{name.upper()}_DATABASE_URL")
        if not url:
            typer.echo(f"OBCMS_{name.upper()}_DATABASE_URL is not set", err=True)
            raise typer.Exit(2)
        database = Database(url, pool_size=2, application_name=f"relay-{name}")
        relays.append(OutboxRelay(name, database, RELAY_TABLES, app))
    if metrics_port:
        start_http_server(metrics_port)
    logging.getLogger(__name__).info("relaying the outboxes of %s", sources)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    run_relays(
        relays,
        redis_url,
        poll_interval=poll_interval,
        measure_interval=measure_interval,
        stop=stop,
    )


def main() -> None:
    relay_cli()


if __name__ == "__main__":
    main()
