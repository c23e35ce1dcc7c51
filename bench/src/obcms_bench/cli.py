"""`obcms-bench`: dataset, production-like stack, locust load, report (`make bench`)."""

from __future__ import annotations

import json
import os
import platform
import secrets
import signal
import sys
import time
from contextlib import ExitStack
from dataclasses import asdict
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import httpx
import psutil
import redis
import typer

from obcms_bench import cost as costs
from obcms_bench import dataset, measure, report
from obcms_bench.load import LoadOptions
from obcms_bench.scales import Scale, parse_scales
from obcms_bench.stack import Servers, Stack
from obcms_platform import registry
from obcms_platform.heap import QUIET_SECONDS

BENCH_DIR = Path(__file__).resolve().parents[2]
QUICK_SECONDS = 5
# Seconds a started stack is left alone before its idle cost is measured.
IDLE_SETTLE_SECONDS = 10
# The memory row is read at rest: this long after the load, past the services' quiet period
# (`obcms_platform.heap.QUIET_SECONDS`), after which they hand back what glibc kept.
MEMORY_SETTLE_SECONDS = 3 * QUIET_SECONDS
QUICK_SAMPLES = 8
QUICK_CPU_REQUESTS = 20

cli = typer.Typer(
    help="OBCMS benchmarks: generate a dataset per scale, start the stack as in production "
    "(embedded PostgreSQL and Redis, several uvicorn workers per API), load it with locust "
    "and write results.json, REPORT.md and growth.png.",
    no_args_is_help=True,
)


@cli.callback()
def _group() -> None:
    """OBCMS benchmarks (see bench/README.md)."""
    # SIGTERM stops like Ctrl-C: every process the bench started, then the servers. Ctrl-C
    # works even when started as a background job (which would inherit ignoring it).
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _memory(stack: Stack) -> dict[str, float]:
    return {name: round(value, 1) for name, value in stack.memory().items()}


def _say(message: str) -> None:
    typer.echo(f"[bench] {message}")


def _admin_password(state: Path) -> str:
    stored = state / "admin_password"
    if not stored.exists():
        stored.write_text(secrets.token_urlsafe(16))
        stored.chmod(0o600)
    return stored.read_text().strip()


def _dataset(
    servers: Servers, scale: Scale, year: int, password: str, reload: bool
) -> tuple[dict[str, str], dict[str, Any]]:
    """The scale's databases, loaded now or reused from an earlier run (a marker file)."""
    marker = servers.state / "datasets" / f"{scale.name}.json"
    stored = json.loads(marker.read_text()) if marker.exists() else {}
    # A dataset loaded before a deployable was added lacks its data: loaded again.
    deployables = [deployable.name for deployable in registry.DEPLOYABLES]
    wanted = (year, scale.years, deployables)
    if reload or (stored.get("year"), stored.get("years"), stored.get("deployables")) != wanted:
        servers.drop_databases(scale.name)
        marker.unlink(missing_ok=True)
        urls = servers.databases(scale.name)
        _say(f"{scale.name}: loading the dataset ...")
        summary = dataset.load(urls, scale, year, password)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(
            json.dumps(
                {
                    **asdict(summary),
                    "year": year,
                    "years": scale.years,
                    "deployables": deployables,
                },
                indent=2,
            )
        )
        return urls, {**asdict(summary), "reused": False}
    _say(f"{scale.name}: reusing the dataset loaded earlier ({marker})")
    return servers.databases(scale.name), {**stored, "reused": True}


def _stack_on(
    servers: Servers, urls: dict[str, str], scale: Scale, workers: int, password: str
) -> Stack:
    """A stack over the scale's databases, on an empty Redis, logging under its name."""
    servers.flush_redis()
    return Stack(
        servers,
        urls,
        servers.state / "logs" / scale.name,
        workers=workers,
        admin_password=password,
    )


