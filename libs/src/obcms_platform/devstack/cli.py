"""`obcms-dev run`: the whole platform on one machine with embedded PostgreSQL and Redis.

State (database files, Redis append-only file, logs) lives in ``OBCMS_STATE_DIR``
(default ``.obcms``), so a second run reuses the data. Ctrl-C stops every process and both
embedded servers. Set ``OBCMS_<SERVICE>_DATABASE_URL`` / ``OBCMS_REDIS_URL`` to use external
servers instead.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
import uuid
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Annotated, NoReturn

import httpx
import typer

from obcms_platform.auth import Role, sign_internal_token
from obcms_platform.auth.dev_keys import DEV_INTERNAL_PRIVATE_KEY
from obcms_platform.auth.tokens import MAX_TOKEN_LIFETIME, SERVICE_AUDIENCES
from obcms_platform.devstack import demo
from obcms_platform.devstack.kube import LocalControlPlane
from obcms_platform.devstack.local import LocalStack
from obcms_platform.devstack.processes import ProcessGroup
from obcms_platform.devstack.stack import GATEWAY, SERVICES

cli = typer.Typer(help="Local OBCMS stack", no_args_is_help=True)


@cli.callback()
def _group() -> None:
    """Local OBCMS stack (embedded PostgreSQL and Redis)."""


def _state_dir() -> Path:
    path = Path(os.environ.get("OBCMS_STATE_DIR", ".obcms")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _say(message: str) -> None:
    typer.echo(f"[obcms] {message}")


def _admin_password(state: Path) -> str:
    """What to tell about the admin password (the gateway generates and stores it in dev)."""
    if os.environ.get("OBCMS_GATEWAY_ADMIN_PASSWORD") or os.environ.get("OBCMS_ADMIN_PASSWORD"):
        return "from OBCMS_ADMIN_PASSWORD"
    stored = state / "admin_password"
    if stored.exists():
        return stored.read_text().strip()
    return "<set on an earlier run; not stored>"


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _load_demo(state: Path) -> None:
    """The demo organisation (once per state folder) and its logins; a failure is told, the
    stack runs on."""
    first = not demo.is_loaded(state)
    if first:
        _say("loading the demo organisation ...")
    try:
        logins = demo.ensure_demo(GATEWAY.url, state, os.environ)
    except (demo.DemoDataError, httpx.HTTPError) as exc:
        _say(f"demo data not (completely) loaded: {exc}; `make reset` starts over")
        return
    if first:
        _say(
            f"demo organisation loaded: {len(demo.PEOPLE)} people, teams, PPAs, assessments, "
            "needs, events, bookings, leave and tasks around today"
        )
    for login in logins:
        _say(
            f"demo login ({login.role.value}): {login.username} / {login.password} "
            f"({login.full_name})"
        )


@cli.command()
def run(
    empty: Annotated[
        bool,
        typer.Option(
            "--empty",
            help=f"start without the demo organisation (or {demo.DEMO_DATA_VARIABLE}=0)",
        ),
    ] = False,
    ready_timeout: Annotated[
        float,
        typer.Option(
            envvar="OBCMS_DEV_READY_TIMEOUT",
            min=1,
            help="seconds each process may take to answer /readyz (a busy machine wants more)",
        ),
    ] = 90,
) -> None:
    """Start embedded PostgreSQL and Redis, migrate, and run every process until Ctrl-C;
    a fresh state folder gets the demo organisation unless `--empty`."""
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    # Started from a process that ignores Ctrl-C (a background job, nohup), Python would
    # inherit the ignoring and the stack could only be killed, never stopped.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    state = _state_dir()
    with ExitStack() as exit_stack:
        try:
            stack = LocalStack(state, os.environ, exit_stack, _say, ready_timeout)
            stack.migrate()
            stack.start_all()
            for spec in SERVICES:
                _say(
                    f"{spec.name} API: http://127.0.0.1:{spec.port}/api/v1 "
                    "(docs /docs, health /readyz, metrics /metrics)"
                )
            _say(f"workers and relay running; logs in {stack.log_dir}")
            _say(f"gateway: {GATEWAY.url} (login admin / {_admin_password(state)})")
            _say(f"email is caught, not sent: {GATEWAY.url}/dev/mailbox/")
            if demo.demo_wanted(os.environ, empty):
                _load_demo(state)
            (state / "stack.json").write_text(
                json.dumps({spec.name: spec.url for spec in (*SERVICES, GATEWAY)}, indent=2)
            )
            _say("ready; press Ctrl-C to stop everything")
            _until_one_exits(stack.group)
        except KeyboardInterrupt:
            _say("stopping ...")
        except RuntimeError as exc:
            _say(f"error: {exc}; stopping")
            raise typer.Exit(1) from exc
    _say("stopped")


def _until_one_exits(group: ProcessGroup) -> NoReturn:
    """Wait until one of `group`'s processes exits: a RuntimeError naming it and its log."""
    while not (exited := group.exited()):
        time.sleep(0.5)
    name, code = exited[0]
    raise RuntimeError(f"{name} exited with {code}; see {group.log_path(name)}")


@cli.command()
def kube(
    nodes: Annotated[int, typer.Option(min=1, help="simulated (KWOK) nodes")] = 3,
) -> None:
    """Run a local Kubernetes control plane (etcd, API server, controllers, scheduler, KWOK
    nodes) on loopback until Ctrl-C; its state and kubeconfig in `OBCMS_STATE_DIR`/kube."""
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    folder = _state_dir() / "kube"
    shutil.rmtree(folder, ignore_errors=True)  # a fresh cluster each time: new CA, empty etcd
    folder.mkdir(parents=True)
    plane = LocalControlPlane(folder, nodes=nodes, say=_say)
    try:
        with plane:
            _say(f"export KUBECONFIG={plane.kubeconfig}")
            _say(f"helm: {plane.binaries / 'helm'}; logs in {plane.processes.log_dir}")
            _say("ready; press Ctrl-C to stop the control plane")
            _until_one_exits(plane.processes)
    except KeyboardInterrupt:
        _say("stopped")
    except RuntimeError as exc:
        _say(f"error: {exc}")
        raise typer.Exit(1) from exc


@cli.command()
def token(
    role: Annotated[list[Role], typer.Option(help="role(s) to carry")] = [Role.STAFF],  # noqa: B006
    user: Annotated[str | None, typer.Option(help="user id (default: a new one)")] = None,
    ttl: Annotated[
        int,
        typer.Option(
            help="lifetime in seconds", min=1, max=int(MAX_TOKEN_LIFETIME.total_seconds())
        ),
    ] = int(MAX_TOKEN_LIFETIME.total_seconds()),
) -> None:
    """Print an internal token signed with the development key (local stack only)."""
    user_id = uuid.UUID(user) if user else uuid.uuid4()
    typer.echo(
        sign_internal_token(
            DEV_INTERNAL_PRIVATE_KEY,
            user_id,
            role,
            audience=SERVICE_AUDIENCES,
            ttl=timedelta(seconds=ttl),
        )
    )


def main() -> None:
    cli()
