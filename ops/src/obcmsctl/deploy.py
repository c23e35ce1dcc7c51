"""``obcmsctl deploy``: the guide's deployment as one command, with a report.

backup (every database) -> ``helm upgrade --reuse-values --wait --force-conflicts`` (the
chart's pre-upgrade Jobs migrate) -> wait for every Deployment of the release to roll out ->
smoke tests -> integrity. Stops at the first failed step; the report names it and the
backup to restore (``obcmsctl rollback --tier 3``). Needs a cluster for the Helm and rollout steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from obcmsctl import backup, helm, integrity, rollout, smoke
from obcmsctl.output import fail, report_outcomes


@dataclass(frozen=True)
class Outcome:
    step: str
    ok: bool
    detail: str


def parse_sets(values: list[str]) -> dict[str, object]:
    """``--set a.b=c`` values as nested values (Helm's parser)."""
    import helm_python

    merged: dict[str, object] = {}
    for value in values:
        if "=" not in value:
            raise ValueError(f"--set {value!r} is not KEY=VALUE")
        _merge(merged, helm_python.parse_set_string(value))
    return merged


def _merge(into: dict[str, object], extra: dict[str, object]) -> None:
    for key, value in extra.items():
        current = into.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            _merge(current, value)
        else:
            into[key] = value


def register(app: typer.Typer) -> None:
    @app.command()
    def deploy(
        chart: Annotated[Path, typer.Option(help="the chart folder (charts/obcms)")],
        release: Annotated[str, typer.Option(help="the Helm release")],
        url: Annotated[str, typer.Option(help="the gateway's public URL (smoke tests)")],
        password: Annotated[
            str, typer.Option(envvar="OBCMS_ADMIN_PASSWORD", help="admin password (smoke)")
        ],
        backup_dir: Annotated[Path, typer.Option(help="where to write the pre-deploy backup")],
        namespace: Annotated[str, typer.Option(help="namespace of the release")] = "default",
        set_: Annotated[
            list[str] | None, typer.Option("--set", help="values, e.g. image.tag=1.4.0")
        ] = None,
        kubeconfig: Annotated[Path | None, typer.Option(help="kubeconfig file")] = None,
        timeout: Annotated[int, typer.Option(help="seconds for upgrade and rollout")] = 900,
        username: Annotated[str, typer.Option(help="smoke test user")] = "admin",
        yes: Annotated[bool, typer.Option("--yes", help="confirm the deployment")] = False,
        json_output: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    ) -> None:
        """Backup, helm upgrade, wait for the rollout, smoke tests, integrity; a report."""
        if not (chart / "Chart.yaml").is_file():
            raise fail(f"{chart} is not a chart (no Chart.yaml)")
        try:
            values = parse_sets(set_ or [])
        except (ValueError, helm.HelmError) as exc:
            raise fail(str(exc)) from exc
        urls = backup.selected_urls(None, {})
        if not yes:
            raise fail(f"deploy upgrades release {release} in {namespace}; pass --yes to proceed")
        outcomes: list[Outcome] = []

        def finish() -> None:
            report_outcomes("step", outcomes, json_output)

        try:
            folder = backup.create_backup(backup_dir, urls)
        except Exception as exc:
            outcomes.append(Outcome("backup", False, str(exc)))
            finish()
            return
        outcomes.append(Outcome("backup", True, str(folder)))
        restore_hint = f"(to undo: obcmsctl rollback --tier 3 --from {folder})"
        try:
            result = helm.upgrade_release(chart, release, namespace, values, kubeconfig, timeout)
        except Exception as exc:
            outcomes.append(Outcome("helm upgrade", False, f"{exc} {restore_hint}"))
            finish()
            return
        outcomes.append(Outcome("helm upgrade", True, f"revision {result['revision']}"))
        try:
            states = rollout.wait_for_rollout(release, namespace, kubeconfig, timeout)
        except Exception as exc:
            outcomes.append(Outcome("rollout", False, f"{exc} {restore_hint}"))
            finish()
            return
        pending = [s for s in states if not s.done]
        outcomes.append(
            Outcome(
                "rollout",
                bool(states) and not pending,
                "; ".join(f"{s.name}: {s.detail}" for s in (pending or states)) or "none found",
            )
        )
        title = f"obcmsctl deploy {datetime.now(UTC):%Y-%m-%d %H:%M:%S}"
        for step in smoke.run_smoke(url, username, password, title):
            outcomes.append(Outcome(f"smoke {step.name}", step.ok, step.detail))
        orphans = integrity.find_orphans({d.name: urls[d.name] for d in integrity.DATABASES})
        outcomes.append(Outcome("integrity", not orphans, f"{len(orphans)} orphaned reference(s)"))
        finish()
