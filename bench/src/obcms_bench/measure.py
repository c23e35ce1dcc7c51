"""What is measured on a running stack: the HTTP scenarios (through locust), event
propagation latency and each process's memory."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psutil
import redis

from gateway_service.feed.cache import bump_sync
from obcms_bench import cost as costs
from obcms_bench.dataset import BENCH_PROVINCE
from obcms_bench.load import LoadOptions, Request, run_locust
from obcms_bench.report import PPA_CREATED, TASK_COMPLETED, TASK_COMPLETED_BEHIND_CREATION
from obcms_bench.scales import MAX_HISTORY_YEARS
from obcms_bench.stack import StackUrls
from obcms_platform import registry

FEED = "/api/v1/calendar/feed"
POLL_SECONDS = 0.02
# Before the settled completion: a PPA's creation (eleven events, four consumers) is handled
# within about 0.2 s on this machine.
SETTLE_SECONDS = 0.5


@dataclass(frozen=True)
class Credentials:
    token: str
    session: str


def login(gateway: str, password: str) -> Credentials:
    """A bearer token and a page session of `admin`."""
    with httpx.Client(base_url=gateway, timeout=30) as client:
        response = client.post(
            "/api/v1/auth/token", data={"username": "admin", "password": password}
        )
        response.raise_for_status()
        token = str(response.json()["access_token"])
        response = client.post("/accounts/login/", data={"username": "admin", "password": password})
        if response.status_code not in {200, 303} or "sessionid" not in client.cookies:
            raise RuntimeError(f"login failed: HTTP {response.status_code}")
        return Credentials(token, client.cookies["sessionid"])


def _api(gateway: str, credentials: Credentials) -> httpx.Client:
    return httpx.Client(
        base_url=gateway,
        timeout=30,
        headers={"Authorization": f"Bearer {credentials.token}"},
    )


def month_window(year: int) -> str:
    return f"start={year}-06-01&end={year}-07-01"


def year_window(year: int) -> str:
    return f"start={year}-01-01&end={year + 1}-01-01"


def scenarios(urls: StackUrls, year: int, ppa_id: str) -> dict[str, list[Request]]:
    """Scenario -> its requests (each scenario is one locust run, requests round-robin)."""
    cold = urls.cold_gateway
    month_start = date(year, 6, 1)
    return {
        "feed_cold": [
            Request("feed: month, all modules, cold", f"{cold}{FEED}?{month_window(year)}")
        ],
        "feed_warm": [Request("feed: month, all modules, warm", f"{FEED}?{month_window(year)}")],
        "feed_year_cold": [
            Request("feed: year, all modules, cold", f"{cold}{FEED}?{year_window(year)}")
        ],
        "feed_year_warm": [Request("feed: year, all modules, warm", f"{FEED}?{year_window(year)}")],
        "tasks": [
            Request(
                "tasks: my open",
                "/api/v1/tasks?assignee=me&status=not_started&status=in_progress&status=at_risk",
            ),
            Request(
                "tasks: domain+status+priority",
                "/api/v1/tasks?domain=mana&status=not_started&priority=high",
            ),
            Request("tasks: of one PPA", f"/api/v1/tasks?related_ppa_id={ppa_id}"),
            Request("tasks: overdue", "/api/v1/tasks?overdue=true"),
            Request(
                "tasks: due in a month",
                f"/api/v1/tasks?due_after={month_start}&due_before={date(year, 6, 30)}",
            ),
        ],
        "dashboard": [
            Request("dashboard", "/api/v1/portfolio/dashboard"),
            Request(
                "dashboard: province+tag+sdg",
                f"/api/v1/portfolio/dashboard?province={BENCH_PROVINCE}&tag=gad&sdg=5",
            ),
        ],
        "pages": [
            Request("page: calendar", "/oobc-management/staff/calendar/", "session"),
            Request("page: task list", "/oobc-management/staff/tasks/", "session"),
            Request("page: portfolio dashboard", "/oobc-management/portfolio/", "session"),
        ],
    }


def empty_year(year: int) -> int:
    """A year before every scale's history (x100's 50 years end with `year`): its months
    hold no record."""
    return year - MAX_HISTORY_YEARS


def cpu_only_requests(urls: StackUrls, year: int) -> dict[str, list[Request]]:
    """Requests measured for their CPU only (no load run), by the scenario they explain:
    - the cold month of a year without any record: the fan-out's own cost (the gateway,
      three services, their queries) with nothing to find;
    - the month and the year through the caching gateway after a task changed: the feed a
      colleague loads after someone's change (the tasks part asked again, the others' parts
      read from the cache), the cold load production sees most."""
    empty = f"{urls.cold_gateway}{FEED}?{month_window(empty_year(year))}"
    return {
        "feed_cold": [Request("feed: empty month, cold (the fan-out's floor)", empty)],
        "feed_warm": [
            Request(
                "feed: month, after a task changed",
                f"{FEED}?{month_window(year)}",
                changed=registry.TASKS.name,
            )
        ],
        "feed_year_warm": [
            Request(
                "feed: year, after a task changed",
                f"{FEED}?{year_window(year)}",
                changed=registry.TASKS.name,
            )
        ],
    }


def changing(cache: redis.Redis, source: str | None) -> Callable[[], None] | None:
    """What makes `source`'s feed change before a request (None: nothing): its generation
    bumped in the gateway's Redis, as the gateway's bus worker does on that source's event."""
    if source is None:
        return None
    return partial(bump_sync, cache, [source])


