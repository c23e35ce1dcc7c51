"""Cross-service fixtures: a whole "bus stack" per test.

`BusStack` gives a test fresh tasks and portfolio databases, a private Redis (queues of a
shared Redis would be consumed by the workers of other test files running in parallel),
in-process clients of both APIs, and the tasks worker, portfolio worker and outbox relay as
real subprocesses that the test starts, stops and SIGKILLs. Their logs are attached to the
report of a failed test. Everything converges asynchronously, so tests poll with
`wait_until` instead of sleeping or timing anything.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from obcms_platform.auth import Role
from obcms_platform.devstack.embedded import EmbeddedRedis, free_port
from obcms_platform.devstack.processes import ProcessGroup
from obcms_platform.devstack.stack import ProcessSpec
from obcms_platform.registry import PORTFOLIO, TASKS, Deployable
from obcms_platform.testing import (
    PostgresServer,
    ServiceDatabases,
    auth_headers,
    deadline,
    metric_value,
    wait_for_count,
    wait_until,
)
from obcms_platform.testing.service_fixtures import service_app, service_settings
from obcms_platform.testing.timing import PROCESS_READY_TIMEOUT

API = "/api/v1"
PPA_TASKS = 10  # the ppa_budget_cycle template's tasks
PYTHON = sys.executable

# Fast feedback in tests: short retry backoff, few retries. The relay's safety poll is slow
# as in production: inserts must wake it (LISTEN/NOTIFY).
DEFAULT_BUS_ENV = {
    "OBCMS_BUS_RETRY_BASE_SECONDS": "0.2",
    "OBCMS_BUS_MAX_RETRIES": "2",
    "OBCMS_RELAY_POLL_INTERVAL": "5",
    "OBCMS_WORKER_CONCURRENCY": "2",
}


class BusStack:
    """One test's stack: databases, private Redis, API clients and bus processes."""

    def __init__(
        self,
        postgres: PostgresServer,
        tasks_databases: ServiceDatabases,
        portfolio_databases: ServiceDatabases,
        *,
        env: dict[str, str] | None = None,
    ) -> None:
        self.postgres = postgres
        self.folder = Path(tempfile.mkdtemp(prefix="obcms-bus-stack-"))
        self.redis_server = EmbeddedRedis(self.folder / "redis", persistent=True).start()
        self.redis_url = self.redis_server.url
        self.tasks_db_url = tasks_databases.fresh()
        self.portfolio_db_url = portfolio_databases.fresh()
        self.env = {
            **os.environ,
            "OBCMS_MODE": "test",
            "PYTHONUNBUFFERED": "1",
            "OBCMS_LOG_LEVEL": "INFO",
            "OBCMS_TASKS_DATABASE_URL": self.tasks_db_url,
            "OBCMS_PORTFOLIO_DATABASE_URL": self.portfolio_db_url,
            "OBCMS_REDIS_URL": self.redis_url,
            "OBCMS_RELAY_SOURCES": "tasks,portfolio",
            **DEFAULT_BUS_ENV,
            **(env or {}),
        }
        self.processes = ProcessGroup(self.folder / "logs", self.env)
        self.metrics_ports: dict[str, int] = {}
        self.engines = {
            "tasks": create_engine(self.tasks_db_url, pool_size=2),
            "portfolio": create_engine(self.portfolio_db_url, pool_size=2),
        }
        self._exit = contextlib.ExitStack()
        self.tasks = self._client(TASKS, self.tasks_db_url)
        self.portfolio = self._client(PORTFOLIO, self.portfolio_db_url)
        self.user_id = uuid.uuid4()
        LIVE_STACKS.append(self)

    wait_until = staticmethod(wait_until)

    def _client(self, service: Deployable, database_url: str) -> TestClient:
        """An in-process client of `service`'s API on this stack's database and Redis."""
        app = service_app(service, service_settings(service, database_url, self.redis_url))
        return self._exit.enter_context(TestClient(app, raise_server_exceptions=False))

    @property
    def headers(self) -> dict[str, str]:
        """A fresh token each time: internal tokens are short-lived."""
        return auth_headers(self.user_id, (Role.MANAGER, Role.ADMIN))

    # --- processes -------------------------------------------------------------------

    def start(self, name: str, extra_env: dict[str, str] | None = None) -> None:
        """Start `tasks-worker`, `portfolio-worker` or `relay` (or `relay-2`...)."""
        env = dict(extra_env or {})
        if name.endswith("-worker"):
            service = name.removesuffix("-worker")
            command = [PYTHON, "-m", f"{service}_service.cli", "worker"]
            port = self.metrics_ports.setdefault(name, free_port())
            env.setdefault(f"OBCMS_{service.upper()}_WORKER_METRICS_PORT", str(port))
        elif name.startswith("relay"):
            command = [PYTHON, "-m", "obcms_platform.bus.cli"]
            port = self.metrics_ports.setdefault(name, free_port())
            env.setdefault("OBCMS_RELAY_METRICS_PORT", str(port))
        else:
            raise ValueError(f"unknown process {name}")
        if name in self.processes.running:
            raise RuntimeError(f"{name} is already running")
        with self.processes.log_path(name).open("ab") as log:
            log.write(f"\n----- start {name} -----\n".encode())
        self.processes.start(ProcessSpec(name=name, command=command), extra_env=env)

    def start_all(self) -> None:
        """Start the relay and both workers; returns once all three are ready."""
        names = ("relay", "tasks-worker", "portfolio-worker")
        for name in names:
            self.start(name)
        self.wait_ready(*names)

    def wait_ready(self, *names: str) -> None:
        """Wait until each process serves its metrics: a worker does once it consumes
        (Celery's worker_ready), the relay once it is up. Fails at once, with its log, if
        one exits instead."""
        for name in names:

            def serving(name: str = name) -> bool:
                exited = dict(self.processes.exited())
                if name in exited:
                    raise AssertionError(f"{name} exited with {exited[name]}:\n{self.log(name)}")
                return bool(self.metrics(name))

            wait_until(
                serving,
                timeout=PROCESS_READY_TIMEOUT,
                message=f"{name} to be ready (serve its metrics)",
            )

    def stop(self, name: str) -> None:
        """Stop gracefully (SIGTERM: a Celery worker finishes what it holds first)."""
        self.processes.stop(name, timeout=deadline(30))

    def kill(self, name: str) -> None:
        """SIGKILL: no cleanup, no acknowledgement of what it was handling."""
        self.processes.stop(name, kill=True)

    def log(self, name: str) -> str:
        path = self.processes.log_path(name)
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self, tail: int = 6000) -> dict[str, str]:
        logs = {
            path.stem: path.read_text(errors="replace")[-tail:]
            for path in sorted(self.processes.log_dir.glob("*.log"))
        }
        redis_log = self.folder / "redis" / "redis.log"
        if redis_log.exists():
            logs["redis"] = redis_log.read_text(errors="replace")[-2000:]
        return logs

    def metrics(self, name: str) -> str:
        """The Prometheus text of a process ('' while it is not serving yet)."""
        try:
            response = httpx.get(f"http://127.0.0.1:{self.metrics_ports[name]}/metrics", timeout=2)
        except httpx.HTTPError:
            return ""
        return response.text if response.status_code == 200 else ""

    def consumed(self, consumer: str, event_type: str, outcome: str) -> float:
        """How many `event_type` events the worker of `consumer` counted with `outcome`."""
        return metric_value(
            self.metrics(f"{consumer}-worker"),
            "obcms_bus_events_consumed_total",
            consumer=consumer,
            event_type=event_type,
            outcome=outcome,
        )

    def cli(self, service: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `python -m <service>_service.cli ...` against this stack."""
        return self._run_module(f"{service}_service.cli", f"{service} cli", args, check)

    def relay_cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `python -m obcms_platform.bus.cli ...` (`obcms-relay`) against this stack."""
        return self._run_module("obcms_platform.bus.cli", "relay cli", args, check)

    def _run_module(
        self, module: str, label: str, args: tuple[str, ...], check: bool
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [PYTHON, "-m", module, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=deadline(120),
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{label} {' '.join(args)} exited {result.returncode}\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    # --- Redis -----------------------------------------------------------------------

    def redis_client(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis_url, socket_timeout=5)

    def queue_length(self, consumer: str) -> int:
        client = self.redis_client()
        try:
            return int(client.llen(f"{consumer}.events"))
        finally:
            client.close()

    def stop_redis(self) -> None:
        self.redis_server.stop()

    def start_redis(self) -> None:
        """Start Redis again on the same port and data folder (its AOF restores the data)."""
        self.redis_server = EmbeddedRedis(
            self.folder / "redis", port=self.redis_server.port, persistent=True
        ).start()

    # --- databases -------------------------------------------------------------------

    def scalar(self, service: str, query: str, **params: Any) -> Any:
        with self.engines[service].connect() as connection:
            return connection.execute(text(query), params).scalar()

    def rows(self, service: str, query: str, **params: Any) -> list[Any]:
        with self.engines[service].connect() as connection:
            return list(connection.execute(text(query), params))

    def outbox_backlog(self, service: str) -> int:
        return int(
            self.scalar(service, "SELECT count(*) FROM bus_outbox WHERE published_at IS NULL")
        )

    # --- APIs ------------------------------------------------------------------------

    def create_ppa(self, category: str = "oobc_ppa", **fields: Any) -> dict[str, Any]:
        body = {"title": f"PPA {uuid.uuid4().hex[:8]}", "category": category, **fields}
        for key, value in list(body.items()):
            if isinstance(value, date):
                body[key] = value.isoformat()
        response = self.portfolio.post(f"{API}/ppas", json=body, headers=self.headers)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def create_ppas(
        self, count: int, category: str = "oobc_ppa", *, concurrency: int = 8, **fields: Any
    ) -> list[str]:
        """Create `count` PPAs through the portfolio API, `concurrency` requests at a time;
        their ids in creation order."""
        with ThreadPoolExecutor(concurrency) as pool:
            return [
                ppa["id"]
                for ppa in pool.map(lambda _: self.create_ppa(category, **fields), range(count))
            ]

    def ppa(self, ppa_id: str) -> dict[str, Any]:
        response = self.portfolio.get(f"{API}/ppas/{ppa_id}", headers=self.headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def create_assessment(self, methodology: str, **fields: Any) -> dict[str, Any]:
        body = {
            "title": f"Assessment {uuid.uuid4().hex[:8]}",
            "primary_methodology": methodology,
            "assessment_level": "provincial",
            **fields,
        }
        for key, value in list(body.items()):
            if isinstance(value, date):
                body[key] = value.isoformat()
        response = self.portfolio.post(f"{API}/assessments", json=body, headers=self.headers)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def task(self, task_id: str) -> dict[str, Any]:
        response = self.tasks.get(f"{API}/tasks/{task_id}", headers=self.headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def task_list(self, **filters: Any) -> list[dict[str, Any]]:
        response = self.tasks.get(
            f"{API}/tasks", params={"limit": 500, **filters}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] <= 500, "more tasks than one page"
        return list(body["items"])

    def wait_for_tasks(self, count: int, **filters: Any) -> list[dict[str, Any]]:
        """Poll until exactly `count` tasks match `filters` (never more; see `settled`)."""
        seen: list[dict[str, Any]] = []

        def arrived() -> bool:
            seen[:] = self.task_list(**filters)
            return len(seen) == count

        wait_until(arrived, message=lambda: f"{len(seen)} of {count} tasks for {filters}")
        return seen

    def wait_for_cycles(self, count: int) -> None:
        """Poll until `count` budget cycles' worth of tasks exist (as long as they keep
        coming: a loaded machine generates slowly), then until the bus settles."""
        wait_for_count(
            lambda: int(self.scalar("tasks", "SELECT count(*) FROM tasks")),
            count * PPA_TASKS,
            message="tasks",
        )
        self.settled()

    def set_task_status(self, task_id: str, status: str) -> dict[str, Any]:
        response = self.tasks.patch(
            f"{API}/tasks/{task_id}", json={"status": status}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def set_template_active(self, name: str, active: bool) -> None:
        """Switch a task template on or off through the API, its items unchanged (while the
        budget cycle is off, the tasks worker fails on every new PPA)."""
        url = f"{API}/task-templates/{name}"
        template = self.tasks.get(url, headers=self.headers)
        assert template.status_code == 200, template.text
        body = template.json()
        keys = ("title", "description", "priority", "estimated_hours", "days_from_start")
        response = self.tasks.put(
            url,
            json={
                "domain": body["domain"],
                "description": body["description"],
                "is_active": active,
                "items": [{key: item[key] for key in keys} for item in body["items"]],
            },
            headers=self.headers,
        )
        assert response.status_code == 200, response.text

    def assert_each_ppa_has_its_cycle(self, ppa_ids: Iterable[str]) -> None:
        """Exactly one budget cycle per PPA: 10 tasks, no (template, subject) twice."""
        expected = set(ppa_ids)
        counts = dict(
            self.rows(
                "tasks",
                "SELECT related_ppa_id::text, count(*) FROM tasks"
                " WHERE created_from_template = 'ppa_budget_cycle' GROUP BY related_ppa_id",
            )
        )
        assert counts == dict.fromkeys(expected, PPA_TASKS)
        duplicated_items = self.scalar(
            "tasks",
            "SELECT count(*) FROM (SELECT related_ppa_id, title FROM tasks"
            " GROUP BY related_ppa_id, title HAVING count(*) > 1) AS twice",
        )
        assert duplicated_items == 0
        generations = self.scalar(
            "tasks",
            "SELECT count(*) FROM template_generations WHERE template_name = 'ppa_budget_cycle'",
        )
        assert generations == len(expected)

    def wait_for_progress(self, ppa_id: str, progress: int) -> dict[str, Any]:
        current: dict[str, Any] = {}

        def reached() -> bool:
            current.update(self.ppa(ppa_id))
            return current["progress"] == progress

        wait_until(reached, message=lambda: f"progress {current.get('progress')} != {progress}")
        return current

    @contextlib.contextmanager
    def tasks_worker_blocked(self, threads: int) -> Iterator[None]:
        """Start the tasks worker with its handlers held: the tasks table is locked until the
        block ends, which it enters once `threads` worker threads wait on that lock inside a
        handler (so the worker holds delivered, unacknowledged messages)."""
        with self.engines["tasks"].connect() as blocker:
            blocker.execute(text("LOCK TABLE tasks IN SHARE MODE"))
            self.start("tasks-worker")
            # Its start-up has the process deadline; only then do threads take events.
            self.wait_ready("tasks-worker")
            self.wait_until(
                lambda: (
                    self.scalar(
                        "tasks",
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                        " AND application_name = 'tasks-worker'",
                    )
                    == threads
                ),
                message=f"{threads} worker thread(s) to block inside a handler",
            )
            yield
            blocker.rollback()

    def settled(self) -> None:
        """Wait until nothing is left in flight: outboxes sent and queues drained and acked.

        Lets a test assert that something did *not* happen (no extra tasks, no loops).
        """

        state: dict[str, int] = {}

        def idle() -> bool:
            client = self.redis_client()
            try:
                for consumer in ("tasks", "portfolio"):
                    # A consumer whose worker is not running keeps its queue: not in flight.
                    if f"{consumer}-worker" in self.processes.running:
                        state[f"{consumer}.events"] = int(client.llen(f"{consumer}.events"))
                state["unacked unhandled"] = self._unhandled(client.hvals("unacked"))
            finally:
                client.close()
            for service in ("tasks", "portfolio"):
                state[f"{service} outbox"] = self.outbox_backlog(service)
            return not any(state.values())

        # Twice in a row: a handler may be between acking one event and its outbox row.
        wait_until(
            lambda: idle() and (time.sleep(0.5) or idle()),
            message=lambda: f"the bus to settle: {state}",
        )

    def _unhandled(self, unacked: list[bytes]) -> int:
        """Delivered-but-unacknowledged messages whose event is not in its consumer's inbox.

        An entry whose effect committed but whose ack was lost (Redis went away at that
        moment) stays until the visibility timeout redelivers it as a harmless duplicate;
        it is not work in flight.
        """
        pending = 0
        for raw in unacked:
            message = json.loads(raw)[0]
            body = json.loads(base64.b64decode(message["body"]))
            event = body[0][0]
            consumer = "portfolio" if str(event.get("type", "")).startswith("task.") else "tasks"
            try:
                uuid.UUID(str(event.get("id")))
            except ValueError:  # a malformed envelope: parked at once, never handled
                continue
            handled = self.scalar(
                consumer,
                "SELECT count(*) FROM bus_inbox WHERE event_id = CAST(:id AS uuid)",
                id=str(event.get("id")),
            )
            dead = self.scalar(
                consumer,
                "SELECT count(*) FROM bus_dead_letters"
                " WHERE event_id = CAST(:id AS uuid) AND replayed_at IS NULL",
                id=str(event.get("id")),
            )
            pending += not handled and not dead
        return pending

    # --- teardown --------------------------------------------------------------------

    def close(self) -> None:
        if self in LIVE_STACKS:
            LIVE_STACKS.remove(self)
        for name in list(self.processes.running):
            self.processes.stop(name, kill=True)
        self._exit.close()
        for engine in self.engines.values():
            engine.dispose()
        self.redis_server.stop()
        for url in (self.tasks_db_url, self.portfolio_db_url):
            with contextlib.suppress(Exception):
                self.postgres.drop_database_at(url)
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def tasks_databases(postgres_server: PostgresServer) -> ServiceDatabases:
    return ServiceDatabases(postgres_server, TASKS.package)


@pytest.fixture(scope="session")
def portfolio_databases(postgres_server: PostgresServer) -> ServiceDatabases:
    return ServiceDatabases(postgres_server, PORTFOLIO.package)


@pytest.fixture
def make_stack(
    postgres_server: PostgresServer,
    tasks_databases: ServiceDatabases,
    portfolio_databases: ServiceDatabases,
) -> Iterator[Callable[..., BusStack]]:
    """A factory: `make_stack(env={...})` builds a stack with extra environment."""
    stacks: list[BusStack] = []

    def make(env: dict[str, str] | None = None) -> BusStack:
        stack = BusStack(postgres_server, tasks_databases, portfolio_databases, env=env)
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.close()


@pytest.fixture(scope="module")
def shared_bus(
    postgres_server: PostgresServer,
    tasks_databases: ServiceDatabases,
    portfolio_databases: ServiceDatabases,
) -> Iterator[BusStack]:
    """One running stack (relay and both workers) for a whole module of workflow tests."""
    stack = BusStack(postgres_server, tasks_databases, portfolio_databases)
    try:
        stack.start_all()
        yield stack
    finally:
        stack.close()


@pytest.fixture
def bus(make_stack: Callable[..., BusStack]) -> BusStack:
    """A stack with default settings; processes are started by the test."""
    return make_stack()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """On failure, attach the logs of every bus process of the test to its report."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    for stack in list(LIVE_STACKS):
        for name, log in stack.logs().items():
            report.sections.append((f"bus log: {name}", log))


# Stacks not yet closed (one xdist worker runs one test at a time): their logs go into the
# report of a failing test.
LIVE_STACKS: list[BusStack] = []
