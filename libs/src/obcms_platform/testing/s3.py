"""An S3-compatible server for the tests of S3 attachment storage: moto's server mode, a
process of its own on the loopback.

What it exercises: boto3 over real HTTP (path-style addressing, SigV4 signatures that the
server checks: authentication is switched on, so a wrong secret is refused), multipart
uploads, streamed downloads, listing by prefix with pagination, S3's error codes. What it
does not: AWS itself (IAM policies beyond one allow-all user, encryption, TLS, eventual
consistency of a real cluster) or another vendor's S3 dialect (MinIO, Ceph).
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from obcms_platform.devstack.embedded import free_port, port_open
from obcms_platform.testing.polling import wait_until

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

REGION = "us-east-1"
# Requests the server answers before it checks signatures: creating the user, its policy,
# its access key.
_SETUP_REQUESTS = 3


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    access_key_id: str
    secret_access_key: str

    def client(self, secret_access_key: str | None = None) -> S3Client:
        import boto3

        client: S3Client = boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=secret_access_key or self.secret_access_key,
        )
        return client

    def new_bucket(self) -> str:
        name = f"obcms-test-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def credentials_env(self) -> dict[str, str]:
        """boto3's standard variables, as the chart sets them from its Secret."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_DEFAULT_REGION": REGION,
        }


def _start_with_authentication(endpoint: str) -> S3Server:
    import boto3

    # From here on every request past the first few must be signed by a key the server
    # issued (moto's IAM), with the matching secret.
    httpx.post(
        f"{endpoint}/moto-api/reset-auth", content=str(_SETUP_REQUESTS).encode()
    ).raise_for_status()
    iam: Any = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="setup",
        aws_secret_access_key="setup",  # any: the server does not check these yet
    )
    iam.create_user(UserName="obcms")
    allow_s3 = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }
    iam.put_user_policy(UserName="obcms", PolicyName="s3", PolicyDocument=json.dumps(allow_s3))
    key = iam.create_access_key(UserName="obcms")["AccessKey"]
    return S3Server(endpoint, key["AccessKeyId"], key["SecretAccessKey"])


def run_s3_server() -> Iterator[S3Server]:
    """Start moto's server, yield it once it answers, stop it afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(
            lambda: port_open(port) or process.poll() is not None,
            timeout=30,
            message="moto S3 server to listen",
        )
        if process.poll() is not None:
            raise RuntimeError(f"moto server exited with {process.returncode}")
        yield _start_with_authentication(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=10)
