"""``obcmsctl backup`` and ``obcmsctl restore``: every service database, dumped together,
and the attachments of the services that store files.

A backup is a folder ``obcms-backup-<UTC time>`` with one ``pg_dump -Fc`` file per database,
a copy of every stored file under ``files/<key>`` and ``manifest.json`` (size, sha256 and
Alembic revision of each dump; size and sha256 of each file). The files are copied after
the dumps: every attachment row of a dump has its file, unless the record was deleted while
the backup ran. ``restore`` verifies the manifest (dumps and files present, sizes and
checksums) before touching anything, then runs ``pg_restore --clean --if-exists`` per
database and checks the restored Alembic revision, then makes each service's storage (local
folder or S3 bucket, as configured now) hold exactly the backed-up files.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from obcms_platform import migrations
from obcms_platform.storage import FileStorage, StoredFileMissingError, checked_key
from obcmsctl import files, pgtools, services
from obcmsctl.output import fail, table

MANIFEST = "manifest.json"
FOLDER_PREFIX = "obcms-backup-"
FORMAT = "pg_dump -Fc"
FILES = "files"
# A restored file whose row is gone (or a table without the column) gets this type.
UNKNOWN_CONTENT_TYPE = "application/octet-stream"


class BackupError(RuntimeError):
    pass


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _new_folder(out: Path, now: datetime) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    folder = out / f"{FOLDER_PREFIX}{stamp}"
    number = 1
    while folder.exists():
        folder = out / f"{FOLDER_PREFIX}{stamp}-{number}"
        number += 1
    folder.mkdir()
    return folder


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{what} failed ({result.returncode}): {result.stderr.strip()}")


def _copy_files(folder: Path, service: str, storage: FileStorage) -> dict[str, Any]:
    """Every file of `service` into ``files/<key>``: key -> size and sha256."""
    entries: dict[str, Any] = {}
    for key in storage.keys(files.prefix(service)):
        target = folder / FILES / checked_key(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        try:
            chunks = storage.open(key)
        except StoredFileMissingError:
            continue  # deleted (with its record) since it was listed
        with target.open("wb") as out:
            for chunk in chunks:
                out.write(chunk)
                digest.update(chunk)
        entries[key] = {"size": target.stat().st_size, "sha256": digest.hexdigest()}
    return entries


def create_backup(
    out: Path,
    urls: dict[str, str],
    pg_bin: str | None = None,
    now: datetime | None = None,
    storages: dict[str, FileStorage] | None = None,
) -> Path:
    """Dump each database of `urls` (service name -> URL), then copy the files of each
    service in `storages` (service name -> its storage); returns the backup folder."""
    created = now or datetime.now(UTC)
    folder = _new_folder(out, created)
    entries: dict[str, Any] = {}
    stored: dict[str, Any] = {}
    try:
        for name, url in urls.items():
            dsn = services.libpq_dsn(url)
            pg_dump = pgtools.find_tool("pg_dump", pgtools.server_major_version(dsn), pg_bin)
            # The revision before the dump: a migration racing the backup shows as a mismatch
            # at restore time rather than going unnoticed.
            revision = migrations.current_revision(services.BY_NAME[name].package, url)
            target = folder / f"{name}.dump"
            _run(
                [str(pg_dump), "--format=custom", "--no-owner", f"--file={target}", dsn],
                f"pg_dump of {name}",
            )
            entries[name] = {
                "file": target.name,
                "size": target.stat().st_size,
                "sha256": sha256(target),
                "alembic_revision": revision,
                "database": services.redacted(url),
            }
        for name, storage in (storages or {}).items():
            stored[name] = _copy_files(folder, name, storage)
    except BaseException:
        shutil.rmtree(folder)
        raise
    manifest = {
        "created_at": created.isoformat(),
        "format": FORMAT,
        "databases": entries,
        "files": stored,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return folder


def backup_folders(root: Path) -> list[Path]:
    """Backup folders (with a manifest) directly under `root`, oldest first."""
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and (p / MANIFEST).is_file()]
    return sorted(found, key=lambda p: read_manifest(p)["created_at"])


def resolve_backup(path: Path) -> Path:
    """`path` itself when it holds a manifest, else its newest backup folder."""
    if (path / MANIFEST).is_file():
        return path
    folders = backup_folders(path)
    if not folders:
        raise BackupError(f"no backup (folder with {MANIFEST}) at {path}")
    return folders[-1]


def read_manifest(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / MANIFEST).read_text())
    return data


@dataclass(frozen=True)
class Problem:
    database: str
    problem: str


def _verify_file(path: Path, entry: dict[str, Any]) -> str | None:
    if not path.is_file():
        return "is missing"
    if path.stat().st_size != entry["size"]:
        return f"size {path.stat().st_size}, manifest says {entry['size']}"
    if sha256(path) != entry["sha256"]:
        return "sha256 differs from the manifest"
    return None


def verify(folder: Path, names: list[str]) -> list[Problem]:
    """What is wrong with the backup of `names` in `folder` (empty when it is sound): its
    dumps and its files."""
    manifest = read_manifest(folder)
    problems: list[Problem] = []
    if manifest.get("format") != FORMAT:
        problems.append(Problem("*", f"unknown format {manifest.get('format')!r}"))
    for name in names:
        entry = manifest["databases"].get(name)
        if entry is None:
            problems.append(Problem(name, "not in the manifest"))
            continue
        path = folder / entry["file"]
        if not path.is_file():
            problems.append(Problem(name, f"{entry['file']} is missing"))
        elif path.stat().st_size != entry["size"]:
            problems.append(
                Problem(name, f"size {path.stat().st_size}, manifest says {entry['size']}")
            )
        elif sha256(path) != entry["sha256"]:
            problems.append(Problem(name, "sha256 differs from the manifest"))
    stored: dict[str, Any] = manifest.get(FILES, {})
    for name in names:
        for key, entry in stored.get(name, {}).items():
            problem = _verify_file(folder / FILES / checked_key(key), entry)
            if problem:
                problems.append(Problem(name, f"file {key} {problem}"))
    return problems


def _restore_files(
    folder: Path, service: str, entries: dict[str, Any], storage: FileStorage, url: str | None
) -> None:
    """Put every backed-up file of `service` back and remove the files it did not have
    then: the storage matches the restored database."""
    rows = files.attachment_rows(url) if url else None
    content_types = {row.storage_key: row.content_type for row in rows or []}
    for key in entries:
        with (folder / FILES / checked_key(key)).open("rb") as data:
            storage.put(key, data, content_type=content_types.get(key, UNKNOWN_CONTENT_TYPE))
    for key in list(storage.keys(files.prefix(service))):
        if key not in entries:
            storage.delete(key)


def restore_backup(
    folder: Path,
    urls: dict[str, str],
    pg_bin: str | None = None,
    storages: dict[str, FileStorage] | None = None,
) -> None:
    """Restore the databases of `urls` and the files of each service in `storages` (each
    also in `urls`) that the backup holds files of; a backup made before attachments holds
    none, and that service's storage stays as it is."""
    problems = verify(folder, list(urls))
    if problems:
        raise BackupError(
            "backup failed verification, nothing restored:\n"
            + "\n".join(f"  {p.database}: {p.problem}" for p in problems)
        )
    manifest = read_manifest(folder)
    for name, url in urls.items():
        entry = manifest["databases"][name]
        dsn = services.libpq_dsn(url)
        pg_restore = pgtools.find_tool("pg_restore", pgtools.server_major_version(dsn), pg_bin)
        _run(
            [
                str(pg_restore),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={dsn}",
                str(folder / entry["file"]),
            ],
            f"pg_restore of {name}",
        )
        revision = migrations.current_revision(services.BY_NAME[name].package, url)
        if revision != entry["alembic_revision"]:
            raise BackupError(
                f"{name}: restored revision {revision}, manifest says {entry['alembic_revision']}"
            )
    stored: dict[str, Any] = manifest.get(FILES, {})
    for name, storage in (storages or {}).items():
        if name in stored:
            _restore_files(folder, name, stored[name], storage, urls.get(name))


