"""`obcmsctl preflight`: each check failing and passing, against real databases."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from obcms_platform import migrations, registry
from obcms_platform.testing.auth import new_key_pair
from obcmsctl.backup import create_backup
from obcmsctl.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("OBCMS_") and key not in {
            "OBCMS_TEST_DATABASE_URL",
            "OBCMS_TEST_REDIS_URL",
        }:
            monkeypatch.delenv(key)


@pytest.fixture
def deployed(databases: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, url in databases.items():
        monkeypatch.setenv(f"OBCMS_{name.upper()}_DATABASE_URL", url)
    return databases


def _preflight(*args: str) -> tuple[int, dict[str, dict]]:
    result = runner.invoke(app, ["preflight", "--json", *args])
    report = json.loads(result.output)
    return result.exit_code, {check["name"]: check for check in report["checks"]}


def _failed(checks: dict[str, dict]) -> set[str]:
    return {name for name, check in checks.items() if not check["ok"]}


def test_everything_in_order_passes(deployed: dict[str, str], tmp_path: Path) -> None:
    create_backup(tmp_path, deployed)
    code, checks = _preflight("--backup-dir", str(tmp_path))
    assert _failed(checks) == set()
    assert code == 0
    assert checks["migrations:tasks"]["detail"].startswith("at head")

    table = runner.invoke(app, ["preflight", "--backup-dir", str(tmp_path)])
    assert table.exit_code == 0
    assert "preflight: all ok" in table.output


def test_pending_migration_fails(deployed: dict[str, str], tmp_path: Path) -> None:
    create_backup(tmp_path, deployed)
    migrations.downgrade("tasks_service", deployed["tasks"], "-1")
    code, checks = _preflight("--backup-dir", str(tmp_path))
    assert code == 1
    assert _failed(checks) == {"migrations:tasks"}
    assert "pending" in checks["migrations:tasks"]["detail"]
    assert migrations.head_revision("tasks_service") in checks["migrations:tasks"]["detail"]

    table = runner.invoke(app, ["preflight", "--backup-dir", str(tmp_path)])
    assert table.exit_code == 1
    (line,) = [line for line in table.output.splitlines() if line.startswith("migrations:tasks")]
    assert "FAILED" in line
    assert "1 check(s) failed" in table.output


def test_missing_or_unreachable_database_fails(
    deployed: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_backup(tmp_path, deployed)
    monkeypatch.delenv("OBCMS_GATEWAY_DATABASE_URL")
    code, checks = _preflight(
        "--backup-dir",
        str(tmp_path),
        "--calendar-db",
        deployed["calendar"].rsplit("/", 1)[0] + "/no_such_database",
    )
    assert code == 1
    assert _failed(checks) == {"migrations:gateway", "migrations:calendar"}
    assert "OBCMS_GATEWAY_DATABASE_URL" in checks["migrations:gateway"]["detail"]
    assert "cannot read the revision" in checks["migrations:calendar"]["detail"]


def test_backup_missing_old_or_corrupt_fails(deployed: dict[str, str], tmp_path: Path) -> None:
    code, checks = _preflight()
    assert code == 1
    assert _failed(checks) == {"backup"}
    assert "--backup-dir" in checks["backup"]["detail"]

    code, checks = _preflight("--backup-dir", str(tmp_path))
    assert _failed(checks) == {"backup"}
    assert "no backup" in checks["backup"]["detail"]

    old = datetime.now(UTC) - timedelta(hours=30)
    create_backup(tmp_path, deployed, now=old)
    code, checks = _preflight("--backup-dir", str(tmp_path))
    assert _failed(checks) == {"backup"}
    assert "h old" in checks["backup"]["detail"]
    code, checks = _preflight("--backup-dir", str(tmp_path), "--max-age-hours", "48")
    assert (code, _failed(checks)) == (0, set())

    folder = create_backup(tmp_path, deployed)
    (folder / "portfolio.dump").write_bytes(b"truncated")
    code, checks = _preflight("--backup-dir", str(tmp_path))
    assert _failed(checks) == {"backup"}
    assert "portfolio: size" in checks["backup"]["detail"]


def test_settings_production_needs_real_keys(
    deployed: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_backup(tmp_path, deployed)
    code, checks = _preflight("--backup-dir", str(tmp_path), "--production")
    assert code == 1
    assert _failed(checks) == {f"settings:{d.name}" for d in registry.DEPLOYABLES}
    assert "not 'production'" in checks["settings:tasks"]["detail"]

    monkeypatch.setenv("OBCMS_MODE", "production")
    code, checks = _preflight("--backup-dir", str(tmp_path), "--production")
    assert code == 1
    assert "development default" in checks["settings:tasks"]["detail"]
    assert "development default" in checks["settings:gateway"]["detail"]

    private, public = new_key_pair()
    monkeypatch.setenv("OBCMS_INTERNAL_TOKEN_PUBLIC_KEY", public)
    monkeypatch.setenv("OBCMS_GATEWAY_INTERNAL_TOKEN_PRIVATE_KEY", private)
    monkeypatch.setenv(
        "OBCMS_UNSUBSCRIBE_SECRET", "wq8Vb3LrZtX0n6Pk1JdYc9HfMs4UaGe7o2TiRyQ5lBhNvK-DxW_Ej"
    )
    code, checks = _preflight("--backup-dir", str(tmp_path), "--production")
    assert _failed(checks) == {"settings:gateway"}
    assert "SECRET_KEY" in checks["settings:gateway"]["detail"]

    monkeypatch.setenv(
        "OBCMS_GATEWAY_SECRET_KEY", "C74C1Al9nJQuadytkAyemwMz-39MzJq3VWyue-zes_rvNmD2woIup7u"
    )
    monkeypatch.setenv("OBCMS_GATEWAY_ALLOWED_HOSTS", "obcms.example.org")
    code, checks = _preflight("--backup-dir", str(tmp_path), "--production")
    assert _failed(checks) == set()
    assert code == 0
    assert checks["settings:gateway"]["detail"] == "mode production"
