"""A local Kubernetes control plane: etcd, kube-apiserver, kube-controller-manager,
kube-scheduler and KWOK on loopback, for the operators' path (Helm, ``obcmsctl deploy``)
without containers.

The binaries come from ``ops/kube-local/build.sh`` (built once from the Go module proxy,
cached outside the repository; ``OBCMS_KUBE_BIN`` names a folder of them instead). Every
start makes a fresh certificate authority, serving and client certificates and the
service-account key pair, so the API server runs as a cluster's does: TLS, client
certificates, ``--authorization-mode=Node,RBAC``. No kubelet runs: KWOK plays the kubelet of
a few simulated nodes, marking pods Running and Ready (no image is pulled or started) and
the pods of Jobs Succeeded; the scheduler, controllers and admission are the real ones.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import os
import ssl
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from obcms_platform.devstack.embedded import free_port
from obcms_platform.devstack.processes import ProcessGroup
from obcms_platform.devstack.stack import ProcessSpec

REPOSITORY = Path(__file__).resolve().parents[4]
BUILD_SCRIPT = REPOSITORY / "ops" / "kube-local" / "build.sh"
BINARIES_VARIABLE = "OBCMS_KUBE_BIN"
SERVICE_CIDR = "10.96.0.0/16"
CLUSTER_CIDR = "10.244.0.0/16"
KUBERNETES_SERVICE_IP = "10.96.0.1"
# What KWOK manages: nodes with this annotation (the simulated ones this module creates).
KWOK_NODE_ANNOTATION = ("kwok.x-k8s.io/node", "fake")
# A pod of a Job whose image tag ends so fails instead of succeeding: how a test makes a
# migration hook fail (KWOK runs no image, so nothing else could).
FAILING_JOB_TAG_SUFFIX = "-fails-on-kwok"


def binaries_folder(say: Callable[[str], None] = lambda _: None) -> Path:
    """The folder with etcd, kube-apiserver, kube-controller-manager, kube-scheduler and
    kwok: ``OBCMS_KUBE_BIN``, or what ``build.sh`` builds (at once when cached)."""
    configured = os.environ.get(BINARIES_VARIABLE)
    if configured:
        return Path(configured)
    say(f"{BUILD_SCRIPT} (builds the binaries unless cached) ...")
    result = subprocess.run(
        ["bash", str(BUILD_SCRIPT)], stdout=subprocess.PIPE, text=True, check=True
    )
    return Path(result.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ certificates


@dataclass(frozen=True)
class KeyPair:
    certificate: Path
    key: Path


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(parts)


class CertificateAuthority:
    """A throwaway CA: signs the API server's serving certificate and the client
    certificates (a client's CN is its user name, its O its group, as Kubernetes reads them)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.key = _key()
        now = datetime.datetime.now(datetime.UTC)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(_name("obcms-local-kube-ca"))
            .issuer_name(_name("obcms-local-kube-ca"))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(self.key, hashes.SHA256())
        )
        self.path = folder / "ca.crt"
        self.path.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))

    def issue(
        self,
        name: str,
        common_name: str,
        organization: str | None = None,
        *,
        server_names: tuple[str, ...] = (),
        server_ips: tuple[str, ...] = (),
    ) -> KeyPair:
        key = _key()
        now = datetime.datetime.now(datetime.UTC)
        usage = (
            x509.oid.ExtendedKeyUsageOID.SERVER_AUTH
            if server_names or server_ips
            else x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH
        )
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name, organization))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if server_names or server_ips:
            alternatives: list[x509.GeneralName] = [x509.DNSName(n) for n in server_names]
            alternatives += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in server_ips]
            builder = builder.add_extension(
                x509.SubjectAlternativeName(alternatives), critical=False
            )
        certificate = builder.sign(self.key, hashes.SHA256())
        pair = KeyPair(self.folder / f"{name}.crt", self.folder / f"{name}.key")
        pair.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        _write_key(pair.key, key)
        return pair


# ------------------------------------------------------------------ the control plane


