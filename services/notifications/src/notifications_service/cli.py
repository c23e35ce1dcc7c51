"""`obcms-notifications`: serve the API, run the worker and the beat, run a job by hand,
migrations, bus operations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from notifications_service.db import bus, load_models
from notifications_service.settings import get_settings
from obcms_platform.cli import service_cli

app = service_cli("notifications_service", get_settings, bus=bus)


@app.command()
def beat() -> None:
    """Run the scheduled jobs and the email sender (one beat acts at a time: the lock's
    holder)."""
    from notifications_service.jobs import beat as beat_process

    beat_process.main(get_settings())


jobs_cli = typer.Typer(help="Scheduled jobs", no_args_is_help=True)
app.add_typer(jobs_cli, name="jobs")


@jobs_cli.command("run")
def run_job(
    name: Annotated[str, typer.Argument(help="task_reminders, event_reminders, digest, ...")],
    at: Annotated[
        datetime | None,
        typer.Option(help="the moment to run it for (ISO, with offset); default: now"),
    ] = None,
) -> None:
    """Run one job for the period of `--at` (nothing when that period already ran)."""
    from notifications_service.jobs.beat import runner_name
    from notifications_service.jobs.service import jobs, run
    from obcms_platform.db import Database

    settings = get_settings()
    known = jobs(settings)
    if name not in known:
        raise typer.BadParameter(f"no job {name!r} (known: {', '.join(known)})", param_hint="NAME")
    moment = at or datetime.now(UTC)
    if moment.tzinfo is None:
        raise typer.BadParameter(
            "give the moment with its offset (…Z or …+08:00)", param_hint="--at"
        )
    load_models()
    database = Database(settings.database_url, pool_size=1)
    try:
        done = run(database, settings, known[name], moment, runner_name())
    finally:
        database.dispose()
    typer.echo(f"{name}: period already ran" if done is None else f"{name}: {done}")


@app.command("send-email")
def send_email() -> None:
    """Send the queued emails that are due now (the beat does this every few seconds)."""
    from notifications_service.delivery.service import send_due
    from obcms_platform.db import Database

    settings = get_settings()
    load_models()
    database = Database(settings.database_url, pool_size=1)
    try:
        report = send_due(database, settings)
    finally:
        database.dispose()
    typer.echo(f"sent {report.sent}, retried {report.retried}, failed {report.failed}")


if __name__ == "__main__":
    app()
