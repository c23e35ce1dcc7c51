"""The operators' path on a real Kubernetes API server (`LocalControlPlane`: etcd,
kube-apiserver, controller manager and scheduler of Kubernetes 1.36, KWOK nodes).

The tests follow one release through what charts/README.md tells operators to do, in order:
install with production values (existing Secrets first, migrations as hook Jobs), the
objects the API server must accept, RBAC, `helm test` as documented, an upgrade with a new
image (migrations before the rollout), a failed migration, `helm rollback`, an upgrade that
cannot become ready, and `obcmsctl deploy` end to end. Simulated: no image runs, KWOK marks
pods Running and Ready and a Job's pods Succeeded (a migration whose image tag ends in
`-fails-on-kwok` fails); the smoke tests and integrity of `obcmsctl deploy` go to an
`obcms-dev run` stack. The scheduler, controllers, admission, RBAC, CRD validation and Helm
are the real ones.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from cluster_support import CHART, ROOT, Cluster, production_secrets, wait_for
from kubernetes import client, config, watch
from test_chart_support import SCENARIOS, by_kind, render
from urllib3.exceptions import ProtocolError

from obcms_platform.devstack.embedded import port_open
from obcms_platform.devstack.kube import FAILING_JOB_TAG_SUFFIX, LocalControlPlane
from obcms_platform.registry import DEPLOYABLES
from obcms_platform.testing.devstack import RunningStack, stack_environment, state_folder
from obcms_platform.testing.timing import deadline
from obcmsctl import rollout

# Minutes of work in one file (one control plane, one dev stack): started first.
pytestmark = [pytest.mark.slow, pytest.mark.cluster]

RELEASE = NAMESPACE = "obcms"
SMOKE_TEST = f"{RELEASE}-smoke-test"
API_SERVICES = tuple(deployable.name for deployable in DEPLOYABLES)
PRODUCTION = SCENARIOS["production"]
WAIT = ("--wait", "--timeout", f"{deadline(120):.0f}s")


def image_tags(tag: str) -> list[str]:
    """`--set apis.<service>.image.tag=TAG` for every API (workers and the relay run the
    image of their service), as the README's install command sets them."""
    return [f"--set=apis.{service}.image.tag={tag}" for service in API_SERVICES]


def deployment_images(cluster: Cluster) -> dict[str, str]:
    return {
        name: deployment.spec.template.spec.containers[0].image
        for name, deployment in cluster.deployments(NAMESPACE).items()
    }


def rolled_out(cluster: Cluster) -> list[rollout.RolloutState]:
    """`obcmsctl deploy`'s rollout wait (the `kubernetes` client) on the release."""
    states = rollout.wait_for_rollout(
        RELEASE, NAMESPACE, cluster.plane.kubeconfig, deadline(120), poll_seconds=0.5
    )
    assert states, "the release has no Deployments"
    assert all(state.done for state in states), states
    return states


@dataclass
class Observed:
    """What the watches saw while Helm worked: Jobs (name, image, state, completion time)
    and the ReplicaSets created (name, image, creation time)."""

    jobs: list[tuple[str, str, str, datetime | None]] = field(default_factory=list)
    replica_sets: list[tuple[str, str, datetime]] = field(default_factory=list)


