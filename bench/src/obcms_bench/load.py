"""Running locust headless as a subprocess and reading its stats CSV."""

from __future__ import annotations

import csv
import json
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


@dataclass(frozen=True)
class LoadOptions:
    """Each scenario runs twice, the same for every scenario: latency with `users` (few
    enough for the box to serve without queueing much), then throughput with
    `throughput_users` (0: not measured), whose requests/s are reported on their own."""

    users: int
    seconds: int
    throughput_users: int = 0


def _number(text: str) -> float:
    return float(text) if text not in {"", "N/A"} else 0.0


def read_stats(path: Path) -> dict[str, dict[str, float]]:
    """Per request name: p50/p95/p99 and mean (ms), requests/s, requests, failures."""
    result = {}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated":
                continue
            result[row["Name"]] = {
                "p50_ms": _number(row["50%"]),
                "p95_ms": _number(row["95%"]),
                "p99_ms": _number(row["99%"]),
                "mean_ms": round(_number(row["Average Response Time"]), 1),
                "rps": round(_number(row["Requests/s"]), 1),
                "requests": _number(row["Request Count"]),
                "failures": _number(row["Failure Count"]),
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
        "--csv",
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
    return read_stats(Path(f"{prefix}_stats.csv"))
