"""The Helm chart (charts/obcms), rendered by the real Helm engine (helm-python-sdk).

Every scenario of values is rendered once; every object is validated against the
Kubernetes 1.31 schemas (kubernetes-validate, strict). ServiceMonitor and PrometheusRule
have no schema there and are checked by hand; alert expressions are parsed with a PromQL
parser and may only use metrics the code exports. Also: the k8s/ manifests and skaffold.yaml.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate
import promql_parser
import pytest
import yaml

from obcms_platform import registry
from obcms_platform.devstack.stack import MALLOC_DEFAULTS

sys.path.insert(0, str(Path(__file__).parent))

from test_chart_support import (
    API_SERVICES,
    CHART,
    DEFAULT_WORKERS,
    K8S,
    RELEASE,
    ROOT,
    SCENARIOS,
    SECRETS,
    SERVICES,
    by_kind,
    components,
    container_env,
    exported_metrics,
    merge,
    pod_spec,
    promql_labels,
    promql_metric_names,
    render,
    render_error,
    selects,
)

KUBERNETES_VERSION = "1.31"
CRD_KINDS = {"ServiceMonitor", "PrometheusRule"}
STANDARD_LABELS = (
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
    "helm.sh/chart",
)
# The notifications beat's component name.
BEAT = "notifications-beat"
# Labels Prometheus adds to every scraped series (ServiceMonitor target labels).
TARGET_LABELS = {"namespace", "pod", "job", "instance", "container", "endpoint", "le"}


# ------------------------------------------------------------------ render and validate


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_object_is_valid_kubernetes(scenario: str) -> None:
    objects = render(scenario)
    assert objects, scenario
    for obj in objects:
        if obj["kind"] in CRD_KINDS:
            assert obj["apiVersion"] == "monitoring.coreos.com/v1"
            continue
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("scenario", ["inline", "dev", "production"])
def test_lint_strict_is_clean(scenario: str) -> None:
    report = helm.lint(CHART, SCENARIOS[scenario], strict=True, namespace=RELEASE)
    assert report["errors"] == []
    # Severity 1 is informational (e.g. "icon is recommended"); warnings fail strict lint.
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


def test_client_dry_run_install_succeeds() -> None:
    with helm.Config(namespace=RELEASE) as config:
        release = config.install(
            CHART, RELEASE, SCENARIOS["production"], dry_run="client", namespace=RELEASE
        )
    kinds = {doc["kind"] for doc in yaml.safe_load_all(release["manifest"]) if doc}
    assert {"Deployment", "Service", "NetworkPolicy", "Ingress", "PrometheusRule"} <= kinds
    assert "helm test" in release["notes"]


def test_expected_components_are_rendered() -> None:
    deployments = {d["metadata"]["name"] for d in by_kind(render("inline"), "Deployment")}
    expected = {f"{RELEASE}-{s}" for s in API_SERVICES}
    expected |= {f"{RELEASE}-{s}-worker" for s in DEFAULT_WORKERS} | {f"{RELEASE}-relay"}
    expected |= {f"{RELEASE}-{BEAT}"}
    assert deployments == expected


# ------------------------------------------------------------------ values schema


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"unknownKey": 1}, "additional properties 'unknownKey' not allowed"),
        ({"apis": {"tasks": {"replica": 2}}}, "additional properties 'replica' not allowed"),
        ({"ingress": {"tls": {"issuer": "x"}}}, "additional properties 'issuer' not allowed"),
        ({"apis": {"tasks": {"replicas": "two"}}}, "want integer"),
        ({"maintenanceMode": "yes"}, "want boolean"),
        ({"mode": "staging"}, "mode"),
        ({"workers": {"billing": {}}}, "billing"),
        ({"redis": {"url": "http://redis"}}, "url"),
    ],
)
def test_schema_rejects_unknown_keys_and_wrong_types(
    override: dict[str, Any], message: str
) -> None:
    error = render_error(merge(SECRETS, override))
    assert message in error


def test_defaults_hold_no_working_secret() -> None:
    with helm.Chart.load(CHART) as chart:
        defaults = chart.values
    assert set(defaults["database"]["urls"].values()) == {""}
    assert defaults["redis"]["url"] == ""
    assert defaults["internalToken"]["publicKey"] == defaults["internalToken"]["privateKey"] == ""
    assert defaults["admin"]["password"] == ""
    assert defaults["mode"] == "production"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "database.urls.calendar (or database.existingSecret) is required"),
        ({"database": SECRETS["database"]}, "redis.url (or redis.existingSecret) is required"),
        (
            {k: v for k, v in SECRETS.items() if k != "internalToken"},
            "internalToken.publicKey and internalToken.privateKey",
        ),
        ({k: v for k, v in SECRETS.items() if k != "admin"}, "admin.password"),
        ({k: v for k, v in SECRETS.items() if k != "sessionSecret"}, "sessionSecret.value"),
        (merge(SECRETS, {"sessionSecret": {"value": "short"}}), "at least 50 characters"),
        (
            {k: v for k, v in SECRETS.items() if k != "unsubscribeSecret"},
            "unsubscribeSecret.value",
        ),
        (
            merge(SECRETS, {"unsubscribeSecret": {"value": "short"}}),
            "unsubscribeSecret.value must be at least 50 characters",
        ),
        (
            merge(SECRETS, {"gateway": {"trustedProxies": ["*"]}}),
            'gateway.trustedProxies must name the ingress controller\'s addresses, not "*"',
        ),
        (merge(SECRETS, {"relay": {"sources": ["tasks", "billing"]}}), "billing"),
        (merge(SECRETS, {"ingress": {"enabled": True}}), "ingress.tls"),
    ],
)
def test_refuses_to_render_without_required_secrets(values: dict[str, Any], message: str) -> None:
    assert message in render_error(values)


def test_existing_secrets_create_no_secret_and_are_referenced() -> None:
    objects = render("existing")
    assert by_kind(objects, "Secret") == []
    refs = {
        (e["name"], e["valueFrom"]["secretKeyRef"]["name"], e["valueFrom"]["secretKeyRef"]["key"])
        for obj in objects
        if pod_spec(obj)
        for container in pod_spec(obj)["containers"]
        for e in container.get("env", [])
        if "valueFrom" in e
    }
    assert ("OBCMS_TASKS_DATABASE_URL", "pg-urls", "tasks") in refs
    assert ("OBCMS_REDIS_URL", "redis-conn", "url") in refs
    assert ("OBCMS_INTERNAL_TOKEN_PUBLIC_KEY", "token-keys", "pub") in refs
    assert ("OBCMS_GATEWAY_INTERNAL_TOKEN_PRIVATE_KEY", "token-keys", "priv") in refs
    assert ("OBCMS_ADMIN_PASSWORD", "admin-pw", "pw") in refs
    assert ("OBCMS_GATEWAY_SECRET_KEY", "gateway-key", "key") in refs
    assert ("OBCMS_UNSUBSCRIBE_SECRET", "unsubscribe-key", "key") in refs


def test_inline_secrets_are_a_hook_created_before_the_migrations() -> None:
    objects = render("inline")
    (secret,) = by_kind(objects, "Secret")
    annotations = secret["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert int(annotations["helm.sh/hook-weight"]) < 0
    assert set(secret["stringData"]) == {f"{s}-database-url" for s in API_SERVICES} | {
        "redis-url",
        "internal-token-public-key",
        "internal-token-private-key",
        "gateway-secret-key",
        "unsubscribe-secret",
        "admin-password",
    }


def test_dev_mode_renders_without_token_keys_and_uses_dev_infra() -> None:
    objects = render("dev")
    gateway = components(objects)["gateway"]
    env = container_env(gateway)
    assert env["OBCMS_MODE"] == "dev"
    assert env["OBCMS_GATEWAY_MAINTENANCE_MODE"] == "false"
    assert "OBCMS_INTERNAL_TOKEN_PUBLIC_KEY" not in env
    assert all(d["spec"]["replicas"] == 1 for d in by_kind(objects, "Deployment"))
    (secret,) = by_kind(objects, "Secret")
    assert "obcms-postgresql:5432/obcms_tasks" in secret["stringData"]["tasks-database-url"]
    assert secret["stringData"]["redis-url"] == "redis://obcms-redis:6379/0"


# ------------------------------------------------------------------ workloads and policy


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_pod_follows_the_security_and_resource_policy(scenario: str) -> None:
    for obj in render(scenario):
        spec = pod_spec(obj)
        if spec is None:
            continue
        name = obj["metadata"]["name"]
        pod_security = spec["securityContext"]
        assert pod_security["runAsNonRoot"] is True, name
        assert pod_security["runAsUser"] == 10001, name
        assert pod_security["fsGroup"] == 10001, name
        assert pod_security["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert spec["automountServiceAccountToken"] is False, name
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert "emptyDir" in volumes["tmp"], name
        for container in spec["containers"]:
            security = container["securityContext"]
            assert security["runAsNonRoot"] is True, name
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            resources = container["resources"]
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources[kind]), (name, kind)
            assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"], name


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_probes(scenario: str) -> None:
    for name, deployment in components(render(scenario)).items():
        (container,) = pod_spec(deployment)["containers"]
        kind = deployment["metadata"]["labels"]["app.kubernetes.io/component"]
        if name in API_SERVICES:
            assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        else:  # workers and relay: their metrics endpoint shows the process is alive
            assert container["livenessProbe"]["httpGet"] == {"path": "/metrics", "port": "metrics"}
            assert "startupProbe" in container, kind


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_deployment_has_a_pdb_service_account_and_service(scenario: str) -> None:
    objects = render(scenario)
    accounts = {sa["metadata"]["name"]: sa for sa in by_kind(objects, "ServiceAccount")}
    pdbs = by_kind(objects, "PodDisruptionBudget")
    services = by_kind(objects, "Service")
    for deployment in by_kind(objects, "Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        account = accounts[pod_spec(deployment)["serviceAccountName"]]
        assert account["automountServiceAccountToken"] is False
        # The beat is one Recreate pod: a PDB would block every node drain.
        is_beat = labels["app.kubernetes.io/component"] == BEAT
        assert bool([p for p in pdbs if selects(p["spec"]["selector"], labels)]) != is_beat
        assert [s for s in services if s["spec"]["selector"].items() <= labels.items()]
    for job in by_kind(objects, "Job"):
        assert pod_spec(job)["serviceAccountName"] in accounts


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_standard_labels_everywhere(scenario: str) -> None:
    for obj in render(scenario):
        labels = obj["metadata"].get("labels", {})
        for label in STANDARD_LABELS:
            assert labels.get(label), (obj["kind"], obj["metadata"]["name"], label)
        assert labels["app.kubernetes.io/part-of"] == "obcms"
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        spec = pod_spec(obj)
        if spec is not None:
            template_labels = obj["spec"]["template"]["metadata"]["labels"]
            assert all(template_labels.get(label) for label in STANDARD_LABELS)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_network_policies_select_every_pod(scenario: str) -> None:
    objects = render(scenario)
    policies = by_kind(objects, "NetworkPolicy")
    if not SCENARIOS[scenario].get("networkPolicy", {}).get("enabled", True):
        assert policies == []
        return
    for obj in objects:
        if pod_spec(obj) is None:
            continue
        labels = obj["spec"]["template"]["metadata"]["labels"]
        matching = [p for p in policies if selects(p["spec"]["podSelector"], labels)]
        types = {t for p in matching for t in p["spec"]["policyTypes"]}
        assert types == {"Ingress", "Egress"}, obj["metadata"]["name"]


def test_network_policy_rules() -> None:
    policies = {p["metadata"]["name"]: p for p in by_kind(render("inline"), "NetworkPolicy")}
    deny = policies[f"{RELEASE}-default-deny"]["spec"]
    assert "ingress" not in deny
    assert "egress" not in deny
    egress = policies[f"{RELEASE}-egress-dependencies"]["spec"]["egress"]
    assert sorted(p["port"] for rule in egress for p in rule["ports"]) == [53, 53, 5432, 6379]
    prometheus_ns = {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}
    for service in SERVICES:
        rules = policies[f"{RELEASE}-{service}"]["spec"]["ingress"]
        peers = [peer for rule in rules for peer in rule["from"]]
        assert {"podSelector": {"matchLabels": selector_labels("gateway")}} in peers
        assert all(
            peer.get("namespaceSelector") == prometheus_ns or "podSelector" in peer
            for peer in peers
        )
        assert len(peers) == 2  # the gateway and Prometheus, nobody else
    gateway = policies[f"{RELEASE}-gateway"]["spec"]
    gateway_peers = [peer for rule in gateway["ingress"] for peer in rule["from"]]
    assert any(
        p.get("namespaceSelector", {}).get("matchLabels")
        == {"kubernetes.io/metadata.name": "ingress-nginx"}
        for p in gateway_peers
    )
    backends = gateway["egress"][0]["to"][0]["podSelector"]["matchExpressions"][1]["values"]
    assert sorted(backends) == sorted(SERVICES)
    for worker in ("tasks-worker", "portfolio-worker", "relay"):
        rules = policies[f"{RELEASE}-{worker}"]["spec"]["ingress"]
        assert [p["port"] for rule in rules for p in rule["ports"]] == ["metrics"]


def selector_labels(component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "obcms",
        "app.kubernetes.io/instance": RELEASE,
        "app.kubernetes.io/component": component,
    }


def test_commands_and_environment() -> None:
    deployments = components(render("inline"))
    for service in API_SERVICES:
        container = pod_spec(deployments[service])["containers"][0]
        assert container["command"][:5] == [
            f"obcms-{service}",
            "serve",
            "--host",
            "0.0.0.0",
            "--port",
        ]
        env = container_env(deployments[service])
        assert env["OBCMS_MODE"] == "production"
        assert f"OBCMS_{service.upper()}_DATABASE_URL" in env
        assert "OBCMS_REDIS_URL" in env
        assert "OBCMS_LOG_LEVEL" in env
        assert "OBCMS_INTERNAL_TOKEN_PUBLIC_KEY" in env
        assert ("OBCMS_ADMIN_PASSWORD" in env) == (service == "gateway")
        assert ("OBCMS_GATEWAY_INTERNAL_TOKEN_PRIVATE_KEY" in env) == (service == "gateway")
        # The notifications service signs the unsubscribe links of emails, the gateway checks.
        assert ("OBCMS_UNSUBSCRIBE_SECRET" in env) == (service in ("gateway", "notifications"))
    gateway = container_env(deployments["gateway"])
    assert gateway["OBCMS_GATEWAY_TASKS_URL"] == f"http://{RELEASE}-tasks:8000"
    assert gateway["OBCMS_GATEWAY_SECRET_KEY"] == f"secret:{RELEASE}-secrets/gateway-secret-key"
    assert gateway["OBCMS_GATEWAY_TRUSTED_PROXIES"] == (
        "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"
    )
    assert gateway["OBCMS_GATEWAY_ALLOWED_HOSTS"] == ",".join(
        [
            f"{RELEASE}-gateway",
            f"{RELEASE}-gateway.{RELEASE}.svc",
            f"{RELEASE}-gateway.{RELEASE}.svc.cluster.local",
        ]
    )
    assert gateway["OBCMS_GATEWAY_STATE_DIR"].startswith("/tmp/")
    for service in DEFAULT_WORKERS:
        worker = deployments[f"{service}-worker"]
        assert pod_spec(worker)["containers"][0]["command"] == [f"obcms-{service}", "worker"]
        assert container_env(worker)[f"OBCMS_{service.upper()}_WORKER_METRICS_PORT"] == "9100"
    relay = deployments["relay"]
    assert pod_spec(relay)["containers"][0]["command"] == ["obcms-relay"]
    relay_env = container_env(relay)
    # Every deployable with an outbox (the gateway announces user changes), none without.
    publishers = [d.name for d in registry.DEPLOYABLES if d.publishes]
    assert relay_env["OBCMS_RELAY_SOURCES"] == ",".join(publishers)
    assert relay_env["OBCMS_RELAY_METRICS_PORT"] == "9102"
    assert {f"OBCMS_{s.upper()}_DATABASE_URL" for s in API_SERVICES} <= set(relay_env)


def test_workers_are_a_value() -> None:
    worker = components(render("calendar-worker"))["calendar-worker"]
    assert pod_spec(worker)["containers"][0]["command"] == ["obcms-calendar", "worker"]
    assert pod_spec(worker)["containers"][0]["image"].startswith("obcms/calendar:")
    assert container_env(worker)["OBCMS_CALENDAR_WORKER_METRICS_PORT"] == "9100"
    # A worker whose service is not deployed is refused.
    disabled = merge(
        SCENARIOS["calendar-worker"],
        {"apis": {"calendar": {"enabled": False}}, "relay": {"sources": ["tasks", "portfolio"]}},
    )
    assert "workers.calendar needs apis.calendar enabled" in render_error(disabled)


def test_a_disabled_service_is_announced_to_the_gateway_as_absent() -> None:
    values = merge(
        SECRETS,
        {"apis": {"calendar": {"enabled": False}}, "relay": {"sources": ["tasks", "portfolio"]}},
    )
    deployments = components(render(values))
    assert "calendar" not in deployments
    assert container_env(deployments["gateway"])["OBCMS_GATEWAY_CALENDAR_URL"] == ""
    relay_env = container_env(deployments["relay"])
    assert relay_env["OBCMS_RELAY_SOURCES"] == "tasks,portfolio"
    assert "OBCMS_CALENDAR_DATABASE_URL" not in relay_env


def test_ingress_host_is_an_allowed_host() -> None:
    env = container_env(components(render("ingress"))["gateway"])
    assert env["OBCMS_GATEWAY_ALLOWED_HOSTS"].split(",")[0] == "obcms.example.gov"


def test_maintenance_mode_sets_the_gateway_env() -> None:
    env = container_env(components(render("maintenance"))["gateway"])
    assert env["OBCMS_GATEWAY_MAINTENANCE_MODE"] == "true"


def test_hpa_on_and_off() -> None:
    with_hpa = render("hpa")
    hpas = {
        h["spec"]["scaleTargetRef"]["name"]: h for h in by_kind(with_hpa, "HorizontalPodAutoscaler")
    }
    for deployment in by_kind(with_hpa, "Deployment"):
        if deployment["metadata"]["name"] == f"{RELEASE}-{BEAT}":
            # Never autoscaled: one beat, whatever the others do.
            assert deployment["spec"]["replicas"] == 1
            assert deployment["metadata"]["name"] not in hpas
            continue
        assert "replicas" not in deployment["spec"]
        hpa = hpas[deployment["metadata"]["name"]]
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    assert by_kind(render("inline"), "HorizontalPodAutoscaler") == []


def test_apis_serve_metrics_on_a_port_the_ingress_does_not_reach() -> None:
    objects = render("inline")
    deployments = components(objects)
    services = {s["metadata"]["name"]: s for s in by_kind(objects, "Service")}
    policies = {p["metadata"]["name"]: p for p in by_kind(objects, "NetworkPolicy")}
    for api in API_SERVICES:
        container = pod_spec(deployments[api])["containers"][0]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports == {"http": 8000, "metrics": 9100}, api
        assert container_env(deployments[api])[f"OBCMS_{api.upper()}_METRICS_PORT"] == "9100"
        service_ports = {
            p["name"]: p["targetPort"] for p in services[f"{RELEASE}-{api}"]["spec"]["ports"]
        }
        assert service_ports == {"http": "http", "metrics": "metrics"}, api
        # Prometheus may reach the metrics port only; the http port is for the ingress
        # controller (gateway) or the gateway (services).
        for rule in policies[f"{RELEASE}-{api}"]["spec"]["ingress"]:
            ports_of_rule = [p["port"] for p in rule["ports"]]
            is_prometheus = any(
                peer.get("podSelector") == {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}
                for peer in rule["from"]
            )
            assert ports_of_rule == (["metrics"] if is_prometheus else ["http"]), (api, rule)
    moved = components(render(merge(SECRETS, {"apis": {"gateway": {"metricsPort": 9400}}})))
    assert container_env(moved["gateway"])["OBCMS_GATEWAY_METRICS_PORT"] == "9400"
    assert "not" in render_error(merge(SECRETS, {"apis": {"tasks": {"metricsPort": 8000}}}))


def test_several_uvicorn_workers_get_a_multiprocess_metrics_dir() -> None:
    tasks = components(render("production"))["tasks"]
    env = container_env(tasks)
    container = pod_spec(tasks)["containers"][0]
    assert container["command"][-2:] == ["--workers", "3"]
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert env["PROMETHEUS_MULTIPROC_DIR"] in mounts
    assert "PROMETHEUS_MULTIPROC_DIR" not in container_env(components(render("inline"))["tasks"])
    assert container_env(tasks)["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"


def test_migration_hooks() -> None:
    objects = render("inline")
    jobs = {j["metadata"]["name"]: j for j in by_kind(objects, "Job")}
    for service in API_SERVICES:
        job = jobs[f"{RELEASE}-migrate-{service}"]
        annotations = job["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
        assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation,hook-succeeded"
        assert int(annotations["helm.sh/hook-weight"]) == 0
        assert job["spec"]["activeDeadlineSeconds"] == 600
        assert job["spec"]["backoffLimit"] == 3
        container = pod_spec(job)["containers"][0]
        assert container["command"] == [f"obcms-{service}", "migrate"]
        assert f"OBCMS_{service.upper()}_DATABASE_URL" in {e["name"] for e in container["env"]}
    account = next(
        sa
        for sa in by_kind(objects, "ServiceAccount")
        if sa["metadata"]["name"].endswith("migrate")
    )
    assert int(account["metadata"]["annotations"]["helm.sh/hook-weight"]) < 0
    assert not [j for j in by_kind(render("minimal"), "Job")]


def test_smoke_test_job() -> None:
    jobs = [
        j for j in by_kind(render("inline"), "Job") if j["metadata"]["name"].endswith("smoke-test")
    ]
    (job,) = jobs
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "test"
    container = pod_spec(job)["containers"][0]
    assert container["command"][:2] == ["python", "-c"]
    script = container["command"][2]
    compile(script, "smoke_test.py", "exec")
    for path in (
        "/health/",
        "/accounts/login/",
        "/oobc-management/calendar/feed/json/",
        "/oobc-management/staff/tasks/create/",
        "/oobc-management/staff/tasks/",
        "X-CSRFToken",
        "X-Forwarded-Proto",
        "sessionid",
    ):
        assert path in script
    assert container_env(job)["OBCMS_SMOKE_URL"] == f"http://{RELEASE}-gateway:8000"


def test_ingress_fronts_the_gateway_only() -> None:
    (ingress,) = by_kind(render("ingress"), "Ingress")
    spec = ingress["spec"]
    assert spec["ingressClassName"] == "nginx"
    assert spec["tls"] == [{"hosts": ["obcms.example.gov"], "secretName": f"{RELEASE}-gateway-tls"}]
    assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "letsencrypt"
    backends = {
        path["backend"]["service"]["name"]
        for rule in spec["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {f"{RELEASE}-gateway"}
    assert spec["rules"][0]["host"] == "obcms.example.gov"
    assert by_kind(render("inline"), "Ingress") == []


# ------------------------------------------------------------------ monitoring


def test_monitoring_objects_are_toggled() -> None:
    assert not [o for o in render("inline") if o["kind"] in CRD_KINDS]
    configmaps = by_kind(render("inline"), "ConfigMap")
    assert not [c for c in configmaps if "grafana_dashboard" in c["metadata"]["labels"]]
    kinds = [o["kind"] for o in render("monitoring")]
    assert kinds.count("ServiceMonitor") == 1
    assert kinds.count("PrometheusRule") == 1


def test_service_monitor_scrapes_every_component() -> None:
    objects = render("monitoring")
    (monitor,) = by_kind(objects, "ServiceMonitor")
    spec = monitor["spec"]
    assert spec["namespaceSelector"] == {"matchNames": [RELEASE]}
    # Only the metrics port: the APIs' `http` port (the one the ingress reaches) has none.
    assert [(e["port"], e["path"]) for e in spec["endpoints"]] == [("metrics", "/metrics")]
    scraped = set()
    for service in by_kind(objects, "Service"):
        if selects(spec["selector"], service["metadata"]["labels"]):
            assert "metrics" in {port["name"] for port in service["spec"]["ports"]}
            scraped.add(service["metadata"]["labels"]["app.kubernetes.io/component"])
    assert scraped == set(components(objects))
    assert {"tasks-worker", "portfolio-worker", "relay"} <= scraped
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def alert_rules() -> list[dict[str, Any]]:
    (rule,) = by_kind(render("monitoring"), "PrometheusRule")
    return [r for group in rule["spec"]["groups"] for r in group["rules"]]


def test_prometheus_rule_has_the_guides_alerts() -> None:
    rules = alert_rules()
    names = {r["alert"] for r in rules}
    assert {
        "ObcmsHttp5xxErrors",
        "ObcmsHttp404Errors",
        "ObcmsSlowResponses",
        "ObcmsSlowDatabaseQueries",
        "ObcmsHighCpu",
        "ObcmsHighMemory",
        "ObcmsDiskAlmostFull",
        "ObcmsApiDown",
        "ObcmsWorkerDown",
        "ObcmsRelayDown",
        "ObcmsRedisDown",
        "ObcmsPostgresqlDown",
        "ObcmsOutboxStuck",
        "ObcmsDeadLetters",
        "ObcmsQueueBacklog",
    } <= names
    down = {r["labels"]["component"] for r in rules if r["alert"].endswith("Down")}
    assert set(components(render("monitoring"))) | {"redis", "postgresql"} == down
    expr = {r["alert"]: r["expr"] for r in rules}
    assert re.search(r'status=~"5\.\."\}\[1m\]\)\) > 10$', expr["ObcmsHttp5xxErrors"])
    assert expr["ObcmsHttp404Errors"].endswith("> 100")
    assert "histogram_quantile(0.95" in expr["ObcmsSlowResponses"]
    assert expr["ObcmsSlowResponses"].endswith("> 2")
    assert expr["ObcmsSlowDatabaseQueries"].endswith("> 0.5")
    assert expr["ObcmsHighCpu"].endswith("> 0.8")
    assert expr["ObcmsHighMemory"].endswith("> 0.9")
    assert expr["ObcmsDiskAlmostFull"].endswith("> 0.85")
    assert expr["ObcmsOutboxStuck"].endswith("> 60")
    assert expr["ObcmsDeadLetters"].endswith("> 0")
    cpu = next(r for r in rules if r["alert"] == "ObcmsHighCpu")
    assert cpu["for"] == "5m"


def test_every_alert_is_documented_and_parses() -> None:
    readme = (CHART / ".." / "README.md").resolve().read_text()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", heading.strip().lower()).replace(" ", "-")
        for heading in re.findall(r"^#+ (.+)$", readme, flags=re.MULTILINE)
    }
    metrics = exported_metrics()
    for rule in alert_rules():
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        annotations = rule["annotations"]
        assert annotations["summary"]
        assert annotations["description"]
        base, anchor = annotations["runbook_url"].split("#")
        assert base.endswith("charts/README.md")
        assert anchor in anchors, anchor
        promql_parser.parse(rule["expr"])
        for name in promql_metric_names(rule["expr"]):
            if name.startswith("obcms_"):
                assert name in metrics, (rule["alert"], name)
        for name, labels in promql_labels(rule["expr"]).items():
            if name in metrics:
                assert labels <= metrics[name] | TARGET_LABELS, (rule["alert"], name, labels)


def test_dashboards_are_valid_and_use_exported_metrics() -> None:
    metrics = exported_metrics()
    files = sorted((CHART / "dashboards").glob("*.json"))
    assert {f.stem for f in files} == {
        "obcms-red",
        "obcms-bus",
        "obcms-calendar-feed",
        "obcms-portfolio",
    }
    configmaps = {
        c["metadata"]["name"]: c
        for c in by_kind(render("monitoring"), "ConfigMap")
        if c["metadata"]["labels"].get("grafana_dashboard") == "1"
    }
    assert len(configmaps) == len(files)
    for path in files:
        text = path.read_text()
        dashboard = json.loads(text)
        assert dashboard["uid"]
        assert dashboard["title"]
        assert dashboard["panels"]
        configmap = configmaps[f"{RELEASE}-dashboard-{path.stem}"]
        assert json.loads(configmap["data"][path.name]) == dashboard
        exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
        assert exprs, path.name
        for expr in exprs:
            promql_parser.parse(expr)
            names = promql_metric_names(expr)
            assert names, expr
            for name in names:
                assert name in metrics or name == "up", (path.name, name)
            for name, labels in promql_labels(expr).items():
                if name in metrics:
                    assert labels <= metrics[name] | TARGET_LABELS, (path.name, name, labels)


# ------------------------------------------------------------------ notifications

SMTP: dict[str, Any] = {
    "smtp": {
        "host": "smtp.example.gov",
        "port": 2525,
        "security": "tls",
        "from": "OBCMS <obcms@example.gov>",
        "existingSecret": "mail-login",
        "usernameKey": "user",
        "passwordKey": "pass",
    },
    "notifications": {"publicUrl": "https://obcms.example.gov"},
    "networkPolicy": {"smtp": {"to": [{"ipBlock": {"cidr": "192.0.2.25/32"}}]}},
}
SMTP_ENV = {
    "OBCMS_NOTIFICATIONS_SMTP_HOST": "smtp.example.gov",
    "OBCMS_NOTIFICATIONS_SMTP_PORT": "2525",
    "OBCMS_NOTIFICATIONS_SMTP_SECURITY": "tls",
    "OBCMS_NOTIFICATIONS_MAIL_FROM": "OBCMS <obcms@example.gov>",
    "OBCMS_NOTIFICATIONS_SMTP_USERNAME": "secret:mail-login/user",
    "OBCMS_NOTIFICATIONS_SMTP_PASSWORD": "secret:mail-login/pass",
}


def test_the_beat_is_one_recreate_replica_that_sends_the_mail() -> None:
    objects = render(merge(SCENARIOS["hpa"], SMTP))
    beat = components(objects)[BEAT]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    (container,) = pod_spec(beat)["containers"]
    assert container["command"] == ["obcms-notifications", "beat"]
    assert container["image"].startswith("obcms/notifications:")
    assert container["livenessProbe"]["httpGet"] == {"path": "/metrics", "port": "metrics"}
    env = container_env(beat)
    assert SMTP_ENV.items() <= env.items()
    assert env["OBCMS_NOTIFICATIONS_BEAT_METRICS_PORT"] == "9100"
    assert env["OBCMS_NOTIFICATIONS_BEAT_TICK_SECONDS"] == "60"
    assert env["OBCMS_NOTIFICATIONS_PUBLIC_URL"] == "https://obcms.example.gov"
    assert env["OBCMS_NOTIFICATIONS_DATABASE_URL"].startswith("secret:")
    labels = beat["spec"]["template"]["metadata"]["labels"]
    for kind in ("HorizontalPodAutoscaler", "PodDisruptionBudget"):
        targets = [
            o
            for o in by_kind(objects, kind)
            if o["spec"].get("scaleTargetRef", {}).get("name") == beat["metadata"]["name"]
            or selects(o["spec"].get("selector", {"matchLabels": {"none": "x"}}), labels)
        ]
        assert targets == [], kind


def test_only_the_beat_gets_smtp_credentials_and_egress() -> None:
    objects = render(merge(SECRETS, SMTP))
    for obj in objects:
        if pod_spec(obj) is None or obj["metadata"]["name"] == f"{RELEASE}-{BEAT}":
            continue
        smtp_env = {
            name
            for container in pod_spec(obj)["containers"]
            for name in (e["name"] for e in container.get("env", []))
            if "SMTP" in name or "MAIL_FROM" in name
        }
        assert smtp_env == set(), obj["metadata"]["name"]
    policies = by_kind(objects, "NetworkPolicy")
    smtp_rules = {
        p["metadata"]["name"]: rule
        for p in policies
        for rule in p["spec"].get("egress", [])
        if any(port["port"] == 2525 for port in rule["ports"])
    }
    assert list(smtp_rules) == [f"{RELEASE}-{BEAT}"]
    assert smtp_rules[f"{RELEASE}-{BEAT}"]["to"] == [{"ipBlock": {"cidr": "192.0.2.25/32"}}]
    # The beat keeps the dependencies' egress (its database) besides SMTP.
    beat_labels = components(objects)[BEAT]["spec"]["template"]["metadata"]["labels"]
    egress_ports = {
        port["port"]
        for p in policies
        if selects(p["spec"]["podSelector"], beat_labels)
        for rule in p["spec"].get("egress", [])
        for port in rule["ports"]
    }
    assert {53, 5432, 2525} <= egress_ports
    # Without a host there is nothing to reach, and no egress is opened.
    quiet = by_kind(render("inline"), "NetworkPolicy")
    assert not [
        p for p in quiet if p["metadata"]["name"] == f"{RELEASE}-{BEAT}" and p["spec"].get("egress")
    ]


def test_inline_smtp_credentials_go_to_the_charts_secret() -> None:
    values = merge(
        SECRETS,
        merge(SMTP, {"smtp": {"existingSecret": "", "username": "mailer", "password": "pw"}}),
    )
    objects = render(values)
    (secret,) = by_kind(objects, "Secret")
    assert secret["stringData"]["user"] == "mailer"  # under smtp.usernameKey/passwordKey
    assert secret["stringData"]["pass"] == "pw"
    env = container_env(components(objects)[BEAT])
    assert env["OBCMS_NOTIFICATIONS_SMTP_PASSWORD"] == f"secret:{RELEASE}-secrets/pass"
    # No credentials: the server takes mail without login, and no variable is set.
    anonymous = merge(SECRETS, merge(SMTP, {"smtp": {"existingSecret": ""}}))
    assert "OBCMS_NOTIFICATIONS_SMTP_PASSWORD" not in container_env(
        components(render(anonymous))[BEAT]
    )


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            {
                "apis": {"notifications": {"enabled": False}},
                "workers": {"notifications": {"enabled": False}},
            },
            "beat.enabled needs apis.notifications enabled",
        ),
        ({"smtp": {"from": ""}}, "smtp.from (the sender address) is required with smtp.host"),
        (
            {"smtp": {"existingSecret": "", "username": "mailer"}},
            "smtp.username and smtp.password go together",
        ),
        ({"smtp": {"security": "none"}}, "production: smtp.security none"),
        ({"notifications": {"publicUrl": ""}}, "notifications.publicUrl"),
        ({"smtp": {"security": "ssl"}}, "at '/smtp/security': value must be one of"),
        ({"beat": {"replicas": 2}}, "at '/beat': additional properties 'replicas' not allowed"),
        ({"smtp": {"from": "nobody"}}, "at '/smtp/from': 'nobody' does not match"),
    ],
)
def test_refuses_a_beat_or_smtp_setup_that_cannot_work(
    override: dict[str, Any], message: str
) -> None:
    assert message in render_error(merge(merge(SECRETS, SMTP), override))


def test_public_url_of_the_links_in_emails() -> None:
    with_ingress = components(render("ingress"))
    for component in ("notifications", "notifications-worker", BEAT):
        env = container_env(with_ingress[component])
        assert env["OBCMS_NOTIFICATIONS_PUBLIC_URL"] == "https://obcms.example.gov", component
    assert "OBCMS_NOTIFICATIONS_PUBLIC_URL" not in container_env(with_ingress["tasks"])
    given = merge(SCENARIOS["ingress"], {"notifications": {"publicUrl": "https://mail.example"}})
    env = container_env(components(render(given))[BEAT])
    assert env["OBCMS_NOTIFICATIONS_PUBLIC_URL"] == "https://mail.example"
    # Neither: the service's own default; mail stays unsent in production (NOTES say so).
    assert "OBCMS_NOTIFICATIONS_PUBLIC_URL" not in container_env(components(render("inline"))[BEAT])


def test_notes_say_mail_is_kept_unsent_without_an_smtp_host() -> None:
    def notes(values: dict[str, Any]) -> str:
        with helm.Chart.load(CHART) as chart:
            rendered = chart.render(values, name=RELEASE, namespace=RELEASE)
        return rendered[f"{CHART.name}/templates/NOTES.txt"]

    assert "smtp.host is empty, so notification emails are kept unsent" in notes(SECRETS)
    assert "kept unsent" not in notes(merge(SECRETS, SMTP))
    assert "kept unsent" not in notes(SCENARIOS["dev"])


def test_notifications_alerts() -> None:
    values = merge(SCENARIOS["monitoring"], {"beat": {"tickSeconds": 30}})
    (rule,) = by_kind(render(values), "PrometheusRule")
    rules = {r["alert"]: r for group in rule["spec"]["groups"] for r in group["rules"]}
    late = rules["ObcmsScheduledJobLate"]["expr"]
    # Two periods: two ticks for the ticking jobs, two hours for the hourly housekeeping.
    assert 'job_name!="housekeeping"}) > 60 ' in late
    assert late.endswith('job_name="housekeeping"}) > 7200')
    leader = rules["ObcmsBeatNotLeading"]
    assert leader["expr"].startswith("max(obcms_beat_leader{")
    assert "absent(obcms_beat_leader{" in leader["expr"]
    assert leader["for"] == "5m"
    failed = rules["ObcmsEmailFailures"]["expr"]
    assert 'channel="email", outcome="failed"}[15m])) > 0' in failed
    assert rules["ObcmsEmailRetries"]["expr"].endswith('outcome="retried"}[15m])) > 10')
    # The guide's "Celery down" covers the beat too.
    beat_down = [r for r in rules.values() if r.get("labels", {}).get("component") == BEAT]
    assert [r["alert"] for r in beat_down] == ["ObcmsWorkerDown"]
    # No beat, no beat alerts.
    (quiet,) = by_kind(render(merge(values, {"beat": {"enabled": False}})), "PrometheusRule")
    names = {r["alert"] for group in quiet["spec"]["groups"] for r in group["rules"]}
    assert not names & {"ObcmsScheduledJobLate", "ObcmsBeatNotLeading", "ObcmsEmailFailures"}


def test_bus_dashboard_shows_notifications() -> None:
    dashboard = json.loads((CHART / "dashboards" / "obcms-bus.json").read_text())
    names = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in promql_metric_names(target["expr"])
    }
    assert {
        "obcms_notifications_sent_total",
        "obcms_job_last_success_timestamp_seconds",
        "obcms_beat_leader",
    } <= names


# ------------------------------------------------------------------ k8s/ and skaffold


def k8s_objects() -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted(K8S.glob("*.yaml")) + sorted((K8S / "dev").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


def test_k8s_manifests_are_valid() -> None:
    objects = k8s_objects()
    for obj in objects:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    kinds = {(o["kind"], o["metadata"]["name"]) for o in objects}
    assert ("Namespace", "obcms") in kinds
    assert {("StatefulSet", "obcms-postgresql"), ("Service", "obcms-postgresql")} <= kinds
    assert ("Secret", "obcms-dev-postgresql") in kinds
    assert {("StatefulSet", "obcms-redis"), ("Service", "obcms-redis")} <= kinds
    configs = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ConfigMap"}
    redis_conf = configs["obcms-dev-redis"]["data"]["redis.conf"].splitlines()
    assert "appendonly yes" in redis_conf
    assert "maxmemory-policy noeviction" in redis_conf
    init = configs["obcms-dev-postgresql-init"]["data"]["10-obcms-databases.sh"]
    assert f"for service in {' '.join(API_SERVICES)}" in init
    assert "CREATE DATABASE" in init
    # The dev values point at exactly these databases and this Redis.
    dev = yaml.safe_load((CHART / "values-dev.yaml").read_text())
    for service, url in dev["database"]["urls"].items():
        assert url.endswith(f"@obcms-postgresql:5432/obcms_{service}")
    assert dev["redis"]["url"].startswith("redis://obcms-redis:6379/")


def test_kube_prometheus_stack_values_select_our_objects() -> None:
    values = yaml.safe_load((K8S / "monitoring" / "kube-prometheus-stack-values.yaml").read_text())
    spec = values["prometheus"]["prometheusSpec"]
    assert spec["serviceMonitorSelectorNilUsesHelmValues"] is False
    assert spec["ruleSelectorNilUsesHelmValues"] is False
    sidecar = values["grafana"]["sidecar"]["dashboards"]
    assert sidecar["enabled"] is True
    assert (sidecar["label"], sidecar["labelValue"]) == ("grafana_dashboard", "1")


def test_images_run_with_the_local_stacks_malloc_settings() -> None:
    """The images' glibc malloc settings are the local stack's (`MALLOC_DEFAULTS`): what the
    bench measures is what production runs."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    image_env = dict(re.findall(r"^\s+(MALLOC_\w+)=(\S+)", dockerfile, re.MULTILINE))
    assert image_env == MALLOC_DEFAULTS