def _saturation(
    stack: Stack,
    credentials: measure.Credentials,
    scale: Scale,
    year: int,
    options: LoadOptions,
    state_dir: Path,
) -> dict[str, Any]:
    """The stack's requests/s at saturation, scenario by scenario, with its worker count."""
    _say(f"{scale.name}: requests/s at saturation, {stack.workers} workers per API ...")
    found = measure.saturation(
        stack.urls, credentials, year, options, state_dir / "locust" / scale.name, stack.workers
    )
    return {"workers": stack.workers, "scenarios": found}


def _previous(out_dir: Path) -> dict[str, Any]:
    path = out_dir / "results.json"
    if path.exists():
        previous: dict[str, Any] = json.loads(path.read_text())
        return previous
    return {}


@cli.command()
def run(
    scales: Annotated[
        str, typer.Option(help="comma-separated: ref, x10, x100 (any xN, also x0.1)")
    ] = "ref,x10,x100",
    quick: Annotated[
        bool,
        typer.Option(
            help=f"short runs: {QUICK_SECONDS} s per scenario, {QUICK_SAMPLES} samples, "
            f"{QUICK_CPU_REQUESTS} requests for the CPU per request"
        ),
    ] = False,
    users: Annotated[
        int,
        typer.Option(
            help="locust users (no pauses) for the latency percentiles: few enough that a "
            "2-core box running locust and PostgreSQL too serves them without queueing"
        ),
    ] = 2,
    throughput_users: Annotated[
        int,
        typer.Option(
            help="locust users for a second run of each scenario, throughput only; 0 skips"
        ),
    ] = 4,
    seconds: Annotated[int, typer.Option(help="duration of each load scenario")] = 20,
    workers: Annotated[int, typer.Option(help="uvicorn workers per API (services, gateway)")] = 2,
    samples: Annotated[int, typer.Option(help="propagation samples per measurement")] = 30,
    cpu_requests: Annotated[
        int,
        typer.Option(
            help="sequential requests per HTTP request of a scenario for its CPU per request "
            "per process; 0 skips"
        ),
    ] = 50,
    only: Annotated[
        str,
        typer.Option(
            help="scenarios to run (comma-separated of idle, feed_cold, feed_warm, "
            "feed_year_cold, feed_year_warm, tasks, dashboard, pages, propagation, "
            "notifications, exports); default all. Also `saturation`, never run by default: "
            "req/s at saturation with --workers and with one more worker per API"
        ),
    ] = "",
    reload: Annotated[bool, typer.Option(help="load the datasets again")] = False,
    state_dir: Annotated[
        Path, typer.Option(help="databases, logs, locust CSVs (kept: datasets are reused)")
    ] = BENCH_DIR / ".state",
    out: Annotated[
        Path, typer.Option(help="results.json, REPORT.md, growth.png (merged per scale)")
    ] = BENCH_DIR / "results",
) -> None:
    """Benchmark each scale and write the report; prints its tables."""
    chosen = parse_scales(scales)
    if quick:
        seconds, samples = min(seconds, QUICK_SECONDS), min(samples, QUICK_SAMPLES)
        cpu_requests = min(cpu_requests, QUICK_CPU_REQUESTS)
    wanted = {name.strip() for name in only.split(",") if name.strip()} or None
    saturation = wanted is not None and "saturation" in wanted
    options = LoadOptions(users=users, seconds=seconds, throughput_users=throughput_users)
    year = date.today().year
    state_dir = state_dir.resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    state_dir.chmod(0o755)
    password = _admin_password(state_dir)
    results = _previous(out)
    results.setdefault("scales", {})
    with ExitStack() as exit_stack:
        servers = Servers(state_dir, exit_stack)
        for scale in chosen:
            urls, loaded = _dataset(servers, scale, year, password, reload)
            _say(f"{scale.name}: {loaded['counts']}")
            stack = _stack_on(servers, urls, scale, workers, password)
            entry: dict[str, Any] = {"dataset": loaded}
            saturated: list[dict[str, Any]] = []
            machine_times = psutil.cpu_times()
            try:
                _say(f"{scale.name}: starting the stack (logs in {stack.group.log_dir}) ...")
                stack.start()
                credentials = measure.login(stack.urls.gateway, password)
                find_groups = partial(costs.process_groups, stack.pids(), os.getpid(), state_dir)
                if wanted is None or "idle" in wanted:
                    _say(f"{scale.name}: idle ({seconds} s with no request) ...")
                    time.sleep(IDLE_SETTLE_SECONDS)  # the start's own work (migrations, caches)
                    entry["idle_cpu_ms_per_s"] = costs.idle(find_groups(), seconds)
                if cpu_requests:
                    entry["cpu_per_request"] = measure.cpu_per_request(
                        stack.urls,
                        credentials,
                        year,
                        find_groups,
                        cpu_requests,
                        servers.redis.url,
                        wanted,
                    )
                entry["http"] = measure.run_scenarios(
                    stack.urls,
                    credentials,
                    year,
                    options,
                    state_dir / "locust" / scale.name,
                    wanted,
                )
                if wanted is None or "propagation" in wanted:
                    _say(f"{scale.name}: propagation ({samples} samples) ...")
                    entry["propagation"] = measure.propagation(
                        stack.urls.gateway, credentials, year, samples
                    )
                if wanted is None or "notifications" in wanted:
                    _say(f"{scale.name}: notifications (a 1,000-task burst, the digest) ...")
                    entry["notifications"] = {
                        "fanout": measure.notification_fanout(
                            stack.urls.gateway, credentials, year
                        ),
                        "jobs": measure.digest_job(urls[registry.NOTIFICATIONS.name], year),
                    }
                if wanted is None or "exports" in wanted:
                    _say(f"{scale.name}: exports (every task and PPA as CSV and Excel) ...")
                    entry["exports"] = measure.exports(
                        stack.urls.gateway, credentials, stack.memory
                    )
                if entry["http"]:  # memory after the load: a run without it keeps the last
                    entry["memory_after_load_mb"] = _memory(stack)
                    # At rest: the services hand back what glibc kept once quiet (the target).
                    time.sleep(MEMORY_SETTLE_SECONDS)
                    entry["memory_mb"] = _memory(stack)
                if saturation:
                    saturated.append(
                        _saturation(stack, credentials, scale, year, options, state_dir)
                    )
            finally:
                stack.stop()
            entry["steal_percent"] = costs.steal_percent(machine_times, psutil.cpu_times())
            if saturation:
                # One more replica of every API: the premise of scaling out on load.
                stack = _stack_on(servers, urls, scale, workers + 1, password)
                try:
                    _say(f"{scale.name}: starting the stack with {workers + 1} workers per API")
                    stack.start()
                    credentials = measure.login(stack.urls.gateway, password)
                    saturated.append(
                        _saturation(stack, credentials, scale, year, options, state_dir)
                    )
                finally:
                    stack.stop()
                entry["saturation"] = report.saturation_by_scenario(saturated)
            # A run of some scenarios keeps the scale's other numbers measured earlier.
            earlier = results["scales"].get(scale.name, {})
            results["scales"][scale.name] = report.merge_scale(
                earlier, entry, partial=wanted is not None
            )
            results["meta"] = {
                "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
                "command": " ".join(["obcms-bench", *sys.argv[1:]]),
                "users": users,
                "throughput_users": throughput_users,
                "seconds": seconds,
                "workers": workers,
                "cpu_requests": cpu_requests,
            }
            text = report.write(results, out)
    typer.echo(text)
    _say(f"written: {out / 'results.json'}, {out / 'REPORT.md'}")


