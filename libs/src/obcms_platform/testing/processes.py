"""A service API as a real uvicorn process, and an OTLP endpoint that records what it gets:
for tests of tracing and JSON logs, which only a real process shows."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from obcms_platform.devstack.embedded import free_port
from obcms_platform.testing.polling import wait_until
from obcms_platform.testing.timing import PROCESS_READY_TIMEOUT, deadline


def wakeups(pid: int) -> int:
    """How often the threads of process `pid` have gone to sleep and been woken so far (what
    an idle process should rarely do)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for line in (task / "status").read_text().splitlines():
            if line.startswith("voluntary_ctxt_switches:"):
                total += int(line.split()[1])
    return total


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

    def answered_or_exited() -> bool:
        if process.poll() is not None:
            return True
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(
            answered_or_exited,
            timeout=PROCESS_READY_TIMEOUT,
            message=f"{app_factory} to answer /healthz",
        )
        if process.poll() is None:
            return process
        failure = f"{app_factory} exited with {process.returncode}"
    except AssertionError as timed_out:
        process.kill()
        failure = str(timed_out)
    raise AssertionError(f"{failure}; its output:\n{process.communicate()[0]}")


def stop_and_read_logs(process: subprocess.Popen[str]) -> list[dict[str, object]]:
    """Terminate the process; its JSON log lines."""
    process.terminate()
    output = process.communicate(timeout=deadline(30))[0]
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]
