"""PostgreSQL restarted under load: the tasks and portfolio APIs (real processes) answer a
clear 503 while it is down, their connection pools recover once it is back without
restarting them, and no write is lost: every write answered 201 is in the database, and
every write that is not there was answered 503."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import psycopg
import pytest

from obcms_platform.auth import Role
from obcms_platform.devstack.embedded import EmbeddedPostgres, free_port
from obcms_platform.devstack.processes import ProcessGroup
from obcms_platform.devstack.stack import SERVICES, processes
from obcms_platform.testing import (
    PostgresServer,
    ServiceDatabases,
    auth_headers,
    deadline,
    wait_until,
)
from obcms_platform.testing.devstack import state_folder

# Started first (see the root conftest): minutes of work each, that must not be the tail.
pytestmark = pytest.mark.slow

WRITERS_PER_SERVICE = 3
# What each service is asked to write, and the table the write lands in.
WRITES = {
    "tasks": ("/api/v1/tasks", {}, "tasks"),
    "portfolio": ("/api/v1/ppas", {"category": "obc_request"}, "ppas"),
}


@dataclass
class Outcome:
    service: str
    title: str
    status: int  # 0: no answer at all
    body: dict[str, object]
    after_restart: bool


@dataclass
class Load:
    """Writers creating records through both APIs until stopped; every answer recorded."""

    urls: dict[str, str]
    restarted: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    outcomes: list[Outcome] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def write(self, client: httpx.Client, service: str) -> Outcome:
        path, fields, _ = WRITES[service]
        title = f"Load {uuid.uuid4().hex}"
        after_restart = self.restarted.is_set()
        headers = auth_headers(uuid.uuid4(), [Role.MANAGER])
        try:
            response = client.post(path, json={"title": title, **fields}, headers=headers)
            status, body = response.status_code, response.json()
        except (httpx.HTTPError, ValueError) as exc:  # a hang or a body that is not JSON
            status, body = 0, {"exception": repr(exc)}
        outcome = Outcome(service, title, status, body, after_restart)
        with self.lock:
            self.outcomes.append(outcome)
        return outcome

    def writer(self, service: str) -> None:
        with httpx.Client(base_url=self.urls[service], timeout=deadline(30)) as client:
            while not self.stop.is_set():
                self.write(client, service)

    def count(self, service: str, status: int, *, after_restart: bool | None = None) -> int:
        with self.lock:
            return sum(
                outcome.service == service
                and outcome.status == status
                and (after_restart is None or outcome.after_restart == after_restart)
                for outcome in self.outcomes
            )


@dataclass
class ServedApi:
    url: str
    database: str


@pytest.fixture
def apis(private_postgres: EmbeddedPostgres, redis_url: str) -> Iterator[dict[str, ServedApi]]:
    """The tasks and portfolio APIs as real processes on the private server."""
    server = PostgresServer(admin_url=private_postgres.url())
    services = tuple(spec for spec in SERVICES if spec.name in WRITES)
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("OBCMS_")},
        "OBCMS_MODE": "test",
        "OBCMS_REDIS_URL": redis_url,
    }
    for spec in services:
        env[f"{spec.env_prefix}DATABASE_URL"] = ServiceDatabases(server, spec.package).fresh()
        env[f"{spec.env_prefix}PORT"] = str(free_port())
    with state_folder() as folder:
        group = ProcessGroup(folder / "logs", env)
        try:
            for spec in processes(services, env):
                if spec.name.endswith("-api"):
                    group.start(spec)
                    group.wait_ready(spec.name, deadline(90))
            yield {
                spec.name: ServedApi(
                    spec.url_in(env), env[f"{spec.env_prefix}DATABASE_URL"].rsplit("/", 1)[1]
                )
                for spec in services
            }
        finally:
            group.stop_all()
            for spec in services:  # shown with a failure's captured output
                log = group.log_path(f"{spec.name}-api").read_text(errors="replace")
                problems = [line for line in log.splitlines() if '"level": "INFO"' not in line]
                print(f"----- {spec.name}-api log, warnings and errors -----", *problems[-200:])


def stored_titles(postgres: EmbeddedPostgres, database: str, table: str) -> set[str]:
    with psycopg.connect(postgres.dsn(database)) as connection:
        return {row[0] for row in connection.execute(f"SELECT title FROM {table}")}


@pytest.mark.reliability
def test_postgres_restart_under_load_fails_cleanly_and_loses_nothing(
    private_postgres: EmbeddedPostgres, apis: dict[str, ServedApi]
) -> None:
    load = Load({service: api.url for service, api in apis.items()})
    writers = [
        threading.Thread(target=load.writer, args=(service,), daemon=True)
        for service in WRITES
        for _ in range(WRITERS_PER_SERVICE)
    ]
    for thread in writers:
        thread.start()
    try:
        for service in WRITES:
            wait_until(lambda service=service: load.count(service, 201) >= 20)

        private_postgres.stop()
        for service in WRITES:
            wait_until(
                lambda service=service: load.count(service, 503) >= 5,
                message=f"{service} to answer 503 while the database is down",
            )
            ready = httpx.get(f"{apis[service].url}/readyz", timeout=deadline(30))
            assert ready.status_code == 503
            assert ready.json()["failed"] == ["database"]

        private_postgres.start()
        load.restarted.set()
        for service in WRITES:
            wait_until(
                lambda service=service: load.count(service, 201, after_restart=True) >= 20,
                message=f"{service} to write again after the restart",
            )
    finally:
        load.stop.set()
        for thread in writers:
            thread.join(60)

    # The pools recovered: from now on every write succeeds, on the same processes.
    for service in WRITES:
        with httpx.Client(base_url=apis[service].url, timeout=deadline(30)) as client:
            assert [load.write(client, service).status for _ in range(20)] == [201] * 20
        assert httpx.get(f"{apis[service].url}/readyz", timeout=deadline(30)).status_code == 200

    unexpected = [outcome for outcome in load.outcomes if outcome.status not in {201, 503}]
    assert unexpected == []
    for outcome in load.outcomes:
        if outcome.status == 503:
            error = outcome.body["error"]
            assert isinstance(error, dict)
            assert error["code"] == "service_unavailable"
            assert "database unavailable" in str(error["message"])
    for service, (_, _, table) in WRITES.items():
        stored = stored_titles(private_postgres, apis[service].database, table)
        answered = {o.title for o in load.outcomes if o.service == service and o.status == 201}
        assert answered - stored == set(), "writes answered 201 are missing"
        assert stored - answered == set(), "writes answered 503 were stored"