@cli.command()
def load(
    scales: Annotated[str, typer.Option(help="comma-separated: ref, x10, x100")] = "ref",
    state_dir: Annotated[Path, typer.Option(help="as for run")] = BENCH_DIR / ".state",
) -> None:
    """Only generate the datasets (again), e.g. to time the load of x100."""
    state_dir = state_dir.resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    state_dir.chmod(0o755)
    password = _admin_password(state_dir)
    with ExitStack() as exit_stack:
        servers = Servers(state_dir, exit_stack)
        for scale in parse_scales(scales):
            _, loaded = _dataset(servers, scale, date.today().year, password, reload=True)
            _say(f"{scale.name}: {loaded['counts']} in {loaded['seconds']}")


@cli.command("report")
def rewrite_report(
    notes: Annotated[
        Path | None, typer.Option(help="a Markdown file whose lines become the report's notes")
    ] = None,
    out: Annotated[Path, typer.Option(help="where results.json is")] = BENCH_DIR / "results",
) -> None:
    """Write REPORT.md and growth.png again from results.json (optionally with notes)."""
    results = _previous(out)
    if not results:
        raise typer.BadParameter(f"no results.json in {out}", param_hint="--out")
    if notes is not None:
        results["notes"] = notes.read_text().splitlines()
    typer.echo(report.write(results, out))


