"""``obcmsctl audit export``: the change history of every service, for auditors.

Each service keeps its records' history in its own append-only ``record_history`` table
(`obcms_platform.history`). The export reads it from every database that has one, since a
moment, and writes one merged stream in time order: CSV (the changes as a JSON column) or
JSON lines. It holds every field, private ones too: it is for those who hold the databases'
credentials, not for the API's users.
"""

from __future__ import annotations

import csv
import heapq
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated, Any

import psycopg
import typer

from obcmsctl import services
from obcmsctl.output import fail

COLUMNS = (
    "at",
    "service",
    "record_type",
    "record_id",
    "record_version",
    "action",
    "actor_id",
    "cause",
    "changes",
)
# Rows fetched from the server at a time: the export streams, whatever the history's size.
BATCH = 2_000


class Format(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


def has_history(dsn: str) -> bool:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT to_regclass('record_history') IS NOT NULL").fetchone() == (
            True,
        )


def entries(service: str, dsn: str, since: datetime) -> Iterator[dict[str, Any]]:
    """The service's history since `since`, oldest first (a server-side cursor)."""
    with psycopg.connect(dsn) as conn, conn.cursor(name=f"audit_{service}") as cursor:
        cursor.itersize = BATCH
        cursor.execute(
            "SELECT at, record_type, record_id, record_version, action, actor_id, cause, changes"
            " FROM record_history WHERE at >= %s ORDER BY at, seq",
            (since,),
        )
        for at, record_type, record_id, version, action, actor, cause, changes in cursor:
            yield {
                "at": at,
                "service": service,
                "record_type": record_type,
                "record_id": str(record_id),
                "record_version": version,
                "action": action,
                "actor_id": None if actor is None else str(actor),
                "cause": cause,
                "changes": changes,
            }


def write(rows: Iterator[dict[str, Any]], output: IO[str], form: Format) -> int:
    """Write `rows` as `form` (moments in UTC); returns how many."""
    count = 0
    writer = csv.DictWriter(output, fieldnames=COLUMNS) if form is Format.CSV else None
    if writer is not None:
        writer.writeheader()
    for row in rows:
        shown = {**row, "at": row["at"].astimezone(UTC).isoformat()}
        if writer is not None:
            writer.writerow({**shown, "changes": json.dumps(row["changes"], ensure_ascii=False)})
        else:
            output.write(json.dumps(shown, ensure_ascii=False) + "\n")
        count += 1
    return count


def register(app: typer.Typer) -> None:
    audit = typer.Typer(help="The services' change history, for auditors.")
    app.add_typer(audit, name="audit")

    @audit.command("export")
    @services.with_database_options(services.ALL)
    def export(
        databases: services.DatabaseOptions,
        since: Annotated[
            datetime,
            typer.Option(help="the first moment exported (ISO date or date-time; UTC if naive)"),
        ],
        form: Annotated[Format, typer.Option("--format", help="csv or jsonl")] = Format.CSV,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="file to write (default: stdout)")
        ] = None,
    ) -> None:
        """Every service's change history since --since, merged in time order, as CSV or
        JSON lines. URLs default to OBCMS_<SERVICE>_DATABASE_URL."""
        try:
            dsns = {
                name: services.libpq_dsn(services.database_url(services.BY_NAME[name], url))
                for name, url in databases.items()
            }
        except services.MissingDatabaseUrlError as exc:
            raise fail(str(exc)) from exc
        moment = since if since.tzinfo else since.replace(tzinfo=UTC)
        kept = {name: dsn for name, dsn in dsns.items() if has_history(dsn)}
        skipped = sorted(dsns.keys() - kept.keys())
        streams = [entries(name, dsn, moment) for name, dsn in kept.items()]
        merged = heapq.merge(*streams, key=lambda row: row["at"])
        if output is None:
            count = write(merged, sys.stdout, form)
        else:
            with output.open("w", encoding="utf-8", newline="") as file:
                count = write(merged, file, form)
        note = f"; no history kept by {', '.join(skipped)}" if skipped else ""
        typer.echo(
            f"audit export: {count} change(s) from {', '.join(sorted(kept))}{note}", err=True
        )