def first_ppa_id(gateway: str, credentials: Credentials) -> str:
    with _api(gateway, credentials) as client:
        response = client.get("/api/v1/ppas", params={"limit": 1})
        response.raise_for_status()
        return str(response.json()["items"][0]["id"])


def run_scenarios(
    urls: StackUrls,
    credentials: Credentials,
    year: int,
    options: LoadOptions,
    out_dir: Path,
    only: set[str] | None = None,
) -> dict[str, dict[str, float]]:
    """Every scenario's rows; each request is made once first (the warm feed gets cached)."""
    ppa_id = first_ppa_id(urls.gateway, credentials)
    results: dict[str, dict[str, float]] = {}
    with httpx.Client(base_url=urls.gateway, timeout=60) as client:
        for label, requests in scenarios(urls, year, ppa_id).items():
            if only and label not in only:
                continue
            for request in requests:
                client.get(request.url, headers=_auth(request, credentials)).raise_for_status()
            run = partial(
                run_locust,
                requests,
                host=urls.gateway,
                token=credentials.token,
                session=credentials.session,
                options=options,
                out_dir=out_dir,
            )
            print(f"  latency: {label} ({options.users} users, {options.seconds} s)", flush=True)
            latency = run(label=label, users=options.users)
            if options.throughput_users:
                print(
                    f"  throughput: {label} ({options.throughput_users} users, "
                    f"{options.seconds} s)",
                    flush=True,
                )
                throughput = run(label=f"{label}_throughput", users=options.throughput_users)
                for name, stats in latency.items():
                    stats["throughput_rps"] = throughput.get(name, {}).get("rps", 0.0)
                    stats["throughput_failures"] = throughput.get(name, {}).get("failures", 0.0)
            results |= latency
    return results


def _auth(request: Request, credentials: Credentials) -> dict[str, str]:
    """The headers of `request`'s kind of user: a bearer token, or the pages' session."""
    if request.auth == "token":
        return {"Authorization": f"Bearer {credentials.token}"}
    return {"Cookie": f"sessionid={credentials.session}"}


