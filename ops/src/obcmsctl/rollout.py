"""Waiting for a release's Deployments to finish rolling out (``kubectl rollout status``),
with the ``kubernetes`` client. Needs a cluster."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes import client, config


@dataclass(frozen=True)
class RolloutState:
    name: str
    done: bool
    detail: str


def deployment_state(deployment: Any) -> RolloutState:
    """The rollout status of one Deployment, by the rules ``kubectl rollout status`` uses."""
    name = deployment.metadata.name
    status = deployment.status
    wanted = deployment.spec.replicas if deployment.spec.replicas is not None else 1
    if (status.observed_generation or 0) < (deployment.metadata.generation or 0):
        return RolloutState(name, False, "waiting for the spec to be observed")
    updated = status.updated_replicas or 0
    if updated < wanted:
        return RolloutState(name, False, f"{updated} of {wanted} replicas updated")
    if (status.replicas or 0) > updated:
        old = (status.replicas or 0) - updated
        return RolloutState(name, False, f"{old} old replicas pending termination")
    available = status.available_replicas or 0
    if available < updated:
        return RolloutState(name, False, f"{available} of {updated} updated replicas available")
    return RolloutState(name, True, f"{available} replicas available")


def wait_for_rollout(
    release: str,
    namespace: str,
    kubeconfig: Path | None = None,
    timeout_seconds: float = 600,
    poll_seconds: float = 2,
) -> list[RolloutState]:
    """Poll the release's Deployments until all are rolled out or the timeout passes;
    returns their last states."""
    if kubeconfig is not None:
        config.load_kube_config(config_file=str(kubeconfig))  # type: ignore[no-untyped-call]
    else:
        try:
            config.load_incluster_config()  # type: ignore[no-untyped-call]
        except config.ConfigException:
            config.load_kube_config()  # type: ignore[no-untyped-call]
    apps = client.AppsV1Api()
    selector = f"app.kubernetes.io/instance={release}"
    deadline = time.monotonic() + timeout_seconds
    while True:
        deployments = apps.list_namespaced_deployment(namespace, label_selector=selector)
        states = [deployment_state(item) for item in deployments.items]
        if (states and all(state.done for state in states)) or time.monotonic() > deadline:
            return states
        time.sleep(poll_seconds)