class Watching:
    """Watches Jobs and ReplicaSets of the namespace in two threads during a Helm command
    (its Jobs run and are deleted within it), each from the namespace's state at the start,
    so nothing that happens meanwhile is missed however late a watch connects."""

    def __init__(self, cluster: Cluster) -> None:
        self.observed = Observed()
        self.watches: list[watch.Watch] = []
        self.sources = (
            (cluster.batch.list_namespaced_job, self._job),
            (cluster.apps.list_namespaced_replica_set, self._replica_set),
        )
        self.closed = False

    def __enter__(self) -> Observed:
        for method, handle in self.sources:
            # Listed before Helm starts: the watch goes on from this version.
            version = method(NAMESPACE).metadata.resource_version
            thread = threading.Thread(
                target=self._watch, args=(method, version, handle), daemon=True
            )
            thread.start()
        return self.observed

    def __exit__(self, *exc_info: object) -> None:
        # A watch only notices stop() at its next event: the threads are left to end
        # with their connection (daemons), and what they see from now on is not kept.
        self.closed = True
        for stream in self.watches:
            stream.stop()

    def _watch(self, method: Any, version: str, handle: Any) -> None:
        stream = watch.Watch()
        self.watches.append(stream)
        # The connection ends under a stopped watch (ProtocolError): what it saw is kept.
        with contextlib.suppress(ProtocolError):
            for event in stream.stream(
                method, NAMESPACE, resource_version=version, timeout_seconds=int(deadline(300))
            ):
                if self.closed:
                    return
                handle(event)

    def _job(self, event: dict[str, Any]) -> None:
        job = event["object"]
        state = "succeeded" if job.status.succeeded else "failed" if job.status.failed else ""
        image = job.spec.template.spec.containers[0].image
        self.observed.jobs.append((job.metadata.name, image, state, job.status.completion_time))

    def _replica_set(self, event: dict[str, Any]) -> None:
        if event["type"] == "ADDED":
            replica_set = event["object"]
            image = replica_set.spec.template.spec.containers[0].image
            created = replica_set.metadata.creation_timestamp
            self.observed.replica_sets.append((replica_set.metadata.name, image, created))


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def dev_stack() -> Iterator[tuple[RunningStack, dict[str, int]]]:
    """`obcms-dev run`, started with the module so it boots while the Helm tests run; only
    `obcmsctl deploy`'s smoke tests and integrity need it."""
    with state_folder() as folder:
        env, ports = stack_environment(folder)
        stack = RunningStack(env)
        try:
            yield stack, ports
        finally:
            stack.stop_cleanly()


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory,
    dev_stack: tuple[RunningStack, dict[str, int]],
) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("kube")
    with LocalControlPlane(folder, ready_timeout=deadline(120)) as plane:
        cluster = Cluster(plane, folder / "helm")
        cluster.install_crds()
        yield cluster


