"""Running locust headless as a subprocess and reading its final JSON stats."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


@dataclass(frozen=True)
class Request:
    name: str  # the row of the report
    url: str
    auth: str = "token"  # or "session"
    # CPU rows only: the source (tasks, portfolio, calendar) that changes before each request,
    # its feed generation bumped as the gateway's bus worker bumps it on that source's event.
    changed: str | None = None


@dataclass(frozen=True)
class LoadOptions:
    """Each scenario runs twice, the same for every scenario: latency with `users` (few
    enough for the box to serve without queueing much), then throughput with
    `throughput_users` (0: not measured), whose requests/s are reported on their own."""

    users: int
    seconds: int
    throughput_users: int = 0


def percentile(response_times: dict[int, int], fraction: float) -> float:
    """The `fraction` percentile (ms) of locust's response-time histogram (ms -> count)."""
    ordered = sorted(response_times.items())
    total = sum(count for _, count in ordered)
    if not total:
        return 0.0
    wanted = math.ceil(fraction * total)
    seen = 0
    for milliseconds, count in ordered:
        seen += count
        if seen >= wanted:
            return float(milliseconds)
    return float(ordered[-1][0])


def read_stats(path: Path) -> dict[str, dict[str, float]]:
    """Per request name: p50/p95/p99 and mean (ms), requests/s, requests, failures, from
    locust's final JSON stats (every completed request; its CSV can miss the last ones)."""
    result = {}
    for entry in json.loads(path.read_text()):
        requests = int(entry["num_requests"])
        times = {int(ms): int(count) for ms, count in entry["response_times"].items()}
        span = (entry["last_request_timestamp"] or entry["start_time"]) - entry["start_time"]
        result[entry["name"]] = {
            "p50_ms": percentile(times, 0.50),
            "p95_ms": percentile(times, 0.95),
            "p99_ms": percentile(times, 0.99),
            "mean_ms": round(entry["total_response_time"] / requests, 1) if requests else 0.0,
            "rps": round(requests / span, 1) if span > 0 else 0.0,
            "requests": float(requests),
            "failures": float(entry["num_failures"]),
        }
    return result


def run_locust(
    requests: list[Request],
    *,
    host: str,
    token: str,
    session: str,
    options: LoadOptions,
    out_dir: Path,
    label: str,
    users: int,
) -> dict[str, dict[str, float]]:
    """One locust run of `users` users without pauses, `options.seconds` long."""
    out_dir.mkdir(parents=True, exist_ok=True)
    prefix = out_dir / label
    command = [
        str(Path(sys.executable).parent / "locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        host,
        "-u",
        str(users),
        "-r",
        str(users),
        "-t",
        f"{options.seconds}s",
        "--json-file",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
    ]
    env = {
        **os.environ,
        "BENCH_REQUESTS": json.dumps([[r.name, r.url, r.auth] for r in requests]),
        "BENCH_TOKEN": token,
        "BENCH_SESSION": session,
    }
    with (out_dir / f"{label}.log").open("wb") as log:
        subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT, check=True)
    return read_stats(Path(f"{prefix}.json"))
