"""Attachments in `obcmsctl backup` / `restore` and `obcmsctl integrity`: the files of the
services that store them, in a local folder and in S3 (moto's server, see `testing.s3`)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import psycopg
import pytest
from ops_helpers import attach, database_options
from typer.testing import CliRunner

from obcms_platform import registry
from obcms_platform.storage import FileStorage, LocalStorage, S3Storage
from obcms_platform.testing.s3 import S3Server
from obcmsctl.backup import MANIFEST
from obcmsctl.cli import app
from obcmsctl.integrity import CHECKSUM_MISMATCH, DATABASES, FILE_WITHOUT_ROW, MISSING_FILE
from obcmsctl.services import libpq_dsn

runner = CliRunner()
FILE_SERVICES = [service.name for service in registry.file_stores()]


@pytest.fixture
def local_files(attachments_folder: Path) -> LocalStorage:
    return LocalStorage(attachments_folder)


@pytest.fixture
def s3_files(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Storage:
    bucket = s3_server.new_bucket()
    for name, value in s3_server.credentials_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("OBCMS_ATTACHMENTS_STORAGE", "s3")
    monkeypatch.setenv("OBCMS_S3_BUCKET", bucket)
    monkeypatch.setenv("OBCMS_S3_ENDPOINT_URL", s3_server.endpoint_url)
    return S3Storage(bucket, endpoint_url=s3_server.endpoint_url)


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest) -> FileStorage:
    chosen: FileStorage = request.getfixturevalue(f"{request.param}_files")
    return chosen


def checksums(storage: FileStorage) -> dict[str, str]:
    return {
        key: hashlib.sha256(b"".join(storage.open(key))).hexdigest() for key in storage.keys("")
    }


def backup(databases: dict[str, str], out: Path, *only: str):
    services = [option for name in only for option in ("--service", name)]
    return runner.invoke(
        app, ["backup", "--out", str(out), *services, *database_options(databases)]
    )


def restore(databases: dict[str, str], source: Path, *only: str):
    services = [option for name in only for option in ("--service", name)]
    return runner.invoke(
        app, ["restore", "--from", str(source), "--yes", *services, *database_options(databases)]
    )


def test_backup_wipe_restore_brings_the_files_back_identical(
    databases: dict[str, str], storage: FileStorage, tmp_path: Path
) -> None:
    minutes = attach(databases["tasks"], storage, "tasks", b"%PDF-1.7 minutes")
    # Several MiB: copied and put back in chunks (a multipart upload to S3).
    large = attach(databases["portfolio"], storage, "portfolio", os.urandom(9 << 20), "ppa")
    photo = attach(databases["portfolio"], storage, "portfolio", b"\x89PNG", "ppa", "image/png")
    before = checksums(storage)
    assert set(before) == {minutes, large, photo}

    result = backup(databases, tmp_path / "backups")
    assert result.exit_code == 0, result.output
    assert "files of portfolio: 2" in result.output
    (folder,) = (tmp_path / "backups").iterdir()
    manifest = json.loads((folder / MANIFEST).read_text())
    assert set(manifest["files"]) == set(FILE_SERVICES)
    assert manifest["files"]["tasks"] == {minutes: {"size": 16, "sha256": before[minutes]}}
    assert manifest["files"]["portfolio"][large]["size"] == 9 << 20
    assert (folder / "files" / large).stat().st_size == 9 << 20

    # Lost: every file, and a file stored after the backup (its row is not in the backup).
    for key in before:
        storage.delete(key)
    late = attach(databases["tasks"], storage, "tasks", b"uploaded after the backup")
    assert list(storage.keys()) == [late]

    result = restore(databases, folder)
    assert result.exit_code == 0, result.output
    assert checksums(storage) == before
    if isinstance(storage, S3Storage):
        head = storage.client.head_object(Bucket=storage.bucket, Key=photo)
        assert head["ContentType"] == "image/png"  # from the restored row
    assert _integrity(databases).exit_code == 0


def test_restore_refuses_a_backup_with_a_corrupted_file_and_touches_nothing(
    databases: dict[str, str], local_files: LocalStorage, tmp_path: Path
) -> None:
    key = attach(databases["tasks"], local_files, "tasks", b"the agreed budget")
    result = backup(databases, tmp_path / "backups", "tasks")
    assert result.exit_code == 0, result.output
    (folder,) = (tmp_path / "backups").iterdir()
    (folder / "files" / key).write_bytes(b"the agreed budgeT")  # same size, other bytes
    local_files.delete(key)
    with psycopg.connect(libpq_dsn(databases["tasks"])) as conn:
        conn.execute("DELETE FROM attachments")

    result = restore(databases, folder, "tasks")
    assert result.exit_code == 1
    assert f"file {key} sha256 differs" in result.output
    assert list(local_files.keys()) == []
    with psycopg.connect(libpq_dsn(databases["tasks"])) as conn:
        assert conn.execute("SELECT count(*) FROM attachments").fetchone() == (0,)


def test_a_backup_of_one_service_restores_only_its_files(
    databases: dict[str, str], local_files: LocalStorage, tmp_path: Path
) -> None:
    task_file = attach(databases["tasks"], local_files, "tasks", b"task file")
    ppa_file = attach(databases["portfolio"], local_files, "portfolio", b"ppa file", "ppa")
    result = backup(databases, tmp_path / "backups", "tasks")
    assert result.exit_code == 0, result.output
    local_files.delete(task_file)

    result = restore(databases, tmp_path / "backups", "tasks")
    assert result.exit_code == 0, result.output
    assert sorted(local_files.keys()) == sorted([ppa_file, task_file])


def _integrity(databases: dict[str, str], *extra: str):
    return runner.invoke(app, ["integrity", *database_options(databases, DATABASES), *extra])


def test_integrity_finds_files_without_rows_and_rows_without_files(
    databases: dict[str, str], storage: FileStorage
) -> None:
    kept = attach(databases["tasks"], storage, "tasks", b"kept")
    missing = attach(databases["portfolio"], storage, "portfolio", b"lost", "assessment")
    orphan = attach(databases["tasks"], storage, "tasks", b"row deleted")
    storage.delete(missing)
    with psycopg.connect(libpq_dsn(databases["tasks"])) as conn:
        conn.execute("DELETE FROM attachments WHERE storage_key = %s", (orphan,))

    result = _integrity(databases)
    assert result.exit_code == 1, result.output
    assert "2 attachment problem(s)" in result.output
    assert orphan in result.output
    assert missing in result.output
    assert kept not in result.output

    result = _integrity(databases, "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["ok"] is False
    assert report["orphans"] == []
    found = {(p["service"], p["storage_key"], p["problem"]) for p in report["files"]}
    assert found == {
        ("tasks", orphan, FILE_WITHOUT_ROW),
        ("portfolio", missing, MISSING_FILE),
    }
    (lost,) = [p for p in report["files"] if p["problem"] == MISSING_FILE]
    assert lost["record"].startswith("assessment/")


def test_integrity_with_checksums_finds_a_changed_file(
    databases: dict[str, str], local_files: LocalStorage
) -> None:
    key = attach(databases["tasks"], local_files, "tasks", b"signed contract")
    assert _integrity(databases, "--checksums").exit_code == 0
    local_files.path_of(key).write_bytes(b"signed contracT")  # same size, other bytes
    assert _integrity(databases).exit_code == 0  # presence only, by default

    result = _integrity(databases, "--checksums", "--json")
    assert result.exit_code == 1, result.output
    (problem,) = json.loads(result.output)["files"]
    assert (problem["storage_key"], problem["problem"]) == (key, CHECKSUM_MISMATCH)


def test_integrity_skips_a_database_without_an_attachments_table(
    databases: dict[str, str], local_files: LocalStorage
) -> None:
    attach(databases["portfolio"], local_files, "portfolio", b"stray", "ppa")
    with psycopg.connect(libpq_dsn(databases["portfolio"])) as conn:
        conn.execute("DROP TABLE attachments")
    result = _integrity(databases)
    assert result.exit_code == 0, result.output
    assert "every attachment has its file" in result.output