ServiceOption = Annotated[
    list[str] | None,
    typer.Option("--service", help="only these services (default: every database)"),
]
PgBin = Annotated[str | None, typer.Option(help="folder with pg_dump/pg_restore")]


def selected_urls(only: list[str] | None, options: services.DatabaseOptions) -> dict[str, str]:
    names = only or [service.name for service in services.ALL]
    unknown = sorted(set(names) - set(services.BY_NAME))
    if unknown:
        raise fail(f"unknown service(s): {', '.join(unknown)}")
    try:
        return {
            name: services.database_url(services.BY_NAME[name], options.get(name)) for name in names
        }
    except services.MissingDatabaseUrlError as exc:
        raise fail(str(exc)) from exc


def register(app: typer.Typer) -> None:
    @app.command()
    @services.with_database_options(services.ALL)
    def backup(
        out: Annotated[Path, typer.Option(help="folder that receives the backup folder")],
        service: ServiceOption = None,
        *,
        databases: services.DatabaseOptions,
        pg_bin: PgBin = None,
    ) -> None:
        """pg_dump -Fc of every service database into a timestamped folder with a manifest.
        URLs default to OBCMS_<SERVICE>_DATABASE_URL."""
        urls = selected_urls(service, databases)
        try:
            storages = files.storages_of(urls)
            folder = create_backup(out, urls, pg_bin, storages=storages)
        except (BackupError, pgtools.ToolNotFoundError, files.StorageSettingsError) as exc:
            raise fail(str(exc), 1) from exc
        manifest = read_manifest(folder)
        typer.echo(
            table(
                ["database", "size", "sha256", "alembic revision"],
                [
                    (name, e["size"], e["sha256"][:16], e["alembic_revision"])
                    for name, e in manifest["databases"].items()
                ],
            )
        )
        for name, entries in manifest[FILES].items():
            total = sum(entry["size"] for entry in entries.values())
            typer.echo(f"files of {name}: {len(entries)} ({total} bytes)")
        typer.echo(f"backup: {folder}")

    @app.command()
    @services.with_database_options(services.ALL)
    def restore(
        from_: Annotated[
            Path,
            typer.Option("--from", help="a backup folder, or a folder of them (newest used)"),
        ],
        service: ServiceOption = None,
        *,
        databases: services.DatabaseOptions,
        pg_bin: PgBin = None,
        yes: Annotated[bool, typer.Option("--yes", help="confirm: replaces live data")] = False,
    ) -> None:
        """Verify a backup's manifest, then pg_restore --clean --if-exists each database and
        put the backed-up files back into each service's storage (removing files it did not
        hold)."""
        if not yes:
            raise fail("restore replaces the databases' contents; pass --yes to proceed")
        urls = selected_urls(service, databases)
        try:
            folder = resolve_backup(from_)
            restore_backup(folder, urls, pg_bin, storages=files.storages_of(urls))
        except (BackupError, pgtools.ToolNotFoundError, files.StorageSettingsError) as exc:
            raise fail(str(exc), 1) from exc
        typer.echo(f"restored {', '.join(urls)} from {folder}")
