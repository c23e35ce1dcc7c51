"""The Helm release, through the helm-python SDK (``libhelm_c``; no ``helm`` binary needed).

These calls need a cluster: the kubeconfig from ``--kubeconfig``, ``KUBECONFIG``,
``~/.kube/config`` or the in-cluster service account, as ``helm`` itself resolves it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import helm_python
from helm_python import HelmError

__all__ = ["HelmError", "rollback_release", "upgrade_release"]

WAIT = "watcher"  # wait for the resources to become ready (helm --wait)


def rollback_release(
    release: str,
    namespace: str,
    revision: int | None = None,
    kubeconfig: Path | None = None,
    timeout_seconds: int = 600,
) -> None:
    """``helm rollback RELEASE [REVISION] --wait``: the previous revision when None."""
    with helm_python.Config(kubeconfig_path=kubeconfig, namespace=namespace) as config:
        config.rollback(release, version=revision, timeout=timeout_seconds, wait=WAIT)


def upgrade_release(
    chart: Path,
    release: str,
    namespace: str,
    values: dict[str, Any] | None = None,
    kubeconfig: Path | None = None,
    timeout_seconds: int = 900,
) -> dict[str, Any]:
    """``helm upgrade RELEASE CHART --reuse-values --wait``; returns the release summary."""
    with helm_python.Config(kubeconfig_path=kubeconfig, namespace=namespace) as config:
        result: dict[str, Any] = config.upgrade(
            str(chart),
            release,
            values,
            namespace=namespace,
            timeout=timeout_seconds,
            wait=WAIT,
            reuse_values=True,
        )
        return result
