"""``obcmsctl integrity``: cross-service references that no database can enforce.

Tasks link to a PPA or an assessment (portfolio database) or an event (calendar database)
by id only. The check reads the distinct referenced ids from the tasks database, then asks
each owning database, in one set-based query per link, which of them do not exist. Links
inside one database (need -> PPA) are foreign keys and need no check.

Attachments too: a stored file is one row of its service's ``attachments`` table and one
file in its storage. The check lists both and reports files without a row and rows whose
file is missing; with ``--checksums`` it also reads every file and compares its size and
sha256 with the row's (a full read of the storage: not by default).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Annotated

import psycopg
import typer

from obcms_platform.storage import FileStorage, StoredFileMissingError
from obcmsctl import files, services
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


@dataclass(frozen=True)
class FileProblem:
    service: str
    storage_key: str
    problem: str  # one of the constants below
    attachment_id: str | None = None  # None: no row
    record: str | None = None  # "<record_type>/<record_id>"


FILE_WITHOUT_ROW = "file without an attachment row"
MISSING_FILE = "attachment row whose file is missing"
CHECKSUM_MISMATCH = "file differs from its row (size or sha256)"


def find_file_problems(
    urls: dict[str, str], storages: dict[str, FileStorage], checksums: bool = False
) -> list[FileProblem]:
    """Each service of `storages` (with its URL in `urls`) whose database has an
    ``attachments`` table: its stored files against its rows."""
    problems: list[FileProblem] = []
    for service, storage in storages.items():
        rows = files.attachment_rows(urls[service])
        if rows is None:
            continue
        by_key = {row.storage_key: row for row in rows}
        stored = set(storage.keys(files.prefix(service)))
        problems.extend(
            FileProblem(service, key, FILE_WITHOUT_ROW) for key in sorted(stored - set(by_key))
        )
        for row in rows:
            record = f"{row.record_type}/{row.record_id}"
            if row.storage_key not in stored:
                problems.append(FileProblem(service, row.storage_key, MISSING_FILE, row.id, record))
            elif checksums:
                try:
                    found = files.digest_of(storage.open(row.storage_key))
                except StoredFileMissingError:
                    problems.append(
                        FileProblem(service, row.storage_key, MISSING_FILE, row.id, record)
                    )
                    continue
                if found != (row.size, row.sha256):
                    problems.append(
                        FileProblem(service, row.storage_key, CHECKSUM_MISMATCH, row.id, record)
                    )
    return problems


def register(app: typer.Typer) -> None:
    @app.command()
    @services.with_database_options(DATABASES)
    def integrity(
        databases: services.DatabaseOptions,
        json_output: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
        checksums: Annotated[
            bool,
            typer.Option(help="also read every stored file and compare it with its row"),
        ] = False,
    ) -> None:
        """Cross-service orphans: tasks linked to PPAs, assessments or events that no longer
        exist; stored files without an attachment row, and rows whose file is missing.
        Exit 1 when any is found. URLs default to OBCMS_<SERVICE>_DATABASE_URL, each
        service's file storage is its own settings' (OBCMS_<SERVICE>_ATTACHMENTS_STORAGE...)."""
        try:
            urls = {
                name: services.database_url(services.BY_NAME[name], url)
                for name, url in databases.items()
            }
            storages = files.storages_of(urls)
        except (services.MissingDatabaseUrlError, files.StorageSettingsError) as exc:
            raise fail(str(exc)) from exc
        orphans = find_orphans(urls)
        file_problems = find_file_problems(urls, storages, checksums)
        if json_output:
            emit_json(
                {
                    "ok": not (orphans or file_problems),
                    "orphans": [asdict(orphan) for orphan in orphans],
                    "files": [asdict(problem) for problem in file_problems],
                }
            )
            if orphans or file_problems:
                raise typer.Exit(1)
            return
        if orphans:
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
        if file_problems:
            typer.echo(f"{len(file_problems)} attachment problem(s):")
            typer.echo(
                table(
                    ["service", "storage key", "problem", "attachment", "record"],
                    [
                        (
                            p.service,
                            p.storage_key,
                            p.problem,
                            p.attachment_id or "-",
                            p.record or "-",
                        )
                        for p in file_problems
                    ],
                )
            )
        else:
            checked = "sizes and checksums" if checksums else "presence"
            typer.echo(
                f"integrity: every attachment has its file and every file its row ({checked})"
            )
        if orphans or file_problems:
            raise typer.Exit(1)