def test_skaffold_builds_every_image_and_sets_them_by_artifact_name() -> None:
    config = yaml.safe_load((ROOT / "skaffold.yaml").read_text())
    artifacts = {a["image"]: a["docker"] for a in config["build"]["artifacts"]}
    # One Dockerfile; the build argument names the service of each image.
    assert {image: docker["buildArgs"]["SERVICE"] for image, docker in artifacts.items()} == {
        f"obcms/{name}": name for name in API_SERVICES
    }
    assert {docker["dockerfile"] for docker in artifacts.values()} == {"Dockerfile"}
    assert (ROOT / "Dockerfile").is_file()
    (release,) = config["deploy"]["helm"]["releases"]
    assert (ROOT / release["chartPath"]).resolve() == CHART.resolve()
    templates = release["setValueTemplates"]
    for image in artifacts:
        service = image.split("/")[1]
        key = image.replace("/", "_")
        assert templates[f"apis.{service}.image.repository"] == f"{{{{.IMAGE_REPO_{key}}}}}"
        assert templates[f"apis.{service}.image.tag"] == f"{{{{.IMAGE_TAG_{key}}}}}"
    # Every value path skaffold sets exists in the chart's values.
    with helm.Chart.load(CHART) as chart:
        chart.validate_schema(
            merge(SECRETS, helm.parse_set_string(",".join(f"{k}=x" for k in templates)))
        )
    (dev,) = config["profiles"]
    patches = {p["path"]: p["value"] for p in dev["patches"]}
    assert patches["/deploy/helm/releases/0/valuesFiles"] == ["charts/obcms/values-dev.yaml"]
    commands = [" ".join(h["host"]["command"]) for h in patches["/deploy/helm/hooks"]["before"]]
    assert "kubectl apply -f k8s/namespace.yaml -f k8s/dev/" in commands
    dev_values = yaml.safe_load((CHART / "values-dev.yaml").read_text())
    assert dev_values["maintenanceMode"] is False
    assert all(api["replicas"] == 1 for api in dev_values["apis"].values())


