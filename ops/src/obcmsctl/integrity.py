"""``obcmsctl integrity``: cross-service references that no database can enforce.

Tasks link to a PPA or an assessment (portfolio database) or an event (calendar database)
by id only. The check reads the distinct referenced ids from the tasks database, then asks
each owning database, in one set-based query per link, which of them do not exist. Links
inside one database (need -> PPA) are foreign keys and need no check.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Annotated

import psycopg
import typer

from obcmsctl import services
from obcmsctl.output import emit_json, fail, table


@dataclass(frozen=True)
class Link:
    column: str  # in tasks
    service: services.Service  # owner of the referenced table
    table: str


LINKS: tuple[Link, ...] = (
    Link("related_ppa_id", services.PORTFOLIO, "ppas"),
    Link("related_assessment_id", services.PORTFOLIO, "assessments"),
    Link("related_event_id", services.CALENDAR, "events"),
)
# The databases the check reads: the tasks' and those owning what tasks link to.
DATABASES: tuple[services.Service, ...] = (
    services.TASKS,
    *dict.fromkeys(link.service for link in LINKS),
)


@dataclass(frozen=True)
class Orphan:
    task_id: str
    task_title: str
    column: str
    missing_id: str
    service: str
    table: str


def referenced_ids(tasks_dsn: str, column: str) -> list[uuid.UUID]:
    with psycopg.connect(tasks_dsn) as conn:
        rows = conn.execute(
            f"SELECT DISTINCT {column} FROM tasks WHERE {column} IS NOT NULL"
        ).fetchall()
    return [row[0] for row in rows]


def missing_ids(owner_dsn: str, table: str, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """The ids among `ids` with no row in `table` (one anti-join over the whole set)."""
    if not ids:
        return set()
    with psycopg.connect(owner_dsn) as conn:
        rows = conn.execute(
            f"SELECT r.id FROM unnest(%s::uuid[]) AS r(id) "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.id = r.id)",
            (ids,),
        ).fetchall()
    return {row[0] for row in rows}


def find_orphans(urls: dict[str, str]) -> list[Orphan]:
    """`urls` maps each of `DATABASES` (by name) to its database URL."""
    tasks_dsn = services.libpq_dsn(urls["tasks"])
    orphans: list[Orphan] = []
    for link in LINKS:
        ids = referenced_ids(tasks_dsn, link.column)
        missing = missing_ids(services.libpq_dsn(urls[link.service.name]), link.table, ids)
        if not missing:
            continue
        with psycopg.connect(tasks_dsn) as conn:
            rows = conn.execute(
                f"SELECT id, title, {link.column} FROM tasks "
                f"WHERE {link.column} = ANY(%s) ORDER BY {link.column}, id",
                (list(missing),),
            ).fetchall()
        orphans.extend(
            Orphan(
                task_id=str(task_id),
                task_title=title,
                column=link.column,
                missing_id=str(missing_id),
                service=link.service.name,
                table=link.table,
            )
            for task_id, title, missing_id in rows
        )
    return orphans


def register(app: typer.Typer) -> None:
    @app.command()
    @services.with_database_options(DATABASES)
    def integrity(
        databases: services.DatabaseOptions,
        json_output: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    ) -> None:
        """Cross-service orphans: tasks linked to PPAs, assessments or events that no longer
        exist. Exit 1 when any is found. URLs default to OBCMS_<SERVICE>_DATABASE_URL."""
        try:
            urls = {
                name: services.database_url(services.BY_NAME[name], url)
                for name, url in databases.items()
            }
        except services.MissingDatabaseUrlError as exc:
            raise fail(str(exc)) from exc
        orphans = find_orphans(urls)
        if json_output:
            emit_json({"ok": not orphans, "orphans": [asdict(orphan) for orphan in orphans]})
        elif orphans:
            typer.echo(f"{len(orphans)} orphaned task reference(s):")
            typer.echo(
                table(
                    ["task", "title", "column", "missing id", "owner"],
                    [
                        (o.task_id, o.task_title, o.column, o.missing_id, f"{o.service}.{o.table}")
                        for o in orphans
                    ],
                )
            )
        else:
            typer.echo("integrity: no orphaned task references (ppas, assessments, events)")
        if orphans:
            raise typer.Exit(1)
