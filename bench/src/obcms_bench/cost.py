"""CPU time per request, process by process, of a stack started by ``obcms-bench serve``.

Requests go one at a time through the gateway; the CPU time (user + system) that each of the
stack's processes, PostgreSQL and Redis used meanwhile is divided by the number of requests.
Unlike latency on a shared machine, this barely depends on what else is running.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil


@dataclass(frozen=True)
class Cost:
    path: str
    requests: int
    wall_p50_ms: float
    wall_p95_ms: float
    cpu_ms: dict[str, float]  # per request, by process group

    @property
    def total_ms(self) -> float:
        """CPU ms per request of the whole stack."""
        return sum(self.cpu_ms.values())

    def line(self) -> str:
        cpu = ", ".join(f"{name} {ms:.2f}" for name, ms in sorted(self.cpu_ms.items()))
        return (
            f"{self.path}\n  wall p50 {self.wall_p50_ms:.2f} ms, p95 {self.wall_p95_ms:.2f} ms; "
            f"CPU ms per request: {cpu}, total {self.total_ms:.2f}"
        )


def process_groups(
    pids: dict[str, int], serve_pid: int, state_dir: Path
) -> dict[str, list[psutil.Process]]:
    """Each stack process with its children (uvicorn workers), PostgreSQL's postmaster of
    `state_dir` with its backends, and the Redis server the serve command started."""
    groups: dict[str, list[psutil.Process]] = {}
    for name, pid in pids.items():
        with_children = psutil.Process(pid)
        groups[name] = [with_children, *with_children.children(recursive=True)]
    data_dir = str(state_dir / "postgres")
    for process in psutil.process_iter(["cmdline"]):
        command = process.info["cmdline"] or []
        if "-D" in command and data_dir in command:
            groups["postgres"] = [process, *process.children(recursive=True)]
    groups["redis"] = [
        child
        for child in psutil.Process(serve_pid).children()
        if "redis-server" in " ".join(child.cmdline())
    ]
    return groups


def _cpu_seconds(groups: dict[str, list[psutil.Process]]) -> dict[str, float]:
    seconds: dict[str, float] = {}
    for name, processes in groups.items():
        total = 0.0
        for process in processes:
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        seconds[name] = total
    return seconds


def idle(groups: dict[str, list[psutil.Process]], seconds: float) -> dict[str, float]:
    """CPU ms per second that each process group uses while nobody asks anything of the
    stack: the price of an installation at rest (relay, health, metrics, schedulers)."""
    before, started = _cpu_seconds(groups), time.monotonic()
    time.sleep(seconds)
    after, elapsed = _cpu_seconds(groups), time.monotonic() - started
    return {name: round((after[name] - before[name]) / elapsed * 1000, 2) for name in groups}


def measure(
    client: httpx.Client,
    find_groups: Callable[[], dict[str, list[psutil.Process]]],
    path: str,
    requests: int,
) -> Cost:
    for _ in range(20):  # warm: caches, prepared statements, keep-alive connections
        client.get(path).raise_for_status()
    groups = find_groups()  # after warming: the database backends it opened count too
    before = _cpu_seconds(groups)
    durations = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(path).raise_for_status()
        durations.append((time.perf_counter() - started) * 1000)
    after = _cpu_seconds(groups)
    durations.sort()
    return Cost(
        path=path,
        requests=requests,
        wall_p50_ms=statistics.median(durations),
        wall_p95_ms=durations[int(len(durations) * 0.95)],
        cpu_ms={name: (after[name] - before[name]) / requests * 1000 for name in groups},
    )
