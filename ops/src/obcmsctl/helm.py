"""The Helm release, through the helm-python SDK (``libhelm_c``; no ``helm`` binary needed).

These calls need a cluster: the kubeconfig from ``--kubeconfig``, ``KUBECONFIG``,
``~/.kube/config`` or the in-cluster service account, as ``helm`` itself resolves it.

Helm 4 applies a release's objects server-side, each field owned by the field manager that
applied it last: ``helm`` for the helm CLI, the program's name (``python``) for this SDK. An
upgrade here after one with the CLI (the README's install) conflicts on every field it
changes (an image tag), so upgrades and rollbacks force the conflicts, as
``helm upgrade --force-conflicts`` does: the chart, not the tool that last applied it, says
what the objects hold. helm-python-sdk 0.2.2 passes that option to libhelm but has no
parameter for it, hence the calls below through its native layer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import helm_python
from helm_python import HelmError, _native

__all__ = ["HelmError", "rollback_release", "upgrade_release"]

WAIT = "watcher"  # wait for the resources to become ready (helm --wait)


def rollback_release(
    release: str,
    namespace: str,
    revision: int | None = None,
    kubeconfig: Path | None = None,
    timeout_seconds: int = 600,
) -> None:
    """``helm rollback RELEASE [REVISION] --wait --force-conflicts``: the previous revision
    when None."""
    options: dict[str, Any] = {
        "timeout_seconds": timeout_seconds,
        "wait": WAIT,
        "force_conflicts": True,
    }
    if revision is not None:
        options["version"] = revision
    with helm_python.Config(kubeconfig_path=kubeconfig, namespace=namespace) as config:
        _native.call_status("helm_rollback", config._raw(), release, json.dumps(options))


def upgrade_release(
    chart: Path,
    release: str,
    namespace: str,
    values: dict[str, Any] | None = None,
    kubeconfig: Path | None = None,
    timeout_seconds: int = 900,
) -> dict[str, Any]:
    """``helm upgrade RELEASE CHART --reuse-values --wait --force-conflicts``; returns the
    release summary."""
    options = {
        "namespace": namespace,
        "timeout_seconds": timeout_seconds,
        "wait": WAIT,
        "reuse_values": True,
        "force_conflicts": True,
    }
    with helm_python.Config(kubeconfig_path=kubeconfig, namespace=namespace) as config:
        handle, reference = config._chart_args(chart)
        payload = _native.call_string(
            "helm_upgrade",
            config._raw(),
            config._context_arg(None),
            handle,
            reference,
            release,
            None if values is None else json.dumps(values),
            json.dumps(options),
        )
        result: dict[str, Any] = json.loads(payload)
        return result
