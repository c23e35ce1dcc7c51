"""``obcmsctl migrate`` and ``obcmsctl rollback``.

``migrate --plan`` shows, per database, the Alembic revision it is at, the head of the code
and the migrations an upgrade would apply. ``rollback`` is the guide's three tiers:

1. code: ``helm rollback`` of the release (expand/contract migrations keep the previous
   code working on the newer schema);
2. migrations: Alembic downgrade of one service's database to a named revision;
3. full: restore a backup of every database, then tier 1.

Every tier changes a live system and refuses to run without ``--yes``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError

from obcms_platform import migrations
from obcmsctl import backup, helm, services
from obcmsctl.output import emit_json, fail, table


def script_directory(package: str) -> ScriptDirectory:
    return ScriptDirectory.from_config(migrations.alembic_config(package, ""))


@dataclass(frozen=True)
class Plan:
    service: str
    current: str | None
    head: str | None
    to_apply: list[str] = field(default_factory=list)
    error: str | None = None


def upgrade_path(package: str, current: str | None) -> list[str]:
    """Revision ids from `current` (exclusive) to head, in the order they apply."""
    scripts = script_directory(package)
    head = scripts.get_current_head()
    if head is None or current == head:
        return []
    revisions = scripts.iterate_revisions(head, current or "base")
    return [revision.revision for revision in reversed(list(revisions))]


def downgrade_path(package: str, current: str | None, target: str) -> list[str]:
    """Revision ids a downgrade from `current` to `target` undoes, in undo order. Raises
    ValueError when `target` is unknown or not below `current`."""
    scripts = script_directory(package)
    if current is None:
        raise ValueError("the database has no Alembic revision")
    try:
        if target != "base":
            scripts.get_revision(target)
        ancestors = [r.revision for r in scripts.iterate_revisions(current, "base")]
    except CommandError as exc:
        raise ValueError(str(exc)) from exc
    if target == "base":
        return ancestors
    if target not in ancestors:
        raise ValueError(f"{target} is not an ancestor of the current revision {current}")
    return ancestors[: ancestors.index(target)]


def plan_for(service: services.Service, url: str) -> Plan:
    head = migrations.head_revision(service.package)
    try:
        current = migrations.current_revision(service.package, url)
    except Exception as exc:  # unreachable database
        return Plan(service.name, None, head, error=f"cannot read the revision: {exc}")
    try:
        to_apply = upgrade_path(service.package, current)
    except CommandError as exc:
        return Plan(service.name, current, head, error=f"unknown revision ({exc})")
    return Plan(service.name, current, head, to_apply)


DbOption = Annotated[
    str | None, typer.Option("--db", help="database URL (default OBCMS_<SERVICE>_DATABASE_URL)")
]


def register(app: typer.Typer) -> None:
    @app.command()
    @services.with_database_options(services.ALL)
    def migrate(
        plan: Annotated[bool, typer.Option("--plan", help="show what would be applied")] = False,
        service: Annotated[
            list[str] | None, typer.Option("--service", help="only these services")
        ] = None,
        *,
        databases: services.DatabaseOptions,
        json_output: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    ) -> None:
        """Migration plan per database: current -> head and the revisions to apply.
        (The chart's pre-upgrade Jobs apply them; this command only plans.)"""
        if not plan:
            raise fail("only --plan is supported: the release's migration Jobs apply them")
        urls = backup.selected_urls(service, databases)
        plans = [plan_for(services.BY_NAME[name], url) for name, url in urls.items()]
        if json_output:
            emit_json([asdict(p) for p in plans])
        else:
            typer.echo(
                table(
                    ["service", "current", "head", "to apply"],
                    [
                        (
                            p.service,
                            p.current or "(none)",
                            p.head,
                            p.error or (", ".join(p.to_apply) or "nothing (at head)"),
                        )
                        for p in plans
                    ],
                )
            )
        if any(p.error for p in plans):
            raise typer.Exit(1)

    @app.command()
    def rollback(
        tier: Annotated[int, typer.Option(min=1, max=3, help="1 code, 2 migrations, 3 full")],
        service: Annotated[str | None, typer.Option(help="tier 2: the service")] = None,
        revision: Annotated[
            str | None, typer.Option(help="tier 2: Alembic revision to downgrade to")
        ] = None,
        db: DbOption = None,
        release: Annotated[str | None, typer.Option(help="tiers 1, 3: Helm release")] = None,
        namespace: Annotated[str, typer.Option(help="tiers 1, 3: namespace")] = "default",
        release_revision: Annotated[
            int | None, typer.Option(help="tiers 1, 3: Helm revision (default: previous)")
        ] = None,
        kubeconfig: Annotated[Path | None, typer.Option(help="tiers 1, 3: kubeconfig")] = None,
        from_: Annotated[
            Path | None, typer.Option("--from", help="tier 3: backup folder (or their parent)")
        ] = None,
        yes: Annotated[bool, typer.Option("--yes", help="confirm the rollback")] = False,
    ) -> None:
        """Roll back: tier 1 helm rollback, tier 2 Alembic downgrade of one service,
        tier 3 restore every database from a backup then tier 1."""
        if tier == 2:
            _tier_two(service, revision, db, yes)
            return
        if not release:
            raise fail(f"tier {tier} needs --release (the Helm release to roll back)")
        folder: Path | None = None
        if tier == 3:
            if from_ is None:
                raise fail("tier 3 needs --from (the backup to restore)")
            try:
                folder = backup.resolve_backup(from_)
            except backup.BackupError as exc:
                raise fail(str(exc)) from exc
        if not yes:
            raise fail(f"tier {tier} rollback changes the live release; pass --yes to proceed")
        if folder is not None:
            urls = backup.selected_urls(None, {})
            try:
                backup.restore_backup(folder, urls)
            except backup.BackupError as exc:
                raise fail(str(exc), 1) from exc
            typer.echo(f"restored every database from {folder}")
        try:
            helm.rollback_release(release, namespace, release_revision, kubeconfig)
        except helm.HelmError as exc:
            raise fail(f"helm rollback of {release} failed: {exc}", 1) from exc
        target = release_revision or "the previous revision"
        typer.echo(f"release {release} rolled back to {target}")


def _tier_two(service: str | None, revision: str | None, db: str | None, yes: bool) -> None:
    if not service or service not in services.BY_NAME:
        raise fail(f"tier 2 needs --service, one of {', '.join(services.BY_NAME)}")
    if not revision:
        raise fail("tier 2 needs --revision (the Alembic revision to downgrade to)")
    target = services.BY_NAME[service]
    try:
        url = services.database_url(target, db)
    except services.MissingDatabaseUrlError as exc:
        raise fail(str(exc)) from exc
    current = migrations.current_revision(target.package, url)
    try:
        undone = downgrade_path(target.package, current, revision)
    except ValueError as exc:
        raise fail(f"{service}: {exc}") from exc
    if not undone:
        typer.echo(f"{service}: already at {revision}; nothing to do")
        return
    typer.echo(f"{service}: {current} -> {revision}, undoing {', '.join(undone)}")
    if not yes:
        raise fail("a downgrade may drop columns and their data; pass --yes to proceed")
    migrations.downgrade(target.package, url, revision)
    typer.echo(f"{service}: now at {migrations.current_revision(target.package, url)}")
