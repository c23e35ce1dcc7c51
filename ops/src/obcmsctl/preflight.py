"""``obcmsctl preflight``: what must hold before a deployment starts.

- migrations: each database reachable, and at its Alembic head (a pending migration means
  the schema is behind the code that is running: deploy the migration Jobs first);
- settings: each service's own settings class loads from the environment (so production
  mode refuses the development keys exactly as the service would at start-up), production
  mode when ``--production``, and the gateway's ``check-deploy`` problems in production;
- backup: a verified backup (manifest sizes and checksums) younger than ``--max-age-hours``
  in ``--backup-dir``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from gateway_service.security.checks import deploy_problems
from gateway_service.settings import GatewaySettings
from obcms_platform import migrations
from obcms_platform.settings import RunMode, ServiceSettings
from obcmsctl import backup, services
from obcmsctl.output import report_outcomes

# Each deployable's own settings class, imported from the registry's path.
SETTINGS: dict[str, type[ServiceSettings]] = {
    service.name: service.settings_type() for service in services.ALL
}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def migration_checks(urls: services.DatabaseOptions) -> list[Check]:
    checks: list[Check] = []
    for service in services.ALL:
        name = f"migrations:{service.name}"
        try:
            url = services.database_url(service, urls.get(service.name))
            current = migrations.current_revision(service.package, url)
        except services.MissingDatabaseUrlError as exc:
            checks.append(Check(name, False, str(exc)))
            continue
        except Exception as exc:  # the database is unreachable or not ours
            checks.append(Check(name, False, f"cannot read the revision: {exc}"))
            continue
        head = migrations.head_revision(service.package)
        if current == head:
            checks.append(Check(name, True, f"at head {head}"))
        else:
            checks.append(Check(name, False, f"pending: database at {current}, head is {head}"))
    return checks


def settings_checks(production: bool) -> list[Check]:
    checks: list[Check] = []
    for name, settings_class in SETTINGS.items():
        check = f"settings:{name}"
        try:
            settings = settings_class()
        except ValidationError as exc:
            messages = "; ".join(str(error["msg"]) for error in exc.errors())
            checks.append(Check(check, False, messages))
            continue
        problems: list[str] = []
        if production and settings.mode is not RunMode.PRODUCTION:
            problems.append(
                f"{settings.env_prefix}MODE is {settings.mode.value!r}, not 'production'"
            )
        if isinstance(settings, GatewaySettings) and settings.mode is RunMode.PRODUCTION:
            problems += deploy_problems(settings)
        if problems:
            checks.append(Check(check, False, "; ".join(problems)))
        else:
            checks.append(Check(check, True, f"mode {settings.mode.value}"))
    return checks


def backup_check(backup_dir: Path | None, max_age_hours: float, now: datetime) -> Check:
    name = "backup"
    if backup_dir is None:
        return Check(name, False, "no --backup-dir given (take one with `obcmsctl backup`)")
    folders = backup.backup_folders(backup_dir)
    if not folders:
        return Check(name, False, f"no backup in {backup_dir}")
    newest = folders[-1]
    created = datetime.fromisoformat(backup.read_manifest(newest)["created_at"])
    age = now - created
    if age > timedelta(hours=max_age_hours):
        hours = age.total_seconds() / 3600
        return Check(
            name, False, f"newest backup {newest.name} is {hours:.1f} h old (> {max_age_hours} h)"
        )
    databases = [s.name for s in services.ALL]
    problems = backup.verify(newest, databases)
    if problems:
        detail = "; ".join(f"{p.database}: {p.problem}" for p in problems)
        return Check(name, False, f"{newest.name} fails verification: {detail}")
    return Check(name, True, f"{newest.name}, verified")


def run_checks(
    urls: services.DatabaseOptions,
    backup_dir: Path | None,
    max_age_hours: float,
    production: bool,
    now: datetime | None = None,
) -> list[Check]:
    return [
        *migration_checks(urls),
        *settings_checks(production),
        backup_check(backup_dir, max_age_hours, now or datetime.now(UTC)),
    ]


def register(app: typer.Typer) -> None:
    @app.command()
    @services.with_database_options(services.ALL)
    def preflight(
        backup_dir: Annotated[
            Path | None, typer.Option(help="where `obcmsctl backup` writes backups")
        ] = None,
        max_age_hours: Annotated[
            float, typer.Option(help="the newest backup may be this old at most")
        ] = 24.0,
        production: Annotated[
            bool, typer.Option("--production", help="require production mode everywhere")
        ] = False,
        *,
        databases: services.DatabaseOptions,
        json_output: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    ) -> None:
        """Pending migrations, settings sanity and a recent backup; exit 1 on any failure.
        Settings and URLs come from the environment (OBCMS_*), as the services read them."""
        checks = run_checks(databases, backup_dir, max_age_hours, production)
        failed = [check for check in checks if not check.ok]
        summary = f"preflight: {len(failed)} check(s) failed" if failed else "preflight: all ok"
        report_outcomes("check", checks, json_output, summary)
