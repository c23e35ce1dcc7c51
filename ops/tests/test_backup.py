"""`obcmsctl backup` / `restore`: a round trip through pg_dump and pg_restore."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from ops_helpers import (
    add,
    assessment,
    database_options,
    event,
    ppa,
    table_fingerprints,
    task,
)
from typer.testing import CliRunner

from obcms_platform import migrations, registry
from obcmsctl.backup import MANIFEST
from obcmsctl.cli import app
from obcmsctl.services import libpq_dsn

runner = CliRunner()


def test_backup_wipe_restore_gives_identical_tables(
    databases: dict[str, str], tmp_path: Path
) -> None:
    ppas = [ppa(f"PPA {n}") for n in range(5)]
    add(databases["portfolio"], *ppas, assessment())
    add(databases["calendar"], event(), event())
    add(
        databases["tasks"],
        *[task(f"Task {n}", related_ppa_id=ppas[n % 5].id) for n in range(40)],
    )
    before = {name: table_fingerprints(url) for name, url in databases.items()}
    assert before["tasks"]["tasks"][0] == 40

    result = runner.invoke(app, ["backup", "--out", str(tmp_path), *database_options(databases)])
    assert result.exit_code == 0, result.output
    (folder,) = [p for p in tmp_path.iterdir() if p.name.startswith("obcms-backup-")]
    manifest = json.loads((folder / MANIFEST).read_text())
    assert set(manifest["databases"]) == {d.name for d in registry.DEPLOYABLES}
    for name, entry in manifest["databases"].items():
        assert entry["size"] == (folder / entry["file"]).stat().st_size > 0
        assert len(entry["sha256"]) == 64
        assert entry["alembic_revision"] == migrations.head_revision(registry.by_name(name).package)

    # Wipe: delete every task, and drop the portfolio's PPA tables outright.
    with psycopg.connect(libpq_dsn(databases["tasks"])) as conn:
        conn.execute("DELETE FROM tasks")
    with psycopg.connect(libpq_dsn(databases["portfolio"])) as conn:
        conn.execute("DROP TABLE ppas CASCADE")
    assert table_fingerprints(databases["tasks"])["tasks"][0] == 0

    refused = runner.invoke(app, ["restore", "--from", str(tmp_path), *database_options(databases)])
    assert refused.exit_code == 2
    assert "--yes" in refused.output

    result = runner.invoke(
        app, ["restore", "--from", str(tmp_path), "--yes", *database_options(databases)]
    )
    assert result.exit_code == 0, result.output
    after = {name: table_fingerprints(url) for name, url in databases.items()}
    assert after == before


def test_restore_refuses_a_corrupted_backup(databases: dict[str, str], tmp_path: Path) -> None:
    add(databases["tasks"], task("Kept"))
    options = ["--service", "tasks", "--tasks-db", databases["tasks"]]
    result = runner.invoke(app, ["backup", "--out", str(tmp_path), *options])
    assert result.exit_code == 0, result.output
    (folder,) = list(tmp_path.iterdir())
    dump = folder / "tasks.dump"
    data = bytearray(dump.read_bytes())
    data[-10] ^= 0xFF
    dump.write_bytes(bytes(data))
    with psycopg.connect(libpq_dsn(databases["tasks"])) as conn:
        conn.execute("DELETE FROM tasks")

    result = runner.invoke(app, ["restore", "--from", str(folder), "--yes", *options])
    assert result.exit_code == 1
    assert "sha256 differs" in result.output
    assert table_fingerprints(databases["tasks"])["tasks"][0] == 0  # nothing restored