@cli.command()
def serve(
    scale: Annotated[str, typer.Option(help="the dataset to serve (loaded when missing)")] = "ref",
    workers: Annotated[int, typer.Option(help="uvicorn workers per API")] = 2,
    state_dir: Annotated[Path, typer.Option(help="as for run")] = BENCH_DIR / ".state",
) -> None:
    """Start the stack on a dataset and keep it running (for profiling); Ctrl-C stops it."""
    import time

    state_dir = state_dir.resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    password = _admin_password(state_dir)
    (chosen,) = parse_scales(scale)
    with ExitStack() as exit_stack:
        servers = Servers(state_dir, exit_stack)
        urls, _ = _dataset(servers, chosen, date.today().year, password, reload=False)
        stack = _stack_on(servers, urls, chosen, workers, password)
        exit_stack.callback(stack.stop)
        stack.start()
        credentials = measure.login(stack.urls.gateway, password)
        info = {
            **asdict(stack.urls),
            "token": credentials.token,
            "session": credentials.session,
            "serve_pid": os.getpid(),
            "pids": stack.pids(),
            "redis": servers.redis.url,
        }
        (state_dir / "serving.json").write_text(json.dumps(info, indent=2))
        _say(f"serving {chosen.name}: {json.dumps(info)}")
        _say(f"details in {state_dir / 'serving.json'}; Ctrl-C stops")
        try:
            while not stack.group.exited():
                time.sleep(1)
        except KeyboardInterrupt:
            _say("stopping ...")


@cli.command()
def cost(
    paths: Annotated[list[str], typer.Argument(help="gateway paths, e.g. /api/v1/teams")],
    requests: Annotated[int, typer.Option(help="sequential requests per path")] = 300,
    cold: Annotated[bool, typer.Option(help="through the gateway without the feed cache")] = False,
    changed: Annotated[
        str | None,
        typer.Option(
            help="a feed source (tasks, portfolio, calendar) that changes before each request"
        ),
    ] = None,
    state_dir: Annotated[Path, typer.Option(help="as for serve")] = BENCH_DIR / ".state",
) -> None:
    """CPU time per request of every process of a running `serve` stack, path by path."""

    state_dir = state_dir.resolve()
    serving = state_dir / "serving.json"
    if not serving.exists():
        raise typer.BadParameter(f"{serving} is missing: start `obcms-bench serve` first")
    info = json.loads(serving.read_text())
    if changed is not None and changed not in registry.feed_sources():
        raise typer.BadParameter(f"--changed: not a feed source: {changed}")
    headers = {"Authorization": f"Bearer {info['token']}"}
    gateway = info["cold_gateway" if cold else "gateway"]
    with (
        httpx.Client(base_url=gateway, headers=headers, timeout=30) as client,
        redis.Redis.from_url(info["redis"]) as cache,
    ):
        for path in paths:
            cost = costs.measure(
                client,
                lambda: costs.process_groups(info["pids"], info["serve_pid"], state_dir),
                path,
                requests,
                measure.changing(cache, changed),
            )
            typer.echo(cost.line())


def main() -> None:
    cli()
