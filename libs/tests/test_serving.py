"""`obcms_platform.serving`: an idle API process sleeps, yet its ``date`` header stays exact,
a dead or hung worker is still replaced and a signal still acts at once."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

import httpx
import pytest

from obcms_platform.devstack.embedded import free_port
from obcms_platform.testing.polling import wait_until
from obcms_platform.testing.processes import wakeups
from obcms_platform.testing.timing import deadline

APP_DIR = Path(__file__).parent / "serving_app"
# A supervisor that pings its workers every `argv[3]` seconds, each ping answered within a
# second.
SERVE = """
import sys
from obcms_platform import serving
serving.HUNG_WORKER_CHECK_SECONDS = float(sys.argv[3])
serving.serve(
    "quiet_app:create_app",
    port=int(sys.argv[1]),
    workers=int(sys.argv[2]),
    timeout_worker_healthcheck=1,
    log_config=None,
)
"""


def _children(pid: int) -> set[int]:
    """The worker processes of a supervisor (its resource tracker left out, and a child
    reaped between the listing and the look at its command line: it is gone)."""
    workers = set()
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            command = Path(f"/proc/{child}/cmdline").read_text()
        except FileNotFoundError:
            continue
        if "resource_tracker" not in command:
            workers.add(int(child))
    return workers


def _answering(url: str) -> int | None:
    try:
        return int(httpx.get(url, timeout=2).text)
    except httpx.HTTPError:
        return None


@pytest.fixture
def serve() -> Iterator[object]:
    started: list[subprocess.Popen[bytes]] = []

    def start(workers: int, ping_every: float = 1.0) -> tuple[subprocess.Popen[bytes], str]:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(port), str(workers), str(ping_every)],
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


def test_an_idle_server_sleeps(serve) -> None:
    supervisor, url = serve(2, ping_every=600)
    worker = _answering(url)
    assert worker is not None
    wait_until(lambda: len(_children(supervisor.pid)) == 2, 60, message="two workers")
    processes = (worker, supervisor.pid)
    before, started = [wakeups(pid) for pid in processes], time.monotonic()
    time.sleep(3)  # what is measured: what the processes do while nothing happens
    elapsed = time.monotonic() - started
    per_second = [
        (wakeups(pid) - was) / elapsed for pid, was in zip(processes, before, strict=True)
    ]
    # uvicorn: the worker ticks ten times a second, its supervisor twice; the quiet ones
    # ticked once a second and twice.
    assert all(rate < 0.5 for rate in per_second), per_second


def test_the_date_header_follows_the_clock(serve) -> None:
    _, url = serve(1)
    first = httpx.get(url, timeout=2).headers["date"]
    assert first == formatdate(parsedate_to_datetime(first).timestamp(), usegmt=True)
    # The next second, with no request in between: no timer refreshed it.
    next_second = parsedate_to_datetime(first).timestamp() + 1
    wait_until(lambda: time.time() >= next_second, 5, message="the next second")
    later = httpx.get(url, timeout=2).headers["date"]
    assert parsedate_to_datetime(later) > parsedate_to_datetime(first)


def test_a_worker_that_exits_is_replaced_at_once(serve) -> None:
    # Pings far away: only the worker's exit can wake the supervisor.
    supervisor, url = serve(2, ping_every=600)
    wait_until(lambda: len(_children(supervisor.pid)) == 2, 60, message="two workers")
    dead = min(_children(supervisor.pid))
    os.kill(dead, signal.SIGKILL)
    wait_until(
        lambda: dead not in _children(supervisor.pid) and len(_children(supervisor.pid)) == 2,
        deadline(10),
        message="the dead worker replaced",
    )
    assert wait_until(lambda: _answering(url), 30, message="a worker answering")


def test_a_hangup_replaces_every_worker(serve) -> None:
    supervisor, url = serve(2, ping_every=600)
    wait_until(lambda: len(_children(supervisor.pid)) == 2, 60, message="two workers")
    old = _children(supervisor.pid)
    supervisor.send_signal(signal.SIGHUP)
    wait_until(
        lambda: len(_children(supervisor.pid)) == 2 and not _children(supervisor.pid) & old,
        deadline(60),
        message="both workers replaced",
    )
    assert wait_until(lambda: _answering(url), 30, message="a new worker answering")


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
    server, _ = serve(1)
    stopping = time.monotonic()
    server.send_signal(signal.SIGTERM)
    # uvicorn shuts down, then lets the signal it caught end the process.
    assert server.wait(deadline(10)) == -signal.SIGTERM
    # The main loop sleeps until a signal, which wakes it.
    assert time.monotonic() - stopping < deadline(0.9)