# ------------------------------------------------------------------ attachments

FILE_SERVICES = tuple(deployable.name for deployable in registry.file_stores())


def test_the_services_that_store_files_get_the_bucket_and_its_credentials() -> None:
    deployments = components(render("existing"))
    for name, deployment in deployments.items():
        env = container_env(deployment)
        service = name.removesuffix("-worker")
        if service in FILE_SERVICES:
            assert env["OBCMS_ATTACHMENTS_STORAGE"] == "s3", name
            assert env["OBCMS_S3_BUCKET"] == "obcms-attachments"
            assert env["OBCMS_S3_REGION"] == "ap-southeast-1"
            assert env["OBCMS_S3_ENDPOINT_URL"] == "https://s3.example.gov"
            assert env["AWS_ACCESS_KEY_ID"] == "secret:s3-credentials/id"
            assert env["AWS_SECRET_ACCESS_KEY"] == "secret:s3-credentials/secret"
            assert env["OBCMS_ATTACHMENT_MAX_BYTES"] == "10485760"
            assert env["OBCMS_ATTACHMENT_MAX_PER_RECORD"] == "20"
        else:
            # No other pod holds the storage's credentials.
            assert not {"AWS_ACCESS_KEY_ID", "OBCMS_S3_BUCKET"} & set(env), name
    # The gateway lets an upload as large as the services accept through.
    assert container_env(deployments["gateway"])["OBCMS_ATTACHMENT_MAX_BYTES"] == "10485760"
    # The migration Jobs need no storage.
    for job in by_kind(render("existing"), "Job"):
        assert "OBCMS_S3_BUCKET" not in container_env(job)


