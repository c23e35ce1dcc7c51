"""CPU time per request, process by process, of a stack started by ``obcms-bench serve``.

Requests go one at a time through the gateway; the CPU time that each of the stack's
processes, PostgreSQL and Redis used meanwhile is divided by the number of requests. Unlike
latency, it does not count the time spent waiting for a CPU; it still moves with the
machine's speed, which other tenants of a shared host change.

The time is each thread's time on a CPU as the scheduler counts it
(`/proc/<pid>/task/<tid>/schedstat`, in nanoseconds): the 10 ms ticks of `cpu_times` are too
coarse for a process that spends a few ms per request. A measurement is five rounds and
keeps the round of the least total, as `timeit` advises: on a shared machine other work only
ever slows a round down (here a fixed pure-Python loop took from 46 to 72 ms CPU between two
runs a second apart, so one round that meets a busy neighbour, a background job or a
worker's first requests must not decide the row); the least is the closest to what the code
itself costs. Every round's total is kept beside it.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil


@dataclass(frozen=True)
class Cost:
    path: str
    requests: int
    wall_p50_ms: float
    wall_p95_ms: float
    cpu_ms: dict[str, float]  # per request, by process group (the least round)
    round_totals_ms: tuple[float, ...] = ()  # every round's total, in the order measured

    @property
    def total_ms(self) -> float:
        """CPU ms per request of the whole stack."""
        return sum(self.cpu_ms.values())

    def line(self) -> str:
        cpu = ", ".join(f"{name} {ms:.2f}" for name, ms in sorted(self.cpu_ms.items()))
        return (
            f"{self.path}\n  wall p50 {self.wall_p50_ms:.2f} ms, p95 {self.wall_p95_ms:.2f} ms; "
            f"CPU ms per request: {cpu}, total {self.total_ms:.2f} "
            f"(rounds {', '.join(f'{total:.2f}' for total in self.round_totals_ms)})"
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


ThreadTimes = dict[tuple[int, int], float]  # (pid, tid) -> seconds on a CPU


def _thread_seconds(process: psutil.Process) -> ThreadTimes:
    """Each live thread's time on a CPU; empty for a process that is gone."""
    times: ThreadTimes = {}
    try:
        threads = Path(f"/proc/{process.pid}/task").iterdir()
        for thread in threads:
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                on_cpu_ns = (thread / "schedstat").read_text().split()[0]
                times[process.pid, int(thread.name)] = int(on_cpu_ns) / 1e9
    except (FileNotFoundError, ProcessLookupError):
        return {}
    return times


def _cpu_seconds(groups: dict[str, list[psutil.Process]]) -> dict[str, ThreadTimes]:
    return {
        name: {
            key: value for process in processes for key, value in _thread_seconds(process).items()
        }
        for name, processes in groups.items()
    }


def _used(before: dict[str, ThreadTimes], after: dict[str, ThreadTimes]) -> dict[str, float]:
    """Seconds each group used between two readings: a thread started meanwhile counts from
    zero; one that ended meanwhile is not counted (its last slice is lost, not negative)."""
    return {
        name: sum(seconds - before[name].get(key, 0.0) for key, seconds in threads.items())
        for name, threads in after.items()
    }


def idle(groups: dict[str, list[psutil.Process]], seconds: float) -> dict[str, float]:
    """CPU ms per second that each process group uses while nobody asks anything of the
    stack: the price of an installation at rest (relay, health, metrics, schedulers)."""
    before, started = _cpu_seconds(groups), time.monotonic()
    time.sleep(seconds)
    used, elapsed = _used(before, _cpu_seconds(groups)), time.monotonic() - started
    return {name: round(seconds_used / elapsed * 1000, 2) for name, seconds_used in used.items()}


def steal_percent(before: Any, after: Any) -> float:
    """The share of the machine's CPU time, between two `psutil.cpu_times()`, that the
    hypervisor gave to other guests (steal): on a shared virtual machine, the higher it is,
    the more every figure of the run is inflated (caches and cores shared with others)."""
    # guest and guest_nice are already counted in user and nice.
    fields = [name for name in before._fields if name not in {"guest", "guest_nice"}]
    total = sum(getattr(after, name) - getattr(before, name) for name in fields)
    stolen = getattr(after, "steal", 0.0) - getattr(before, "steal", 0.0)
    return round(stolen / total * 100, 1) if total > 0 else 0.0


ROUNDS = 5
WARM_REQUESTS = 20


def measure(
    client: httpx.Client,
    find_groups: Callable[[], dict[str, list[psutil.Process]]],
    path: str,
    requests: int,
    before_each: Callable[[], object] | None = None,
) -> Cost:
    """`requests` sequential requests of `path`, `ROUNDS` times after warming; the round with
    the least total CPU gives the row, every round's requests give the wall percentiles.
    `before_each` runs before every request (outside its wall time; its CPU counts where it
    is spent)."""
    prepare = before_each or (lambda: None)
    for _ in range(WARM_REQUESTS):  # caches, prepared statements, keep-alive connections
        prepare()
        client.get(path).raise_for_status()
    groups = find_groups()  # after warming: the database backends it opened count too
    rounds: list[dict[str, float]] = []
    durations = []
    for _ in range(ROUNDS):
        before = _cpu_seconds(groups)
        for _ in range(requests):
            prepare()
            started = time.perf_counter()
            client.get(path).raise_for_status()
            durations.append((time.perf_counter() - started) * 1000)
        used = _used(before, _cpu_seconds(groups))
        rounds.append({name: seconds / requests * 1000 for name, seconds in used.items()})
    totals = [sum(cpu.values()) for cpu in rounds]
    least_round = rounds[totals.index(min(totals))]
    durations.sort()
    return Cost(
        path=path,
        requests=requests,
        wall_p50_ms=statistics.median(durations),
        wall_p95_ms=durations[int(len(durations) * 0.95)],
        cpu_ms=least_round,
        round_totals_ms=tuple(round(total, 2) for total in totals),
    )
