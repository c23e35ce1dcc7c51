"""The local stack `make run` starts: servers, migrations, then every process in order.

`obcms-dev run` drives it until Ctrl-C; tests drive it process by process (stop one
service, start it again) through the same object, so both run the same stack.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from obcms_platform import migrations
from obcms_platform.devstack.embedded import EmbeddedPostgres, EmbeddedRedis, free_port, port_open
from obcms_platform.devstack.processes import ProcessGroup
from obcms_platform.devstack.stack import (
    GATEWAY,
    SERVICES,
    ProcessSpec,
    gateway_process,
    gateway_worker_process,
    process_environment,
    processes,
    with_databases,
)
from obcms_platform.mailcatcher import MailCatcher

DEFAULT_PG_PORT = 54329
DEFAULT_REDIS_PORT = 63799
DEFAULT_SMTP_PORT = 8025


def _ignore(message: str) -> None:
    return None


def process_batches(
    env: Mapping[str, str] = os.environ,
) -> tuple[list[ProcessSpec], list[ProcessSpec]]:
    """The services' processes, then the gateway and its worker: a batch starts once the one
    before it is ready, as the gateway fronts the services."""
    return processes(SERVICES, env), [gateway_process(SERVICES, env), gateway_worker_process()]


def migrate_databases(
    database_urls: Mapping[str, str], say: Callable[[str], None] = _ignore
) -> None:
    """Upgrade the database of everything that has one (`database_urls` by name) to head."""
    for spec in with_databases():
        say(f"migrating {spec.name} ...")
        migrations.upgrade(spec.package, database_urls[spec.name])


@dataclass
class Servers:
    """The embedded (or external) PostgreSQL and Redis of the local stack."""

    state: Path
    env: Mapping[str, str]
    exit_stack: ExitStack
    say: Callable[[str], None] = _ignore
    postgres: EmbeddedPostgres | None = field(default=None, init=False)
    redis: EmbeddedRedis | None = field(default=None, init=False)

    def _port(self, variable: str, preferred: int) -> int:
        """The port from `variable`, else `preferred` when free, else any free port."""
        if self.env.get(variable):
            return int(self.env[variable])
        return preferred if not port_open(preferred) else free_port()

    def redis_url(self) -> str:
        external = self.env.get("OBCMS_REDIS_URL")
        if external:
            self.say(f"Redis: external ({external.split('@')[-1]})")
            return external
        self.redis = EmbeddedRedis(
            self.state / "redis", port=self._port("OBCMS_DEV_REDIS_PORT", DEFAULT_REDIS_PORT)
        ).start()
        self.exit_stack.callback(self.stop_redis)
        self.say(f"Redis: embedded at {self.redis.url} (data in {self.redis.data_dir})")
        return self.redis.url

    def stop_redis(self) -> None:
        if self.redis is not None:
            self.redis.stop()

    def mail_catcher(self) -> MailCatcher:
        """The SMTP server the stack's mail goes to, keeping it in ``<state>/mail``."""
        catcher = MailCatcher(
            self.state / "mail", port=self._port("OBCMS_DEV_SMTP_PORT", DEFAULT_SMTP_PORT)
        ).start()
        self.exit_stack.callback(catcher.stop)
        self.say(f"Mail: caught at smtp://127.0.0.1:{catcher.port} (kept in {catcher.maildir})")
        return catcher

    def database_urls(self) -> dict[str, str]:
        external = {
            spec.name: self.env[f"{spec.env_prefix}DATABASE_URL"]
            for spec in with_databases()
            if self.env.get(f"{spec.env_prefix}DATABASE_URL")
        }
        if len(external) == len(with_databases()):
            self.say("PostgreSQL: external")
            return external
        postgres = EmbeddedPostgres(
            self.state / "postgres", port=self._port("OBCMS_DEV_POSTGRES_PORT", DEFAULT_PG_PORT)
        )
        postgres.start()
        self.postgres = postgres
        self.exit_stack.callback(postgres.stop)
        self.say(f"PostgreSQL: embedded on 127.0.0.1:{postgres.port} (data in {postgres.data_dir})")
        return {
            spec.name: external.get(spec.name) or postgres.ensure_database(spec.database)
            for spec in with_databases()
        }


class LocalStack:
    """Servers, migrations and processes of the local stack, each process by name
    (``<service>-api``, for a consumer ``<service>-worker``, and its other processes, e.g.
    ``notifications-beat``, of every registered service; ``relay``, ``gateway``,
    ``gateway-worker``)."""

    def __init__(
        self,
        state: Path,
        env: Mapping[str, str],
        exit_stack: ExitStack,
        say: Callable[[str], None] = _ignore,
        ready_timeout: float = 90,
    ) -> None:
        self.state = state
        self.env = dict(env)
        self.say = say
        self.ready_timeout = ready_timeout
        self.servers = Servers(state, env, exit_stack, say)
        redis_url = self.servers.redis_url()
        self.database_urls = self.servers.database_urls()
        self.mail = self.servers.mail_catcher()
        self.process_env = {
            **self.env,
            **process_environment(
                redis_url,
                self.database_urls,
                state,
                smtp_port=self.mail.port,
                public_url=GATEWAY.url_in(self.env),
            ),
        }
        self.group = ProcessGroup(state / "logs", self.process_env)
        exit_stack.callback(self.group.stop_all)
        self.batches = process_batches(self.env)
        self.specs: dict[str, ProcessSpec] = {
            spec.name: spec for batch in self.batches for spec in batch
        }

    def migrate(self) -> None:
        migrate_databases(self.database_urls, self.say)

    def start_all(self) -> None:
        """Every process, each group once the ones before it are ready."""
        services, gateway = self.batches
        for spec in services:
            self.group.start(spec)
        for spec in services:
            self.group.wait_ready(spec.name, self.ready_timeout)
        for spec in gateway:
            self.start(spec.name)

    def start(self, name: str) -> None:
        """Start one process and wait until it is ready (APIs: /readyz answers 200)."""
        self.group.start(self.specs[name])
        self.group.wait_ready(name, self.ready_timeout)

    def stop(self, name: str) -> None:
        self.group.stop(name)

    def log(self, name: str) -> str:
        path = self.group.log_path(name)
        return path.read_text(errors="replace") if path.exists() else ""

    @property
    def log_dir(self) -> Path:
        return self.group.log_dir

    def exited(self) -> list[tuple[str, int]]:
        return self.group.exited()