@pytest.fixture(scope="module")
def production(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release installed as charts/README.md says: k8s/namespace.yaml (Pod Security
    "restricted" enforced: admission checks every pod of the chart) and the existing
    Secrets first, then `helm upgrade --install` with production values (existing Secrets,
    Ingress with TLS, ServiceMonitor, PrometheusRule, dashboards, HPAs, several uvicorn
    workers)."""
    values = tmp_path_factory.mktemp("values") / "production.yaml"
    values.write_text(yaml.safe_dump(PRODUCTION))
    namespace = yaml.safe_load((ROOT / "k8s" / "namespace.yaml").read_text())
    assert namespace["metadata"]["name"] == NAMESPACE
    cluster.core.create_namespace(namespace)
    for name, data in production_secrets(PRODUCTION).items():
        cluster.create_secret(NAMESPACE, name, data)
    cluster.helm(
        "upgrade", "--install", RELEASE, str(CHART), "-n", NAMESPACE, "-f", str(values), *WAIT
    )
    return values


# ------------------------------------------------------------------ install


def test_install_migrates_then_rolls_out_every_deployment(
    cluster: Cluster, production: Path
) -> None:
    # The build's version flags: the chart's kubeVersion constraint (>=1.27) read it.
    assert cluster.plane.get("/version")["gitVersion"] == "v1.36.3"
    assert cluster.history(RELEASE, NAMESPACE) == [(1, "deployed", "Install complete")]

    states = rolled_out(cluster)
    expected = {d["metadata"]["name"] for d in by_kind(render("production"), "Deployment")}
    assert {state.name for state in states} == expected
    pods = cluster.core.list_namespaced_pod(NAMESPACE).items
    running = [pod for pod in pods if pod.status.phase == "Running"]
    assert {pod.spec.node_name for pod in running} <= set(cluster.plane.nodes)
    # Every API's migration Job ran to completion before install finished, then was
    # deleted (hook-delete-policy hook-succeeded).
    completed = {
        event.involved_object.name for event in cluster.events(NAMESPACE, "Job", "Completed")
    }
    assert {f"{RELEASE}-migrate-{service}" for service in API_SERVICES} <= completed
    assert not [
        job.metadata.name
        for job in cluster.batch.list_namespaced_job(NAMESPACE).items
        if "-migrate-" in job.metadata.name
    ]


def test_api_server_accepts_policies_budgets_autoscalers_and_monitoring(
    cluster: Cluster, production: Path
) -> None:
    rendered = render("production")
    networking = client.NetworkingV1Api(cluster.api)
    policy = client.PolicyV1Api(cluster.api)
    autoscaling = client.AutoscalingV2Api(cluster.api)
    on_server = {
        "NetworkPolicy": networking.list_namespaced_network_policy(NAMESPACE).items,
        "PodDisruptionBudget": policy.list_namespaced_pod_disruption_budget(NAMESPACE).items,
        "HorizontalPodAutoscaler": autoscaling.list_namespaced_horizontal_pod_autoscaler(
            NAMESPACE
        ).items,
        "Ingress": client.NetworkingV1Api(cluster.api).list_namespaced_ingress(NAMESPACE).items,
    }
    for kind, items in on_server.items():
        names = {item.metadata.name for item in items}
        assert names == {o["metadata"]["name"] for o in by_kind(rendered, kind)}, kind
        assert names, kind
    for kind, plural in (
        ("ServiceMonitor", "servicemonitors"),
        ("PrometheusRule", "prometheusrules"),
    ):
        listed = cluster.custom.list_namespaced_custom_object(
            "monitoring.coreos.com", "v1", NAMESPACE, plural
        )["items"]
        assert {o["metadata"]["name"] for o in listed} == {
            o["metadata"]["name"] for o in by_kind(rendered, kind)
        }
        assert listed, kind
    # The disruption controller found each budget's pods: its selector matches them.
    wait_for(
        lambda: all(
            (budget.status.expected_pods or 0) >= 1
            and budget.status.current_healthy == budget.status.expected_pods
            for budget in policy.list_namespaced_pod_disruption_budget(NAMESPACE).items
        ),
        "every PodDisruptionBudget to count its healthy pods",
    )
    # Every NetworkPolicy selects pods of the release (the smoke test's: see `helm test`).
    for network_policy in on_server["NetworkPolicy"]:
        if network_policy.metadata.name != SMOKE_TEST:
            assert selected_pods(cluster, network_policy), network_policy.metadata.name


def selected_pods(cluster: Cluster, network_policy: Any) -> list[Any]:
    labels = network_policy.spec.pod_selector.match_labels or {}
    selector = ",".join(f"{key}={value}" for key, value in labels.items())
    return list(cluster.core.list_namespaced_pod(NAMESPACE, label_selector=selector).items)


def test_pods_get_no_kubernetes_api_access_and_need_none(
    cluster: Cluster, production: Path
) -> None:
    """The services never call the Kubernetes API: the chart mounts no token into any pod
    and grants its ServiceAccounts nothing (what `kubectl auth can-i --as` asks)."""
    pods = cluster.core.list_namespaced_pod(NAMESPACE).items
    assert pods
    accounts = set()
    for pod in pods:
        assert pod.spec.automount_service_account_token is False, pod.metadata.name
        projected = [v for v in pod.spec.volumes or [] if v.projected is not None]
        assert not projected, pod.metadata.name
        accounts.add(pod.spec.service_account_name)
    chart_accounts = {
        account.metadata.name
        for account in cluster.core.list_namespaced_service_account(NAMESPACE).items
        if account.metadata.name != "default"
    }
    assert accounts <= chart_accounts
    for account in chart_accounts:
        user = f"system:serviceaccount:{NAMESPACE}:{account}"
        for verb, resource in (
            ("get", "secrets"),
            ("list", "pods"),
            ("get", "configmaps"),
            ("create", "pods"),
            ("list", "deployments"),
        ):
            assert not cluster.can(user, verb, resource, NAMESPACE), (account, verb, resource)
    # The same question answers yes for a member of system:masters.
    assert cluster.can("an-admin", "get", "secrets", NAMESPACE, groups=["system:masters"])


def documented_helm_test(readme: Path) -> list[str]:
    """The `helm test` command a README gives operators (every mention the same), as they
    would type it."""
    found = re.findall(rf"helm test {RELEASE} [^`#\n(]*", readme.read_text())
    commands = {command.strip() for command in found}
    assert len(commands) == 1, commands
    return shlex.split(commands.pop())


def test_helm_test_runs_as_the_readmes_document_it(cluster: Cluster, production: Path) -> None:
    command = documented_helm_test(ROOT / "README.md")
    assert command == documented_helm_test(ROOT / "charts" / "README.md")
    notes = cluster.helm("get", "notes", RELEASE, "-n", NAMESPACE).stdout
    assert f"Smoke tests: {shlex.join(command)}\n" in notes
    assert command[0] == "helm"
    result = cluster.helm(*command[1:])
    assert f"TEST SUITE:     {SMOKE_TEST}" in result.stdout
    assert "Phase:          Succeeded" in result.stdout
    # The Job stays for `kubectl logs job/obcms-smoke-test` until the next `helm test`; its
    # pod is the one its NetworkPolicy selects.
    job = cluster.batch.read_namespaced_job(SMOKE_TEST, NAMESPACE)
    assert job.status.succeeded == 1
    policy = client.NetworkingV1Api(cluster.api).read_namespaced_network_policy(
        SMOKE_TEST, NAMESPACE
    )
    (pod,) = selected_pods(cluster, policy)
    assert pod.metadata.labels["job-name"] == SMOKE_TEST
    assert pod.status.phase == "Succeeded"


# ------------------------------------------------------------------ upgrade, rollback


def test_upgrade_with_a_new_image_migrates_before_the_rollout(
    cluster: Cluster, production: Path
) -> None:
    with Watching(cluster) as observed:
        cluster.helm(
            "upgrade", RELEASE, str(CHART), "-n", NAMESPACE, "--reuse-values",
            *image_tags("0.2.0"), *WAIT,
        )  # fmt: skip
    assert cluster.history(RELEASE, NAMESPACE)[-1] == (2, "deployed", "Upgrade complete")
    rolled_out(cluster)
    images = deployment_images(cluster)
    assert all(image.endswith(":0.2.0") for image in images.values()), images

    # Each API's schema migration (`obcms-<service> migrate`, the new image) succeeded ...
    migrations = {
        name: (image, completed)
        for name, image, state, completed in observed.jobs
        if "-migrate-" in name and state == "succeeded"
    }
    assert set(migrations) == {f"{RELEASE}-migrate-{service}" for service in API_SERVICES}
    assert all(image.endswith(":0.2.0") for image, _ in migrations.values())
    # ... before the first Pod template of the new image existed (whole seconds; that Helm
    # waits for them at all: the failed migration below).
    created = [when for _, image, when in observed.replica_sets if image.endswith(":0.2.0")]
    assert created
    assert max(completed for _, completed in migrations.values() if completed) <= min(created)


def test_failed_migration_stops_the_upgrade_before_any_deployment_changes(
    cluster: Cluster, production: Path
) -> None:
    before = deployment_images(cluster)
    failing = f"0.3.0{FAILING_JOB_TAG_SUFFIX}"
    result = cluster.helm(
        "upgrade", RELEASE, str(CHART), "-n", NAMESPACE, "--reuse-values",
        f"--set=apis.tasks.image.tag={failing}", "--set=migrations.backoffLimit=0", *WAIT,
        check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert f"{RELEASE}-migrate-tasks" in result.stderr
    assert deployment_images(cluster) == before
    assert cluster.history(RELEASE, NAMESPACE)[-1][:2] == (3, "failed")
    # The failed Job stays for `kubectl logs job/obcms-migrate-tasks`.
    job = cluster.batch.read_namespaced_job(f"{RELEASE}-migrate-tasks", NAMESPACE)
    assert job.status.failed == 1
    assert job.spec.template.spec.containers[0].image.endswith(failing)


def test_rollback_restores_the_first_revision_without_hooks(
    cluster: Cluster, production: Path
) -> None:
    with Watching(cluster) as observed:
        cluster.helm("rollback", RELEASE, "1", "-n", NAMESPACE, *WAIT)
    rolled_out(cluster)
    images = deployment_images(cluster)
    assert all(image.endswith(":0.1.0") for image in images.values()), images  # appVersion
    assert not [name for name, _, _, _ in observed.jobs if "-migrate-" in name]
    assert cluster.history(RELEASE, NAMESPACE) == [
        (1, "superseded", "Install complete"),
        (2, "superseded", "Upgrade complete"),
        (3, "failed", cluster.history(RELEASE, NAMESPACE)[2][2]),
        (4, "deployed", "Rollback to 1"),
    ]


def test_upgrade_that_cannot_become_ready_fails_and_rolls_back(
    cluster: Cluster, production: Path
) -> None:
    before = cluster.deployments(NAMESPACE)[f"{RELEASE}-gateway"].spec.template.spec
    result = cluster.helm(
        "upgrade", RELEASE, str(CHART), "-n", NAMESPACE, "--reuse-values",
        # No node has this label: the new gateway pods stay Pending.
        "--set=apis.gateway.nodeSelector.obcms\\.test/pool=nowhere",
        "--rollback-on-failure", "--wait", "--timeout", f"{deadline(10):.0f}s",
        check=False,
    )  # fmt: skip
    assert result.returncode != 0, result.stdout
    history = cluster.history(RELEASE, NAMESPACE)
    assert [entry[:2] for entry in history[-2:]] == [(5, "failed"), (6, "deployed")]
    assert history[-1][2] == "Rollback to 4"
    after = cluster.deployments(NAMESPACE)[f"{RELEASE}-gateway"].spec.template.spec
    assert after.node_selector == before.node_selector is None
    rolled_out(cluster)


# ------------------------------------------------------------------ obcmsctl deploy


@pytest.mark.timeout(deadline(600))
def test_obcmsctl_deploy_end_to_end(
    cluster: Cluster,
    production: Path,
    dev_stack: tuple[RunningStack, dict[str, int]],
    tmp_path: Path,
) -> None:
    """Backup, `helm upgrade --reuse-values --wait` (helm-python SDK), rollout, smoke and
    integrity: the Helm steps against the control plane, the rest against the dev stack
    (the images of the release cannot run here)."""
    stack, ports = dev_stack
    stack.wait_for()
    gateway = f"http://127.0.0.1:{ports['OBCMS_PORT']}"
    postgres = f"postgresql+psycopg://postgres@127.0.0.1:{ports['OBCMS_DEV_POSTGRES_PORT']}"
    deploy_env = {
        **cluster.env,
        **{d.database_url_variable: f"{postgres}/{d.database}" for d in DEPLOYABLES},
    }
    result = obcmsctl(
        "deploy",
        "--chart", str(CHART), "--release", RELEASE, "--namespace", NAMESPACE,
        "--kubeconfig", str(cluster.plane.kubeconfig),
        "--url", gateway, "--password", stack.admin_password(gateway),
        "--backup-dir", str(tmp_path / "backups"),
        *[f"--set=apis.{service}.image.tag=0.4.0" for service in API_SERVICES],
        "--yes", "--json",
        env=deploy_env,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    steps = {step["step"]: step for step in json.loads(result.stdout)["steps"]}
    assert all(step["ok"] for step in steps.values()), steps
    assert list(steps) == [
        "backup",
        "helm upgrade",
        "rollout",
        "smoke login",
        "smoke calendar",
        "smoke tasks",
        "smoke health",
        "integrity",
    ]
    assert steps["helm upgrade"]["detail"] == "revision 7"
    (backup,) = (tmp_path / "backups").iterdir()
    assert (backup / "manifest.json").is_file()
    images = deployment_images(cluster)
    assert all(image.endswith(":0.4.0") for image in images.values()), images
    assert cluster.history(RELEASE, NAMESPACE)[-1][:2] == (7, "deployed")

    # Tier 1 through obcmsctl (the SDK), then the helm CLI again: Helm 4 applies
    # server-side, and each tool takes over the fields the other applied last.
    rollback = obcmsctl(
        "rollback", "--tier", "1", "--release", RELEASE, "--namespace", NAMESPACE,
        "--kubeconfig", str(cluster.plane.kubeconfig), "--yes", env=deploy_env,
    )  # fmt: skip
    assert rollback.returncode == 0, rollback.stdout + rollback.stderr
    assert cluster.history(RELEASE, NAMESPACE)[-1] == (8, "deployed", "Rollback to 6")
    rolled_out(cluster)
    assert all(image.endswith(":0.1.0") for image in deployment_images(cluster).values())
    cluster.helm(*documented_maintenance_command()[1:], *WAIT)
    gateway_env = cluster.deployments(NAMESPACE)[f"{RELEASE}-gateway"].spec.template.spec
    maintenance = {e.name: e.value for e in gateway_env.containers[0].env}
    assert maintenance["OBCMS_GATEWAY_MAINTENANCE_MODE"] == "true"


def obcmsctl(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "obcmsctl"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=deadline(480),
        check=False,
    )


def documented_maintenance_command() -> list[str]:
    """The README's `helm upgrade ... --set maintenanceMode=true`, as typed."""
    (line,) = [
        line.split("#")[0]
        for line in (ROOT / "README.md").read_text().splitlines()
        if line.startswith("helm upgrade ") and "maintenanceMode=true" in line
    ]
    return shlex.split(line)


# ------------------------------------------------------------------ make kube


def test_obcms_dev_kube_serves_a_control_plane_until_ctrl_c(tmp_path: Path) -> None:
    """`make kube`: the developer's control plane, its kubeconfig printed, stopped by Ctrl-C
    with every process of it."""
    with contextlib.ExitStack() as cleanup:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "obcms-dev"), "kube", "--nodes", "1"],
            env={**os.environ, "OBCMS_STATE_DIR": str(tmp_path)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        cleanup.callback(process.kill)
        assert process.stdout is not None
        lines: list[str] = []
        for line in process.stdout:
            lines.append(line)
            if "ready; press Ctrl-C" in line:
                break
        output = "".join(lines)
        assert "ready; press Ctrl-C" in output, output
        kubeconfig = tmp_path / "kube" / "admin.kubeconfig"
        assert f"export KUBECONFIG={kubeconfig}" in output
        api_client = config.new_client_from_config(config_file=str(kubeconfig))
        (node,) = client.CoreV1Api(api_client).list_node().items
        assert node.metadata.annotations["kwok.x-k8s.io/node"] == "fake"
        api_port = int(api_client.configuration.host.rsplit(":", 1)[1])
        assert port_open(api_port)

        process.send_signal(signal.SIGINT)
        assert process.wait(deadline(60)) == 0
        assert "stopped" in process.stdout.read()
        assert not port_open(api_port)
