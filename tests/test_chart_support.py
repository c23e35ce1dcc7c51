"""Helpers of test_chart.py: value scenarios, cached rendering, PromQL and metric lookups."""

from __future__ import annotations

import copy
import functools
import importlib
import json
from pathlib import Path
from typing import Any

import helm_python as helm
import promql_parser
import yaml

from obcms_platform import registry

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "charts" / "obcms"
K8S = ROOT / "k8s"
RELEASE = "obcms"
API_SERVICES = tuple(deployable.name for deployable in registry.DEPLOYABLES)
SERVICES = tuple(service.name for service in registry.SERVICES)  # behind the gateway
DEFAULT_WORKERS = tuple(
    deployable.name for deployable in registry.DEPLOYABLES if deployable.has_worker
)


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of `base` with `override` merged in (dicts recursively)."""
    result = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


SECRETS: dict[str, Any] = {
    "database": {
        "urls": {
            s: f"postgresql+psycopg://obcms_{s}:pw@db.example:5432/obcms_{s}" for s in API_SERVICES
        }
    },
    "redis": {"url": "redis://:pw@redis.example:6379/0"},
    "internalToken": {"publicKey": "-----BEGIN PUBLIC KEY-----", "privateKey": "-----BEGIN"},
    "sessionSecret": {"value": "s" * 64},
    "unsubscribeSecret": {"value": "u" * 64},
    "admin": {"password": "a-real-password"},
    # Credentials of the bucket from boto3's other sources (workload identity).
    "attachments": {"s3": {"bucket": "obcms-attachments"}},
}
EXISTING: dict[str, Any] = {
    "database": {
        "existingSecret": "pg-urls",
        "keys": {s: s for s in API_SERVICES},
    },
    "redis": {"existingSecret": "redis-conn", "key": "url"},
    "internalToken": {
        "existingSecret": "token-keys",
        "publicKeyKey": "pub",
        "privateKeyKey": "priv",
    },
    "sessionSecret": {"existingSecret": "gateway-key", "key": "key"},
    "unsubscribeSecret": {"existingSecret": "unsubscribe-key", "key": "key"},
    "admin": {"existingSecret": "admin-pw", "passwordKey": "pw"},
    "attachments": {
        "s3": {
            "endpoint": "https://s3.example.gov",
            "bucket": "obcms-attachments",
            "region": "ap-southeast-1",
            "existingSecret": "s3-credentials",
            "accessKeyIdKey": "id",
            "secretAccessKeyKey": "secret",
        }
    },
}
MONITORING: dict[str, Any] = {
    "monitoring": {
        "serviceMonitor": {"enabled": True, "labels": {"release": "kube-prometheus-stack"}},
        "prometheusRule": {"enabled": True},
        "dashboards": {"enabled": True},
    }
}
INGRESS: dict[str, Any] = {
    "ingress": {
        "enabled": True,
        "host": "obcms.example.gov",
        "tls": {"enabled": True, "clusterIssuer": "letsencrypt"},
    }
}
HPA_ON = {"autoscaling": {"enabled": True, "minReplicas": 2, "maxReplicas": 5}}
HPA: dict[str, Any] = {
    "apis": {s: HPA_ON for s in API_SERVICES},
    "workers": {s: HPA_ON for s in DEFAULT_WORKERS},
    "relay": HPA_ON,
}
CALENDAR_WORKER: dict[str, Any] = {
    "workers": {
        "calendar": {
            "enabled": True,
            "replicas": 1,
            "metricsPort": 9100,
            "resources": {
                "requests": {"cpu": "50m", "memory": "128Mi"},
                "limits": {"cpu": "500m", "memory": "256Mi"},
            },
            "autoscaling": {"enabled": False},
            "pdb": {"enabled": True, "maxUnavailable": 1},
        }
    }
}

SCENARIOS: dict[str, dict[str, Any]] = {
    "inline": SECRETS,
    "existing": EXISTING,
    "ingress": merge(SECRETS, INGRESS),
    "monitoring": merge(SECRETS, MONITORING),
    "maintenance": merge(SECRETS, {"maintenanceMode": True}),
    "hpa": merge(SECRETS, HPA),
    "calendar-worker": merge(SECRETS, CALENDAR_WORKER),
    "minimal": merge(
        SECRETS,
        {
            "networkPolicy": {"enabled": False},
            "gateway": {"trustedProxies": ["10.0.0.0/8"]},
            "migrations": {"enabled": False},
            "tests": {"enabled": False},
            "relay": {"enabled": False},
            "workers": {s: {"enabled": False} for s in DEFAULT_WORKERS},
        },
    ),
    # Production as operators run it: existing Secrets, Ingress with TLS, monitoring, HPA,
    # several uvicorn workers per pod and tracing.
    "production": merge(
        merge(merge(EXISTING, INGRESS), merge(MONITORING, HPA)),
        {
            "apis": {"tasks": {"uvicornWorkers": 3}},
            "otel": {"endpoint": "http://otel-collector:4318"},
        },
    ),
    "dev": yaml.safe_load((CHART / "values-dev.yaml").read_text()),
}


def _parse(manifests: dict[str, str]) -> list[dict[str, Any]]:
    objects = []
    for path, text in sorted(manifests.items()):
        if not path.endswith(".yaml"):
            continue
        objects.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return objects


@functools.cache
def _chart() -> helm.Chart:
    return helm.Chart.load(CHART)


@functools.cache
def _render_json(values_json: str) -> str:
    manifests = _chart().render(json.loads(values_json), name=RELEASE, namespace=RELEASE)
    return json.dumps(_parse(manifests))


def render(scenario: str | dict[str, Any]) -> list[dict[str, Any]]:
    """Every object the chart renders (hooks and tests included) for a scenario or values."""
    values = SCENARIOS[scenario] if isinstance(scenario, str) else scenario
    return list(json.loads(_render_json(json.dumps(values, sort_keys=True))))


def render_error(values: dict[str, Any]) -> str:
    """The message of the error rendering `values` fails with (the test fails otherwise)."""
    try:
        _chart().render(values, name=RELEASE, namespace=RELEASE)
    except helm.HelmError as error:
        return str(error)
    raise AssertionError(f"rendered although it should not: {values}")


def by_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def pod_spec(obj: dict[str, Any]) -> dict[str, Any] | None:
    if obj["kind"] in {"Deployment", "Job", "StatefulSet"}:
        spec: dict[str, Any] = obj["spec"]["template"]["spec"]
        return spec
    return None


def components(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Deployments by component label."""
    return {
        d["metadata"]["labels"]["app.kubernetes.io/component"]: d
        for d in by_kind(objects, "Deployment")
    }


