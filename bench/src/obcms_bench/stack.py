"""The stack under test, started as in production: embedded PostgreSQL and Redis once, then per
scale every service API with several uvicorn workers, the event workers, the relay, the
gateway and a second gateway with the feed cache off (the "cold" feed), on free ports.

Everything comes from `obcms_platform.devstack` (the `make run` stack); the bench only adds
`--workers`, per-process Prometheus multiprocess folders and the cold gateway.
"""

from __future__ import annotations

import os
import shutil
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

import psutil
import redis

from obcms_platform.bus.sweeper import MARK_KEY
from obcms_platform.devstack.embedded import EmbeddedPostgres, EmbeddedRedis, free_port
from obcms_platform.devstack.local import migrate_databases, process_batches
from obcms_platform.devstack.processes import ProcessGroup
from obcms_platform.devstack.stack import (
    GATEWAY,
    SERVICES,
    ProcessSpec,
    process_environment,
    with_databases,
)

COLD_GATEWAY = "gateway-cold"
# Several workers of every API import at once on a small, shared machine.
STARTUP_TIMEOUT = 300


def _database_name(scale: str, service: str) -> str:
    return f"bench_{scale.replace('.', '_')}_{service}"


class Servers:
    """Embedded PostgreSQL and Redis under the bench's state folder (started once)."""

    def __init__(self, state: Path, exit_stack: ExitStack) -> None:
        self.state = state
        self.postgres = EmbeddedPostgres(state / "postgres")
        self.postgres.start()
        exit_stack.callback(self.postgres.stop)
        # Persistent, as in production: what the relays keep there (the redelivery sweeper's
        # mark) outlives a stack's restart and the next run.
        self.redis = EmbeddedRedis(state / "redis").start()
        exit_stack.callback(self.redis.stop)

    def databases(self, scale: str) -> dict[str, str]:
        """The migrated databases of one scale (``bench_<scale>_<service>``), by service."""
        urls = {
            spec.name: self.postgres.ensure_database(_database_name(scale, spec.name))
            for spec in with_databases()
        }
        migrate_databases(urls)
        return urls

    def drop_databases(self, scale: str) -> None:
        import psycopg

        with psycopg.connect(self.postgres.dsn(), autocommit=True) as conn:
            for spec in with_databases():
                name = _database_name(scale, spec.name)
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def flush_redis(self) -> None:
        """Empty the bench's private Redis: no feed cache, sessions or bus messages left. The
        relays' sweep marks stay, as through a restart in production (else every start of a
        large scale's stack would begin with a sweep of the day's events)."""
        with redis.Redis.from_url(self.redis.url) as client:
            marks = [
                (key, client.get(key), client.pttl(key))
                for key in client.scan_iter(MARK_KEY.format(source="*"))
            ]
            client.flushall()
            for key, value, ttl in marks:
                if value is not None and ttl > 0:
                    client.set(key, value, px=ttl)


def _with_port(spec: ProcessSpec, name: str, port: int, env: dict[str, str]) -> ProcessSpec:
    command = list(spec.command)
    command[command.index("--port") + 1] = str(port)
    ready_url = f"http://127.0.0.1:{port}/readyz"
    return replace(spec, name=name, command=command, ready_url=ready_url, env={**spec.env, **env})


def _with_workers(spec: ProcessSpec, workers: int) -> ProcessSpec:
    if "serve" not in spec.command or workers <= 1:
        return spec
    timeout = str(STARTUP_TIMEOUT)
    extra = ["--workers", str(workers), "--worker-healthcheck-timeout", timeout]
    return replace(spec, command=[*spec.command, *extra])


@dataclass
class StackUrls:
    gateway: str
    cold_gateway: str
    services: dict[str, str]


class Stack:
    """The processes of one scale; `stop` ends all of them (only the ones it started)."""

    def __init__(
        self,
        servers: Servers,
        database_urls: dict[str, str],
        log_dir: Path,
        *,
        workers: int,
        admin_password: str,
    ) -> None:
        self.servers = servers
        # devstack reads the ports from these variables.
        ports = {spec.port_setting: free_port() for spec in (*SERVICES, GATEWAY)}
        os.environ.update({name: str(port) for name, port in ports.items()})
        env = {
            **os.environ,
            **process_environment(servers.redis.url, database_urls, servers.state),
            "OBCMS_ADMIN_PASSWORD": admin_password,
            "OBCMS_LOG_LEVEL": "WARNING",
        }
        self.group = ProcessGroup(log_dir, env)
        self.workers = workers
        self.metrics_dir = log_dir / "prometheus"
        cold_port = free_port()
        self.urls = StackUrls(
            gateway=GATEWAY.url,
            cold_gateway=f"http://127.0.0.1:{cold_port}",
            services={spec.name: spec.url for spec in SERVICES},
        )
        self._cold_port = cold_port

    def _start(self, spec: ProcessSpec) -> None:
        spec = _with_workers(spec, self.workers)
        folder = self.metrics_dir / spec.name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.group.start(spec, {"PROMETHEUS_MULTIPROC_DIR": str(folder)})

    def start(self) -> None:
        """The services, then the gateways that front them (as `make run` does)."""
        services, (gateway, gateway_worker) = process_batches()
        cold = _with_port(
            gateway, COLD_GATEWAY, self._cold_port, {"OBCMS_GATEWAY_FEED_CACHE_TTL_SECONDS": "0"}
        )
        for batch in (services, [gateway, cold, gateway_worker]):
            for spec in batch:
                self._start(spec)
            for spec in batch:
                self.group.wait_ready(spec.name, STARTUP_TIMEOUT)

    def stop(self) -> None:
        self.group.stop_all()

    def pids(self) -> dict[str, int]:
        return {name: process.pid for name, (_, process) in self.group.running.items()}

    def memory(self) -> dict[str, float]:
        """RSS in MB of every process, uvicorn's worker processes one by one."""
        result: dict[str, float] = {}
        for name, (_, process) in self.group.running.items():
            try:
                parent = psutil.Process(process.pid)
                children = parent.children(recursive=True)
                result[name] = parent.memory_info().rss / 1e6
                for number, child in enumerate(children, start=1):
                    result[f"{name}/{number}"] = child.memory_info().rss / 1e6
            except psutil.NoSuchProcess:
                continue
        return result
