"""`obcms_platform.serving`: an idle API process sleeps, yet a hung worker is still replaced
and a signal still stops the server at once."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from obcms_platform.devstack.embedded import free_port
from obcms_platform.testing.polling import wait_until
from obcms_platform.testing.timing import deadline

APP_DIR = Path(__file__).parent / "serving_app"
# A supervisor that pings its workers every second, each ping answered within a second.
SERVE = """
import sys
from obcms_platform import serving
serving.HUNG_WORKER_CHECK_SECONDS = 1.0
serving.serve(
    "quiet_app:create_app",
    port=int(sys.argv[1]),
    workers=int(sys.argv[2]),
    timeout_worker_healthcheck=1,
    log_config=None,
)
"""


def _children(pid: int) -> set[int]:
    """The worker processes of a supervisor (its resource tracker left out)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return {
        int(child)
        for child in children
        if "resource_tracker" not in Path(f"/proc/{child}/cmdline").read_text()
    }


def _wakeups(pid: int) -> int:
    """How often the threads of process `pid` have gone to sleep and been woken so far."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for line in (task / "status").read_text().splitlines():
            if line.startswith("voluntary_ctxt_switches:"):
                total += int(line.split()[1])
    return total


def _answering(url: str) -> int | None:
    try:
        return int(httpx.get(url, timeout=2).text)
    except httpx.HTTPError:
        return None


@pytest.fixture
def serve() -> Iterator[object]:
    started: list[subprocess.Popen[bytes]] = []

    def start(workers: int) -> tuple[subprocess.Popen[bytes], str]:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(port), str(workers)],
            env={**os.environ, "PYTHONPATH": str(APP_DIR)},
            start_new_session=True,  # its workers too are stopped with its process group
        )
        started.append(process)
        url = f"http://127.0.0.1:{port}/"
        wait_until(lambda: _answering(url), 60, message="the server answering")
        return process, url

    yield start
    for process in started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def test_an_idle_worker_wakes_about_once_a_second(serve) -> None:
    supervisor, url = serve(2)
    worker = _answering(url)
    assert worker is not None
    wait_until(lambda: len(_children(supervisor.pid)) == 2, 60, message="two workers")
    before, started = _wakeups(worker), time.monotonic()
    time.sleep(3)  # what is measured: what the worker does while nothing happens
    per_second = (_wakeups(worker) - before) / (time.monotonic() - started)
    # uvicorn's own loop: ten ticks a second, and the supervisor's pings.
    assert per_second < 4, per_second


def test_a_hung_worker_is_replaced(serve) -> None:
    supervisor, url = serve(2)
    wait_until(lambda: len(_children(supervisor.pid)) == 2, 60, message="two workers")
    hung = min(_children(supervisor.pid))
    os.kill(hung, signal.SIGSTOP)  # alive to waitpid, but answers nothing
    try:
        wait_until(
            lambda: hung not in _children(supervisor.pid) and len(_children(supervisor.pid)) == 2,
            30,
            message="the hung worker replaced",
        )
    finally:
        if hung in _children(supervisor.pid):
            os.kill(hung, signal.SIGCONT)
    assert wait_until(lambda: _answering(url), 30, message="the new worker answering")


def test_a_signal_stops_the_server_at_once(serve) -> None:
    server, url = serve(1)
    date = httpx.get(url, timeout=2).headers["date"]  # still sent, refreshed each second
    assert date.endswith("GMT")
    stopping = time.monotonic()
    server.send_signal(signal.SIGTERM)
    # uvicorn shuts down, then lets the signal it caught end the process.
    assert server.wait(deadline(10)) == -signal.SIGTERM
    # The main loop sleeps a second at a time, but the signal wakes it.
    assert time.monotonic() - stopping < deadline(0.9)
