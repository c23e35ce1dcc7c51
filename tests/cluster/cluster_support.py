"""Helpers of the cluster tests: the helm CLI, the Kubernetes client and the Secrets an
operator creates before installing, against a `LocalControlPlane`."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client, config

from obcms_platform.devstack.kube import LocalControlPlane
from obcms_platform.testing.timing import deadline

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "obcms"
CRDS = Path(__file__).parent / "crds"


@dataclass
class Cluster:
    """A control plane with the clients a test talks to it through."""

    plane: LocalControlPlane
    home: Path  # HELM_*_HOME: the tests never read or write the user's helm settings

    def __post_init__(self) -> None:
        self.api = config.new_client_from_config(config_file=str(self.plane.kubeconfig))
        self.core = client.CoreV1Api(self.api)
        self.apps = client.AppsV1Api(self.api)
        self.batch = client.BatchV1Api(self.api)
        self.custom = client.CustomObjectsApi(self.api)
        self.authorization = client.AuthorizationV1Api(self.api)

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "KUBECONFIG": str(self.plane.kubeconfig),
            "HELM_CACHE_HOME": str(self.home / "cache"),
            "HELM_CONFIG_HOME": str(self.home / "config"),
            "HELM_DATA_HOME": str(self.home / "data"),
        }

    def helm(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """The helm CLI operators run, with the control plane's kubeconfig."""
        result = subprocess.run(
            [str(self.plane.binaries / "helm"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=deadline(300),
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"helm {' '.join(args)} exited {result.returncode}\n{result.stdout}\n"
                f"{result.stderr}\n--- kube-controller-manager (last lines) ---\n"
                + "\n".join(self.plane.log("kube-controller-manager").splitlines()[-20:])
            )
        return result

    def history(self, release: str, namespace: str) -> list[tuple[int, str, str]]:
        """`helm history`: (revision, status, description) of every revision."""
        out = self.helm("history", release, "-n", namespace, "-o", "json").stdout
        return [(r["revision"], r["status"], r["description"]) for r in json.loads(out)]

    def create_secret(self, namespace: str, name: str, data: dict[str, str]) -> None:
        self.core.create_namespaced_secret(
            namespace, {"metadata": {"name": name}, "type": "Opaque", "stringData": data}
        )

    def install_crds(self) -> None:
        """The monitoring.coreos.com CRDs the chart's ServiceMonitor and PrometheusRule need,
        established before the chart is installed."""
        extensions = client.ApiextensionsV1Api(self.api)
        names = []
        for path in sorted(CRDS.glob("*.yaml")):
            crd = yaml.safe_load(path.read_text())
            extensions.create_custom_resource_definition(crd)
            names.append(crd["metadata"]["name"])

        def established(name: str) -> bool:
            crd = extensions.read_custom_resource_definition(name)
            conditions = crd.status.conditions or []
            return any(c.type == "Established" and c.status == "True" for c in conditions)

        wait_for(lambda: all(established(name) for name in names), "the CRDs to be established")

    def deployments(self, namespace: str) -> dict[str, Any]:
        """The namespace's Deployments by name."""
        items = self.apps.list_namespaced_deployment(namespace).items
        return {item.metadata.name: item for item in items}

    def events(self, namespace: str, kind: str, reason: str) -> list[Any]:
        return [
            event
            for event in self.core.list_namespaced_event(namespace).items
            if event.involved_object.kind == kind and event.reason == reason
        ]

    def can(
        self,
        user: str,
        verb: str,
        resource: str,
        namespace: str,
        groups: list[str] | None = None,
    ) -> bool:
        """`kubectl auth can-i VERB RESOURCE --as USER -n NAMESPACE` (a SubjectAccessReview);
        a service account's groups unless `groups`."""
        review = self.authorization.create_subject_access_review(
            {
                "spec": {
                    "user": user,
                    "groups": groups
                    or ["system:serviceaccounts", f"system:serviceaccounts:{namespace}"],
                    "resourceAttributes": {
                        "namespace": namespace,
                        "verb": verb,
                        "resource": resource,
                    },
                }
            }
        )
        return bool(review.status.allowed)


def wait_for(condition: Any, what: str, timeout: float = 60) -> None:
    end = time.monotonic() + deadline(timeout)
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"never saw {what}")
        time.sleep(0.2)


def production_secrets(values: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The existing Secrets production values name (`database.existingSecret` ...), with
    the keys they name, as an operator creates them before `helm upgrade --install`."""
    database = values["database"]
    token = values["internalToken"]
    s3 = values["attachments"]["s3"]
    return {
        database["existingSecret"]: {
            key: f"postgresql+psycopg://obcms_{service}:pw@db.example:5432/obcms_{service}"
            for service, key in database["keys"].items()
        },
        values["redis"]["existingSecret"]: {values["redis"]["key"]: "redis://redis.example/0"},
        token["existingSecret"]: {
            token["publicKeyKey"]: "-----BEGIN PUBLIC KEY-----",
            token["privateKeyKey"]: "-----BEGIN PRIVATE KEY-----",
        },
        values["sessionSecret"]["existingSecret"]: {values["sessionSecret"]["key"]: "k" * 64},
        values["unsubscribeSecret"]["existingSecret"]: {
            values["unsubscribeSecret"]["key"]: "u" * 64
        },
        values["admin"]["existingSecret"]: {values["admin"]["passwordKey"]: "a-real-password"},
        s3["existingSecret"]: {s3["accessKeyIdKey"]: "id", s3["secretAccessKeyKey"]: "secret"},
    }