class LocalControlPlane:
    """etcd, the API server, controller manager, scheduler and KWOK under `folder`, on free
    loopback ports; ``kubeconfig`` is a cluster-admin's (client certificate of a member of
    ``system:masters``). Use as a context manager, or ``start()`` and ``stop()``."""

    def __init__(
        self,
        folder: Path,
        *,
        nodes: int = 3,
        binaries: Path | None = None,
        say: Callable[[str], None] = lambda _: None,
        ready_timeout: float = 120,
    ) -> None:
        self.folder = folder
        self.node_count = nodes
        self.say = say
        self.ready_timeout = ready_timeout
        self.binaries = binaries or binaries_folder(say)
        self.pki = folder / "pki"
        self.api_port = free_port()
        self.server = f"https://127.0.0.1:{self.api_port}"
        self.kubeconfig = folder / "admin.kubeconfig"
        self.processes = ProcessGroup(folder / "logs", {"PATH": os.environ.get("PATH", "")})
        self.ca: CertificateAuthority | None = None
        self.admin: KeyPair | None = None

    def __enter__(self) -> LocalControlPlane:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def nodes(self) -> list[str]:
        return [f"kwok-node-{index}" for index in range(self.node_count)]

    def log(self, name: str) -> str:
        path = self.processes.log_path(name)
        return path.read_text(errors="replace") if path.exists() else ""

    # --- start -----------------------------------------------------------------------

    def start(self) -> None:
        started = time.monotonic()
        self.pki.mkdir(parents=True, exist_ok=True)
        self.ca = CertificateAuthority(self.pki)
        etcd_port = free_port()
        self._start(
            "etcd",
            f"--data-dir={self.folder / 'etcd'}",
            f"--listen-client-url=http://127.0.0.1:{etcd_port}",
            f"--listen-peer-url=http://127.0.0.1:{free_port()}",
        )
        self._start_api_server(etcd_port)
        self._wait("the API server to be ready", self._api_ready, "kube-apiserver")
        self._start_controllers()
        self._create_nodes()
        self._wait("the simulated nodes to be Ready", self._nodes_ready, "kwok")
        # The service-account controller is the last thing a namespace's pods wait for.
        self._wait(
            "the controllers (the default ServiceAccount)",
            lambda: self.get("/api/v1/namespaces/default/serviceaccounts/default") is not None,
            "kube-controller-manager",
        )
        self.say(f"control plane ready in {time.monotonic() - started:.1f} s: {self.server}")

    def _start(self, name: str, *arguments: str) -> None:
        command = [str(self.binaries / name), *arguments]
        self.processes.start(ProcessSpec(name=name, command=command))

    def _start_api_server(self, etcd_port: int) -> None:
        assert self.ca is not None
        serving = self.ca.issue(
            "apiserver",
            "kube-apiserver",
            server_names=(
                "localhost",
                "kubernetes",
                "kubernetes.default",
                "kubernetes.default.svc",
                "kubernetes.default.svc.cluster.local",
            ),
            server_ips=("127.0.0.1", KUBERNETES_SERVICE_IP),
        )
        self.admin = self.ca.issue("admin", "obcms-local-admin", "system:masters")
        accounts = _key()
        _write_key(self.pki / "service-accounts.key", accounts)
        (self.pki / "service-accounts.pub").write_bytes(
            accounts.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        self._start(
            "kube-apiserver",
            f"--etcd-servers=http://127.0.0.1:{etcd_port}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={self.api_port}",
            f"--tls-cert-file={serving.certificate}",
            f"--tls-private-key-file={serving.key}",
            f"--client-ca-file={self.ca.path}",
            "--authorization-mode=Node,RBAC",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={self.pki / 'service-accounts.pub'}",
            f"--service-account-signing-key-file={self.pki / 'service-accounts.key'}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            # The "kubernetes" Service's endpoint would be the loopback address, which
            # Endpoints refuse: there is no pod network to reach it from anyway.
            "--endpoint-reconciler-type=none",
            f"--cert-dir={self.pki}",
            "--profiling=false",
        )
        self._kubeconfig(self.kubeconfig, self.admin)

    def _kubeconfig(self, path: Path, client: KeyPair) -> None:
        assert self.ca is not None
        # JSON is YAML: every Kubernetes client reads it.
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "obcms-local",
                    "cluster": {
                        "server": self.server,
                        "certificate-authority": str(self.ca.path),
                    },
                }
            ],
            "users": [
                {
                    "name": path.stem,
                    "user": {
                        "client-certificate": str(client.certificate),
                        "client-key": str(client.key),
                    },
                }
            ],
            "contexts": [
                {"name": "obcms-local", "context": {"cluster": "obcms-local", "user": path.stem}}
            ],
            "current-context": "obcms-local",
        }
        path.write_text(json.dumps(config, indent=2))
        path.chmod(0o600)

    def _start_controllers(self) -> None:
        assert self.ca is not None
        for name, user in (
            ("kube-controller-manager", "system:kube-controller-manager"),
            ("kube-scheduler", "system:kube-scheduler"),
        ):
            kubeconfig = self.folder / f"{name}.kubeconfig"
            self._kubeconfig(kubeconfig, self.ca.issue(name, user))
            arguments = [
                f"--kubeconfig={kubeconfig}",
                f"--authentication-kubeconfig={kubeconfig}",
                f"--authorization-kubeconfig={kubeconfig}",
                "--bind-address=127.0.0.1",
                f"--secure-port={free_port()}",
                f"--cert-dir={self.folder / name}",
                "--leader-elect=false",
            ]
            if name == "kube-controller-manager":
                arguments += [
                    f"--root-ca-file={self.ca.path}",
                    f"--service-account-private-key-file={self.pki / 'service-accounts.key'}",
                    "--use-service-account-credentials",
                    "--allocate-node-cidrs",
                    f"--cluster-cidr={CLUSTER_CIDR}",
                    f"--service-cluster-ip-range={SERVICE_CIDR}",
                ]
            self._start(name, *arguments)
        self._start(
            "kwok",
            f"--kubeconfig={self.kubeconfig}",
            f"--config={self._kwok_config()}",
            "--manage-nodes-with-annotation-selector={}={}".format(*KWOK_NODE_ANNOTATION),
            f"--server-address=127.0.0.1:{free_port()}",
            # Node leases renewed (the heartbeat stage): nodes stay Ready for the
            # controller manager's node lifecycle controller, as kwokctl runs it.
            "--node-lease-duration-seconds=40",
        )

    def _kwok_config(self) -> Path:
        """KWOK's configuration: its own fast stages (nodes Ready at once, pods Ready, a Job's
        pods Succeeded, deleted pods gone), shipped beside the binary by build.sh, and the
        failing-Job stage of this module."""
        stages = sorted((self.binaries / "kwok-stages").glob("*.yaml"))
        documents = [path.read_text() for path in stages]
        documents.append(FAILING_JOB_STAGE)
        path = self.folder / "kwok.yaml"
        path.write_text("\n---\n".join(documents))
        return path

    def _create_nodes(self) -> None:
        key, value = KWOK_NODE_ANNOTATION
        for name in self.nodes:
            node = {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": name,
                    "annotations": {key: value, "node.alpha.kubernetes.io/ttl": "0"},
                    "labels": {
                        "kubernetes.io/hostname": name,
                        "kubernetes.io/os": "linux",
                        "kubernetes.io/arch": "amd64",
                        "type": "kwok",
                    },
                },
                "status": {
                    "capacity": {"cpu": "16", "memory": "64Gi", "pods": "110"},
                    "allocatable": {"cpu": "16", "memory": "64Gi", "pods": "110"},
                },
            }
            self.request("POST", "/api/v1/nodes", node)

    def _api_ready(self) -> bool:
        with contextlib.suppress(httpx.HTTPError):
            return self._client().get("/readyz").status_code == 200
        return False

    def _nodes_ready(self) -> bool:
        nodes = self.get("/api/v1/nodes") or {"items": []}
        ready = [
            item
            for item in nodes["items"]
            if any(
                condition["type"] == "Ready" and condition["status"] == "True"
                for condition in item.get("status", {}).get("conditions", [])
            )
        ]
        return len(ready) == self.node_count

    def _wait(self, what: str, ready: Callable[[], bool], log: str) -> None:
        end = time.monotonic() + self.ready_timeout
        while time.monotonic() < end:
            exited = dict(self.processes.exited())
            if exited:
                name, code = next(iter(exited.items()))
                raise RuntimeError(
                    f"{name} exited with {code} while waiting for {what}:\n{self.log(name)[-4000:]}"
                )
            if ready():
                return
            time.sleep(0.2)
        raise RuntimeError(
            f"{what}: not within {self.ready_timeout:.0f} s; {log} log:\n{self.log(log)[-4000:]}"
        )

    # --- API -------------------------------------------------------------------------

    def _client(self) -> httpx.Client:
        assert self.ca is not None
        assert self.admin is not None
        tls = ssl.create_default_context(cafile=str(self.ca.path))
        tls.load_cert_chain(self.admin.certificate, self.admin.key)
        return httpx.Client(base_url=self.server, verify=tls, timeout=30)

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """One API call as the cluster admin; the decoded answer (fails on an error)."""
        with self._client() as client:
            response = client.request(method, path, json=body)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    def get(self, path: str) -> Any:
        """The object at `path`, or None when it does not exist (yet)."""
        with self._client() as client:
            response = client.get(path)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()

    # --- stop ------------------------------------------------------------------------

    def stop(self) -> None:
        """Everything stopped together, then etcd (the API server's store) last."""
        self.processes.stop_all(last=("etcd",))


FAILING_JOB_STAGE = f"""\
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: obcms-job-pod-fails
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values: ['Running']
    - key: '.metadata.ownerReferences.[].kind'
      operator: 'In'
      values: ['Job']
    - key: '.spec.containers.[].image | endswith("{FAILING_JOB_TAG_SUFFIX}")'
      operator: 'In'
      values: ['true']
  weight: 10000
  next:
    statusTemplate: |
      {{{{ $now := Now }}}}
      containerStatuses:
      {{{{ range .spec.containers }}}}
      - image: {{{{ .image | Quote }}}}
        name: {{{{ .name | Quote }}}}
        ready: false
        restartCount: 0
        started: false
        state:
          terminated:
            exitCode: 1
            finishedAt: {{{{ $now | Quote }}}}
            reason: Error
            startedAt: {{{{ $now | Quote }}}}
      {{{{ end }}}}
      phase: Failed
"""
