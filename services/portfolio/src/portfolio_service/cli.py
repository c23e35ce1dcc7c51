"""`obcms-portfolio`: serve the API, run migrations, report migration status, recompute PPA
progress from the task projection (troubleshooting "PPA progress not updating"), and
announce every PPA anew (`ppas announce`)."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer
from sqlalchemy import select

from obcms_platform.cli import service_cli
from obcms_platform.db import Database
from obcms_platform.history import because
from portfolio_service.db import bus, load_models
from portfolio_service.ppas.models import Ppa
from portfolio_service.progress.service import recompute_progress as recompute
from portfolio_service.settings import get_settings

app = service_cli("portfolio_service", get_settings, bus=bus)


@app.command("recompute-progress")
def recompute_progress(
    ppa: Annotated[
        uuid.UUID | None, typer.Option("--ppa", help="only this PPA (default: every PPA)")
    ] = None,
) -> None:
    """Recompute PPA progress from the task projection (one PPA or all of them)."""
    load_models()
    database = Database(get_settings().database_url, pool_size=1, max_overflow=0)
    try:
        with database.session() as session:
            if ppa is not None and session.scalar(select(Ppa.id).where(Ppa.id == ppa)) is None:
                typer.echo(f"PPA {ppa} not found", err=True)
                raise typer.Exit(1)
            with because(session, "progress recomputed by obcms-portfolio recompute-progress"):
                changed = recompute(session, None if ppa is None else [ppa])
            session.commit()
    finally:
        database.dispose()
    scope = f"PPA {ppa}" if ppa is not None else "every PPA"
    typer.echo(f"progress recomputed for {scope}; {changed} changed")


ppas_cli = typer.Typer(help="Operations on every PPA.", no_args_is_help=True)
app.add_typer(ppas_cli, name="ppas")


@ppas_cli.command("announce")
def announce_ppas() -> None:
    """Announce every PPA on the bus anew (``ppa.updated``: new events with its current title,
    dates and owners, in batches), e.g. after an upgrade whose tasks service keeps PPA titles
    it was never sent. Repeating it changes nothing; a later change of a PPA wins."""
    from obcms_platform.bus.announcing import announce_every
    from portfolio_service.ppas.service import announce

    load_models()
    database = Database(get_settings().database_url, pool_size=1, max_overflow=0)
    try:
        count = announce_every(database, Ppa, announce)
    finally:
        database.dispose()
    typer.echo(f"announced {count} PPAs")


if __name__ == "__main__":
    app()
