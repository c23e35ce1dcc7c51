"""`obcmsctl deploy`: argument handling, the rollout rules on the client's real models, and a
deploy that stops at the Helm step (no cluster here: the upgrade and the rollout wait need
one and are not exercised against a cluster)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kubernetes.client import (
    V1Deployment,
    V1DeploymentSpec,
    V1DeploymentStatus,
    V1LabelSelector,
    V1ObjectMeta,
    V1PodTemplateSpec,
)
from ops_helpers import unreachable_kubeconfig
from typer.testing import CliRunner

from obcmsctl.cli import app
from obcmsctl.deploy import parse_sets
from obcmsctl.rollout import deployment_state

runner = CliRunner()
CHART = Path(__file__).resolve().parents[2] / "charts" / "obcms"


def _deployment(generation: int, observed: int, wanted: int, **status: int) -> V1Deployment:
    return V1Deployment(
        metadata=V1ObjectMeta(name="obcms-tasks", generation=generation),
        spec=V1DeploymentSpec(
            replicas=wanted,
            selector=V1LabelSelector(match_labels={"app": "tasks"}),
            template=V1PodTemplateSpec(),
        ),
        status=V1DeploymentStatus(observed_generation=observed, **status),
    )


@pytest.mark.parametrize(
    ("deployment", "done", "detail"),
    [
        (_deployment(3, 2, 2), False, "spec to be observed"),
        (_deployment(3, 3, 2, replicas=3, updated_replicas=1), False, "1 of 2 replicas updated"),
        (_deployment(3, 3, 2, replicas=3, updated_replicas=2), False, "1 old replicas"),
        (
            _deployment(3, 3, 2, replicas=2, updated_replicas=2, available_replicas=1),
            False,
            "1 of 2 updated replicas available",
        ),
        (
            _deployment(3, 3, 2, replicas=2, updated_replicas=2, available_replicas=2),
            True,
            "2 replicas available",
        ),
    ],
)
def test_rollout_rules(deployment: V1Deployment, done: bool, detail: str) -> None:
    state = deployment_state(deployment)
    assert state.done is done
    assert detail in state.detail


def test_set_values_are_parsed_like_helm() -> None:
    assert parse_sets(["image.tag=1.4.0", "image.pullPolicy=Always", "maintenanceMode=true"]) == {
        "image": {"tag": "1.4.0", "pullPolicy": "Always"},
        "maintenanceMode": True,
    }
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_sets(["image.tag"])


def _deploy(tmp_path: Path, *extra: str, chart: Path = CHART):
    return runner.invoke(
        app,
        [
            "deploy",
            "--chart",
            str(chart),
            "--release",
            "obcms",
            "--url",
            "http://127.0.0.1:9",
            "--password",
            "pw",
            "--backup-dir",
            str(tmp_path / "backups"),
            *extra,
        ],
    )


def test_refusals(tmp_path: Path, databases: dict[str, str], monkeypatch) -> None:
    result = _deploy(tmp_path, chart=tmp_path)
    assert result.exit_code == 2
    assert "no Chart.yaml" in result.output
    result = _deploy(tmp_path, "--set", "image.tag")
    assert result.exit_code == 2
    assert "KEY=VALUE" in result.output
    for name in databases:
        monkeypatch.delenv(f"OBCMS_{name.upper()}_DATABASE_URL", raising=False)
    result = _deploy(tmp_path, "--yes")
    assert result.exit_code == 2
    assert "OBCMS_GATEWAY_DATABASE_URL" in result.output
    for name, url in databases.items():
        monkeypatch.setenv(f"OBCMS_{name.upper()}_DATABASE_URL", url)
    result = _deploy(tmp_path)
    assert result.exit_code == 2
    assert "pass --yes" in result.output
    assert not (tmp_path / "backups").exists()


def test_deploy_backs_up_then_stops_at_an_unreachable_cluster(
    tmp_path: Path, databases: dict[str, str], monkeypatch
) -> None:
    for name, url in databases.items():
        monkeypatch.setenv(f"OBCMS_{name.upper()}_DATABASE_URL", url)
    kubeconfig = unreachable_kubeconfig(tmp_path)
    result = _deploy(tmp_path, "--kubeconfig", str(kubeconfig), "--yes", "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert [(s["step"], s["ok"]) for s in report["steps"]] == [
        ("backup", True),
        ("helm upgrade", False),
    ]
    assert "rollback --tier 3 --from" in report["steps"][1]["detail"]
    (backup,) = (tmp_path / "backups").iterdir()
    assert (backup / "manifest.json").is_file()