def test_without_an_existing_secret_the_bucket_credentials_come_from_elsewhere() -> None:
    env = container_env(components(render("inline"))["tasks"])
    assert env["OBCMS_S3_BUCKET"] == "obcms-attachments"
    assert "OBCMS_S3_ENDPOINT_URL" not in env  # AWS itself
    assert "AWS_ACCESS_KEY_ID" not in env
    (secret,) = by_kind(render("inline"), "Secret")
    assert not any("s3" in key or "access" in key for key in secret["stringData"])


def test_only_the_services_that_store_files_reach_the_object_storage() -> None:
    policies = {p["metadata"]["name"]: p for p in by_kind(render("inline"), "NetworkPolicy")}
    reaching = {
        name.removeprefix(f"{RELEASE}-")
        for name, policy in policies.items()
        if any(
            port.get("port") == 443
            for rule in policy["spec"].get("egress", [])
            for port in rule.get("ports", [])
        )
    }
    assert reaching == {f"{s}{kind}" for s in FILE_SERVICES for kind in ("", "-worker")}


def test_dev_values_keep_files_in_each_pods_folder() -> None:
    deployments = components(render("dev"))
    tasks = deployments["tasks"]
    env = container_env(tasks)
    assert env["OBCMS_ATTACHMENTS_STORAGE"] == "local"
    folder = env["OBCMS_ATTACHMENTS_DIR"]
    spec = pod_spec(tasks)
    assert spec is not None
    mounts = {m["name"]: m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
    assert mounts["attachments"] == folder
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["attachments"]["emptyDir"]["sizeLimit"] == "1Gi"
    assert "attachments" not in {v["name"] for v in pod_spec(deployments["calendar"])["volumes"]}


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"attachments": {"s3": {"bucket": ""}}}, "attachments.s3.bucket is required"),
        ({"attachments": {"storage": "local"}}, "production: attachments.storage local"),
        ({"attachments": {"storage": "ftp"}}, "/attachments/storage"),
        ({"attachments": {"s3": {"bucket": "Not_A_Bucket"}}}, "/attachments/s3/bucket"),
        ({"attachments": {"s3": {"endpoint": "s3.example.gov"}}}, "/attachments/s3/endpoint"),
        ({"attachments": {"s3": {"accessKey": "AKIA"}}}, "accessKey"),
        ({"attachments": {"maxBytes": 0}}, "/attachments/maxBytes"),
        ({"attachments": {"maxPerRecord": "many"}}, "/attachments/maxPerRecord"),
    ],
)
def test_refuses_attachment_storage_that_cannot_work(
    override: dict[str, Any], message: str
) -> None:
    assert message in render_error(merge(SECRETS, override))


def test_the_chart_and_the_registry_agree_on_the_services_that_store_files() -> None:
    with helm.Chart.load(CHART) as chart:
        helpers = (CHART / "templates" / "_helpers.tpl").read_text()
        assert chart.values["attachments"]["storage"] == "s3"
    listed = helpers.split('define "obcms.fileServices" -}}\n', 1)[1].split("\n", 1)[0]
    assert tuple(listed.split(",")) == FILE_SERVICES
