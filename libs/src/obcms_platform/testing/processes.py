"""A service API as a real uvicorn process, and an OTLP endpoint that records what it gets:
for tests of tracing and JSON logs, which only a real process shows."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from obcms_platform.devstack.embedded import free_port


class Collector:
    """A minimal OTLP/HTTP endpoint recording what it receives."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, bytes]] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                collector.requests.append((self.path, body))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def traces(self) -> bytes:
        return b"".join(body for path, body in self.requests if path == "/v1/traces")


def serve_app(app_factory: str, env: dict[str, str], port: int) -> subprocess.Popen[str]:
    """Start `uvicorn <app_factory> --factory` on `port`; returns once /healthz answers."""
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app_factory,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
    ]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(process.communicate()[0])


def stop_and_read_logs(process: subprocess.Popen[str]) -> list[dict[str, object]]:
    """Terminate the process; its JSON log lines."""
    process.terminate()
    output = process.communicate(timeout=30)[0]
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]