def container_env(obj: dict[str, Any]) -> dict[str, str]:
    """Env of the first container; secret references appear as `secret:<name>/<key>`."""
    spec = pod_spec(obj)
    assert spec is not None
    result = {}
    for entry in spec["containers"][0].get("env", []):
        if "value" in entry:
            result[entry["name"]] = entry["value"]
        else:
            ref = entry["valueFrom"]["secretKeyRef"]
            result[entry["name"]] = f"secret:{ref['name']}/{ref['key']}"
    return result


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Does a LabelSelector match `labels`?"""
    if not selector:
        return True
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values")
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


@functools.cache
def exported_metrics() -> dict[str, frozenset[str]]:
    """Series names the platform code exports (with suffixes) -> their label names."""
    from prometheus_client.metrics import MetricWrapperBase

    from obcms_platform.bus.metrics import ScrapedGauge

    # The platform's metrics and the notifications service's own (sent_total, the jobs'
    # last success, the beat lock).
    modules = [
        importlib.import_module(name)
        for name in (
            "obcms_platform.metrics",
            "obcms_platform.bus.metrics",
            "notifications_service.delivery.service",
            "notifications_service.jobs.service",
            "notifications_service.jobs.beat",
        )
    ]
    suffixes = {
        "counter": ("_total",),
        "gauge": ("",),
        "histogram": ("_bucket", "_count", "_sum"),
        "summary": ("_count", "_sum", ""),
    }
    names: dict[str, frozenset[str]] = {}
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, ScrapedGauge):  # the relay's, read at scrape time
                names[value.name] = frozenset({value.label})
                continue
            if not isinstance(value, MetricWrapperBase):
                continue
            (family,) = value.describe()
            if not family.name.startswith("obcms_"):
                continue
            labels = frozenset(value._labelnames)
            for suffix in suffixes[family.type]:
                names[family.name + suffix] = labels
    return names


def _selectors(expr: str) -> list[Any]:
    found: list[Any] = []

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            found.append(node)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return found


def promql_metric_names(expr: str) -> set[str]:
    return {s.name for s in _selectors(expr) if s.name}


def promql_labels(expr: str) -> dict[str, set[str]]:
    """Metric name -> label names its selectors match on, plus every by() label of the expr."""
    aggregated: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.AggregateExpr) and node.modifier is not None:
            aggregated.update(node.modifier.labels)

    promql_parser.walk(promql_parser.parse(expr), visit)
    result: dict[str, set[str]] = {}
    for selector in _selectors(expr):
        if selector.name:
            labels = {m.name for m in selector.matchers.matchers}
            result.setdefault(selector.name, set()).update(labels | aggregated)
    return result
