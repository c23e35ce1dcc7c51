"""`obcms-dev run`: the whole platform on one machine with embedded PostgreSQL and Redis.

State (database files, Redis append-only file, logs) lives in ``OBCMS_STATE_DIR``
(default ``.obcms``), so a second run reuses the data. Ctrl-C stops every process and both
embedded servers. Set ``OBCMS_<SERVICE>_DATABASE_URL`` / ``OBCMS_REDIS_URL`` to use external
servers instead.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Annotated

import httpx
import typer

from obcms_platform import migrations
from obcms_platform.auth import Role, sign_internal_token
from obcms_platform.auth.dev_keys import DEV_INTERNAL_PRIVATE_KEY
from obcms_platform.devstack.embedded import EmbeddedPostgres, EmbeddedRedis, free_port, port_open
from obcms_platform.devstack.stack import SERVICES, ServiceSpec

cli = typer.Typer(help="Local OBCMS stack", no_args_is_help=True)


@cli.callback()
def _group() -> None:
    """Local OBCMS stack (embedded PostgreSQL and Redis)."""


DEFAULT_PG_PORT = 54329
DEFAULT_REDIS_PORT = 63799


def _port(variable: str, preferred: int) -> int:
    """The port from `variable`, else `preferred` when free, else any free port."""
    if os.environ.get(variable):
        return int(os.environ[variable])
    return preferred if not port_open(preferred) else free_port()


def _state_dir() -> Path:
    path = Path(os.environ.get("OBCMS_STATE_DIR", ".obcms")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _say(message: str) -> None:
    typer.echo(f"[obcms] {message}")


class Stack:
    def __init__(self, state: Path, stack: ExitStack) -> None:
        self.state = state
        self.exit_stack = stack
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def redis_url(self) -> str:
        external = os.environ.get("OBCMS_REDIS_URL")
        if external:
            _say(f"Redis: external ({external.split('@')[-1]})")
            return external
        redis = EmbeddedRedis(
            self.state / "redis", port=_port("OBCMS_DEV_REDIS_PORT", DEFAULT_REDIS_PORT)
        ).start()
        self.exit_stack.callback(redis.stop)
        _say(f"Redis: embedded at {redis.url} (data in {redis.data_dir})")
        return redis.url

    def database_urls(self) -> dict[str, str]:
        external = {
            spec.name: os.environ[f"{spec.env_prefix}DATABASE_URL"]
            for spec in SERVICES
            if os.environ.get(f"{spec.env_prefix}DATABASE_URL")
        }
        if len(external) == len(SERVICES):
            _say("PostgreSQL: external")
            return external
        postgres = EmbeddedPostgres(
            self.state / "postgres", port=_port("OBCMS_DEV_POSTGRES_PORT", DEFAULT_PG_PORT)
        )
        postgres.start()
        self.exit_stack.callback(postgres.stop)
        _say(f"PostgreSQL: embedded on 127.0.0.1:{postgres.port} (data in {postgres.data_dir})")
        return {
            spec.name: external.get(spec.name) or postgres.ensure_database(spec.database)
            for spec in SERVICES
        }

    def start_service(self, spec: ServiceSpec, env: dict[str, str]) -> None:
        log_path = self.state / "logs" / f"{spec.name}.log"
        log_path.parent.mkdir(exist_ok=True)
        log = log_path.open("ab")
        self.exit_stack.callback(log.close)
        process = subprocess.Popen(
            spec.command(sys.executable), env=env, stdout=log, stderr=subprocess.STDOUT
        )
        self.processes[spec.name] = process
        self.exit_stack.callback(self._stop_process, process)

    @staticmethod
    def _stop_process(process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_ready(spec: ServiceSpec, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{spec.port}/readyz"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{spec.name} exited with {process.returncode}; see its log")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{spec.name} was not ready within {timeout:.0f} s")


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@cli.command()
def run() -> None:
    """Start embedded PostgreSQL and Redis, migrate, and run every service until Ctrl-C."""
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    state = _state_dir()
    with ExitStack() as exit_stack:
        try:
            stack = Stack(state, exit_stack)
            redis_url = stack.redis_url()
            database_urls = stack.database_urls()
            for spec in SERVICES:
                _say(f"migrating {spec.name} ...")
                migrations.upgrade(spec.package, database_urls[spec.name])
            for spec in SERVICES:
                env = {
                    **os.environ,
                    f"{spec.env_prefix}DATABASE_URL": database_urls[spec.name],
                    "OBCMS_REDIS_URL": redis_url,
                }
                stack.start_service(spec, env)
            for spec in SERVICES:
                _wait_ready(spec, stack.processes[spec.name])
                _say(
                    f"{spec.name} API: http://127.0.0.1:{spec.port}/api/v1 "
                    f"(docs /docs, health /readyz, metrics /metrics; "
                    f"log {state / 'logs' / (spec.name + '.log')})"
                )
            (state / "stack.json").write_text(
                json.dumps(
                    {spec.name: f"http://127.0.0.1:{spec.port}" for spec in SERVICES}, indent=2
                )
            )
            _say("ready; press Ctrl-C to stop everything")
            while True:
                for name, process in stack.processes.items():
                    if process.poll() is not None:
                        raise RuntimeError(f"{name} exited with {process.returncode}")
                time.sleep(0.5)
        except KeyboardInterrupt:
            _say("stopping ...")
        except RuntimeError as exc:
            _say(f"error: {exc}; stopping")
            raise typer.Exit(1) from exc
    _say("stopped")


@cli.command()
def token(
    role: Annotated[list[Role], typer.Option(help="role(s) to carry")] = [Role.STAFF],  # noqa: B006
    user: Annotated[str | None, typer.Option(help="user id (default: a new one)")] = None,
    ttl: Annotated[int, typer.Option(help="lifetime in seconds")] = 3600,
) -> None:
    """Print an internal token signed with the development key (local stack only)."""
    user_id = uuid.UUID(user) if user else uuid.uuid4()
    typer.echo(
        sign_internal_token(DEV_INTERNAL_PRIVATE_KEY, user_id, role, ttl=timedelta(seconds=ttl))
    )


def main() -> None:
    cli()