def cpu_per_request(
    urls: StackUrls,
    credentials: Credentials,
    year: int,
    find_groups: Callable[[], dict[str, list[psutil.Process]]],
    requests: int,
    redis_url: str,
    only: set[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Each HTTP scenario's requests made `requests` times one after the other through the
    gateway (`cost.measure`): the CPU ms per request of every process group, their total and
    the wall time. Unlike the locust runs' latency, this barely moves with the machine's load."""
    ppa_id = first_ppa_id(urls.gateway, credentials)
    measured: dict[str, dict[str, Any]] = {}
    cpu_only = cpu_only_requests(urls, year)
    with (
        httpx.Client(base_url=urls.gateway, timeout=60) as client,
        redis.Redis.from_url(redis_url) as cache,
    ):
        for label, scenario in scenarios(urls, year, ppa_id).items():
            if only and label not in only:
                continue
            print(f"  CPU per request: {label} ({requests} requests each)", flush=True)
            for request in [*scenario, *cpu_only.get(label, [])]:
                client.headers = httpx.Headers(_auth(request, credentials))
                cost = costs.measure(
                    client, find_groups, request.url, requests, changing(cache, request.changed)
                )
                measured[request.name] = {
                    "requests": cost.requests,
                    "wall_p50_ms": round(cost.wall_p50_ms, 2),
                    "wall_p95_ms": round(cost.wall_p95_ms, 2),
                    "cpu_ms": {name: round(ms, 2) for name, ms in sorted(cost.cpu_ms.items())},
                    "total_ms": round(cost.total_ms, 2),
                    "round_totals_ms": list(cost.round_totals_ms),
                }
    return measured


# The scenarios whose requests/s at saturation are measured (`--only saturation`): the month
# feed (cold: every service; warm: the gateway's cache), the task queries and the dashboard.
SATURATION_SCENARIOS = ("feed_cold", "feed_warm", "tasks", "dashboard")
SATURATION_FIRST_USERS = 2
SATURATION_MAX_USERS = 32
# Doubling the users gains less than this factor of requests/s: saturated.
SATURATION_GAIN = 1.1


def saturation(
    urls: StackUrls,
    credentials: Credentials,
    year: int,
    options: LoadOptions,
    out_dir: Path,
    workers: int,
) -> dict[str, dict[str, Any]]:
    """Requests/s at saturation of each of `SATURATION_SCENARIOS` on a stack of `workers`
    uvicorn workers per API: locust users without pauses, doubled from 2 until the scenario's
    requests/s grow by less than 10 % (or at 32 users); the best step's requests/s and users,
    and every step as [users, req/s]."""
    ppa_id = first_ppa_id(urls.gateway, credentials)
    every = scenarios(urls, year, ppa_id)
    found: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=urls.gateway, timeout=60) as client:
        for label in SATURATION_SCENARIOS:
            requests = every[label]
            for request in requests:
                client.get(request.url, headers=_auth(request, credentials)).raise_for_status()
            steps: list[list[float]] = []
            failures = 0.0
            users = SATURATION_FIRST_USERS
            while users <= SATURATION_MAX_USERS:
                print(f"  saturation: {label} ({workers} workers, {users} users)", flush=True)
                stats = run_locust(
                    requests,
                    host=urls.gateway,
                    token=credentials.token,
                    session=credentials.session,
                    options=options,
                    out_dir=out_dir,
                    label=f"{label}_saturation_{workers}w_{users}u",
                    users=users,
                )
                rows = [stats.get(request.name, {}) for request in requests]
                steps.append([users, round(sum(row.get("rps", 0.0) for row in rows), 1)])
                failures += sum(row.get("failures", 0.0) for row in rows)
                if len(steps) > 1 and steps[-1][1] < steps[-2][1] * SATURATION_GAIN:
                    break
                users *= 2
            best_users, best_rps = max(steps, key=lambda step: step[1])
            found[label] = {
                "rps": best_rps,
                "users": int(best_users),
                "steps": steps,
                "failures": int(failures),
            }
    return found


# --- propagation -------------------------------------------------------------------------


def _wait(check: Callable[[], bool], timeout: float = 30) -> float:
    """Seconds until `check()` holds; raises after `timeout`.

    A read starts every `POLL_SECONDS` from the call (one still running when the next is due
    is followed at once). Sleeping `POLL_SECONDS` after each read instead read every 30 ms
    or so, a read through the gateway taking about 10: that much was added to every sample.
    """
    started = time.perf_counter()
    reads = 0
    while time.perf_counter() - started < timeout:
        if check():
            return time.perf_counter() - started
        reads += 1
        time.sleep(max(0.0, started + reads * POLL_SECONDS - time.perf_counter()))
    raise TimeoutError("the change did not propagate within 30 s")


def _summary(samples: list[float]) -> dict[str, Any]:
    ordered = sorted(samples)
    ms = [round(value * 1000, 1) for value in ordered]
    p95_index = max(0, round(0.95 * len(ms)) - 1)
    return {
        "samples": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": ms[p95_index],
        "max_ms": ms[-1],
    }


def _ppa_tasks(client: httpx.Client, ppa_id: str) -> list[dict[str, Any]]:
    page = client.get("/api/v1/tasks", params={"related_ppa_id": ppa_id})
    page.raise_for_status()
    items: list[dict[str, Any]] = page.json()["items"]
    return items


def _progress(client: httpx.Client, ppa_id: str) -> int:
    response = client.get(f"/api/v1/ppas/{ppa_id}")
    response.raise_for_status()
    return int(response.json()["progress"])


def _probe(client: httpx.Client, year: int, number: int) -> tuple[str, float, float, float]:
    """One sample: the new PPA's id, seconds until its tasks show, until a task completed at
    once shows in its progress (its creation's events still being handled), and until a task
    completed once the stack has settled does."""
    started = time.perf_counter()
    response = client.post(
        "/api/v1/ppas",
        json={
            "title": f"Propagation probe {number}",
            "category": "oobc_ppa",
            "start_date": f"{year}-03-01",
        },
    )
    response.raise_for_status()
    ppa_id = str(response.json()["id"])
    _wait(lambda: len(_ppa_tasks(client, ppa_id)) == 10)
    created = _since(started)
    first, second = (task["id"] for task in _ppa_tasks(client, ppa_id)[:2])
    behind = _completed_to_progress(client, ppa_id, first, 10)
    time.sleep(SETTLE_SECONDS)
    settled = _completed_to_progress(client, ppa_id, second, 20)
    return ppa_id, created, behind, settled


def _completed_to_progress(client: httpx.Client, ppa_id: str, task_id: str, progress: int) -> float:
    """Seconds from completing `task_id` until its PPA's progress reads `progress`."""
    started = time.perf_counter()
    client.patch(f"/api/v1/tasks/{task_id}", json={"status": "completed"}).raise_for_status()
    _wait(lambda: _progress(client, ppa_id) == progress)
    return _since(started)


def propagation(
    gateway: str, credentials: Credentials, year: int, samples: int
) -> dict[str, dict[str, Any]]:
    """PPA created -> its 10 tasks listed; task completed -> the PPA's progress is 10, once
    on a settled stack (the target's case: the change alone) and once right behind the PPA's
    creation (its consumers still handling the ten `task.created`).

    Timed from just before the write is sent to the first read that shows the effect (a read
    starts every 20 ms, through the gateway like a browser would). The PPAs are deleted
    afterwards (their generated tasks go with them).
    """
    created: list[float] = []
    behind: list[float] = []
    settled: list[float] = []
    ppa_ids: list[str] = []
    with _api(gateway, credentials) as client:
        try:
            for number in range(1, samples + 1):
                ppa_id, to_tasks, behind_creation, alone = _probe(client, year, number)
                ppa_ids.append(ppa_id)
                created.append(to_tasks)
                behind.append(behind_creation)
                settled.append(alone)
        finally:
            for ppa_id in ppa_ids:
                client.delete(f"/api/v1/ppas/{ppa_id}")
    return {
        PPA_CREATED: _summary(created),
        TASK_COMPLETED: _summary(settled),
        TASK_COMPLETED_BEHIND_CREATION: _summary(behind),
    }


def _since(started: float) -> float:
    return time.perf_counter() - started


# --- notifications -----------------------------------------------------------------------

FANOUT_PPAS = 100  # x 10 generated tasks each: a 1,000-task generation burst


def _generated_summaries(client: httpx.Client, ppa_ids: set[str]) -> int:
    """How many generated tasks the admin's inbox counts for `ppa_ids` (one summary each)."""
    response = client.get("/api/v1/notifications", params={"limit": 500})
    response.raise_for_status()
    return sum(
        item["count"]
        for item in response.json()["items"]
        if item["kind"] == "tasks_generated" and item["link"].rsplit("/", 1)[-1] in ppa_ids
    )


def notification_fanout(
    gateway: str, credentials: Credentials, year: int, ppas: int = FANOUT_PPAS
) -> dict[str, Any]:
    """A burst of `ppas` new PPAs (10 generated tasks each, assigned to their owner, the
    admin): seconds from the first create to every generated task counted in the owner's
    inbox, through the tasks worker, the relay and the notifications worker."""
    ppa_ids: set[str] = set()
    with _api(gateway, credentials) as client:
        try:
            started = time.perf_counter()
            for number in range(ppas):
                body = {
                    "title": f"Fan-out PPA {number}",
                    "category": "oobc_ppa",
                    "start_date": f"{year}-03-02",
                    "fiscal_year": year,
                }
                response = client.post("/api/v1/ppas", json=body)
                response.raise_for_status()
                ppa_ids.add(str(response.json()["id"]))
            posted = _since(started)
            expected = ppas * 10
            _wait(lambda: _generated_summaries(client, ppa_ids) >= expected, timeout=600)
            seconds = _since(started)
        finally:
            for ppa_id in ppa_ids:
                client.delete(f"/api/v1/ppas/{ppa_id}")
    return {
        "tasks": ppas * 10,
        "posting_s": round(posted, 2),
        "every_notification_s": round(seconds, 2),
        "tasks_per_s": round(ppas * 10 / seconds, 1),
    }


def digest_job(notifications_database_url: str, year: int) -> dict[str, Any]:
    """The reminder and digest jobs on the scale's data, one after the other as the beat
    runs them, for 08:00 Manila of a working day of the reference year: each job's duration
    and what it sent; for the digest also the people due (at 08:00 everyone with an address,
    the default digest time being 07:30) and how many of them had something waiting. In one
    transaction rolled back afterwards, so a reused dataset measures the same."""
    from sqlalchemy import func, select

    from notifications_service.db import load_models
    from notifications_service.jobs.models import DigestDay
    from notifications_service.jobs.service import jobs
    from notifications_service.settings import NotificationsSettings
    from obcms_bench.dataset import OFFICE
    from obcms_platform.db import Database

    load_models()
    settings = NotificationsSettings(database_url=notifications_database_url)
    database = Database(notifications_database_url, pool_size=1)
    moment = datetime(year, 6, 15, 0, 0, tzinfo=UTC)  # 08:00 in Manila
    found: dict[str, Any] = {}
    try:
        with database.session() as session:
            for name in ("task_reminders", "digest"):
                started = time.perf_counter()
                sent = jobs(settings)[name].run(session, settings, moment)
                session.flush()
                found[name] = {"ms": round(_since(started) * 1000, 1), "sent": sent}
            # The digest takes each due person's day, with how many items waited for them.
            due, waiting = session.execute(
                select(func.count(), func.count().filter(DigestDay.items > 0)).where(
                    DigestDay.day == moment.astimezone(OFFICE).date()
                )
            ).one()
            found["digest"] |= {"due": due, "waiting": waiting}
            session.rollback()
    finally:
        database.dispose()
    return found


# The exports measured through the gateway: every task and every PPA as CSV, downloaded
# while the service reads the rows (streamed), and as Excel in a background job (requested,
# run by the service's worker, then downloaded): a list answers only a small workbook while
# the client waits (`export_xlsx_max_cells`), since one is written whole before it is sent.
EXPORTS = {
    "tasks_csv": "/api/v1/tasks?format=csv",
    "ppas_csv": "/api/v1/ppas?format=csv",
}
# name: (jobs collection, list, format)
EXPORT_JOBS = {
    "tasks_xlsx_job": ("tasks-exports", "tasks", "xlsx"),
    "ppas_xlsx_job": ("portfolio-exports", "ppas", "xlsx"),
}
# Processes whose memory an export may grow: the service serving it, its worker running
# the job and the gateway streaming it through (each uvicorn worker on its own).
EXPORT_SERVERS = ("tasks-api", "tasks-worker", "portfolio-api", "portfolio-worker", "gateway")
RSS_SAMPLE_SECONDS = 0.05
JOB_POLL_SECONDS = 0.25


def _serving_rss(memory: Callable[[], dict[str, float]]) -> dict[str, float]:
    return {name: value for name, value in memory().items() if name.split("/")[0] in EXPORT_SERVERS}


def _sample(
    memory: Callable[[], dict[str, float]], done: threading.Event, peak: dict[str, float]
) -> None:
    """The highest RSS of each serving process until `done`, into `peak`."""
    while not done.wait(RSS_SAMPLE_SECONDS):
        for process, value in _serving_rss(memory).items():
            peak[process] = max(peak.get(process, 0.0), value)


def _download(client: httpx.Client, path: str) -> int:
    """The size of the file at `path`, read as it arrives."""
    size = 0
    with client.stream("GET", path) as response:
        response.raise_for_status()
        for chunk in response.iter_raw():
            size += len(chunk)
    return size


def _run_job(client: httpx.Client, collection: str, resource: str, file_format: str) -> int:
    """Request an export job of every record of `resource`, wait until its worker has written
    the file, and download it: the file's size."""
    requested = client.post(
        f"/api/v1/{collection}", json={"resource": resource, "format": file_format}
    )
    requested.raise_for_status()
    job_path = requested.headers["Location"]
    while True:
        job = client.get(job_path)
        job.raise_for_status()
        status = job.json()["status"]
        if status == "done":
            return _download(client, f"{job_path}/content")
        if status == "failed":
            raise RuntimeError(f"the export job {job_path} failed: {job.json()['error']}")
        time.sleep(JOB_POLL_SECONDS)


def exports(
    gateway: str, credentials: Credentials, memory: Callable[[], dict[str, float]]
) -> dict[str, Any]:
    """Rows/s of each export (the list's total over the time to receive the whole file, a
    job's from its request) and, for each, the RSS of the serving processes before it and at
    its peak (sampled every 50 ms meanwhile): flat when the rows stream."""
    measured: dict[str, Any] = {}
    runs: dict[str, tuple[str, Callable[[httpx.Client], int]]] = {
        name: (path.split("?")[0], partial(_download, path=path)) for name, path in EXPORTS.items()
    }
    for name, (collection, resource, file_format) in EXPORT_JOBS.items():
        runs[name] = (
            f"/api/v1/{resource}",
            partial(_run_job, collection=collection, resource=resource, file_format=file_format),
        )
    with _api(gateway, credentials) as client:
        client.timeout = httpx.Timeout(600)
        for name, (listing, run) in runs.items():
            listed = client.get(listing, params={"limit": 1})
            listed.raise_for_status()
            rows = int(listed.json()["total"])
            before = _serving_rss(memory)
            peak = dict(before)
            done = threading.Event()

            sampler = threading.Thread(target=_sample, args=(memory, done, peak), daemon=True)
            sampler.start()
            started = time.perf_counter()
            try:
                size = run(client)
            finally:
                done.set()
                sampler.join()
            seconds = time.perf_counter() - started
            grown = max(peak[process] - before.get(process, 0.0) for process in peak)
            measured[name] = {
                "rows": rows,
                "seconds": round(seconds, 2),
                "rows_per_s": round(rows / seconds) if seconds else None,
                "mb": round(size / 1e6, 2),
                "rss_before_mb": round(max(before.values()), 1),
                "rss_peak_mb": round(max(peak.values()), 1),
                "rss_growth_mb": round(grown, 1),
            }
    return measured
