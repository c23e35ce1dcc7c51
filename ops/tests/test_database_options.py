"""obcmsctl's per-database options come from the platform registry: a new service's
database is reachable from every command without editing them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import typer
from typer.testing import CliRunner

from obcms_platform import registry
from obcmsctl import backup, preflight, schema, services

runner = CliRunner()

ARCHIVE = registry.Deployable(
    name="archive",
    package="archive_service",
    settings_class="archive_service.settings:ArchiveSettings",
    default_port=8099,
)


@pytest.mark.parametrize(
    ("register", "command"),
    [
        (backup.register, "backup"),
        (backup.register, "restore"),
        (schema.register, "migrate"),
        (preflight.register, "preflight"),
    ],
)
def test_a_declared_service_gets_its_database_option(
    monkeypatch: pytest.MonkeyPatch, register: Callable[[typer.Typer], None], command: str
) -> None:
    monkeypatch.setattr(services, "ALL", (*registry.DEPLOYABLES, ARCHIVE))
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)

    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})

    assert result.exit_code == 0, result.output
    for deployable in (*registry.DEPLOYABLES, ARCHIVE):
        assert f"--{deployable.name}-db" in result.output
        assert f"{deployable.name} database URL" in result.output
