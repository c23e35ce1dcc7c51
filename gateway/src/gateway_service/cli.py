"""`obcms-gateway`: serve, worker, migrations, bus operations, create-user, users (account
management), check-deploy."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError

from gateway_service.db import bus
from gateway_service.settings import GatewaySettings, get_settings
from obcms_platform import serving
from obcms_platform.auth import Role
from obcms_platform.cli import WORKER_HEALTHCHECK_TIMEOUT, service_cli
from obcms_platform.db import Database
from obcms_platform.errors import AppError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from gateway_service.users.models import User
    from gateway_service.users.service import AccountChange

app = service_cli("gateway_service", get_settings, bus=bus)
# The shared `serve` listens on 8000 unless told; the gateway's port comes from OBCMS_PORT,
# and the proxy headers are handled in the app (trusted proxies setting), not by uvicorn.
app.registered_commands = [
    command
    for command in app.registered_commands
    if (command.name or getattr(command.callback, "__name__", "")) != "serve"
]


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="default: OBCMS_PORT or 8000")] = None,
    workers: int = 1,
    worker_healthcheck_timeout: int = WORKER_HEALTHCHECK_TIMEOUT,
) -> None:
    """Run the gateway with uvicorn."""
    serving.serve(
        "gateway_service.app:create_app",
        host=host,
        port=port or get_settings().port,
        workers=workers,
        timeout_worker_healthcheck=worker_healthcheck_timeout,  # see obcms_platform.cli
        log_config=None,
        access_log=False,  # the platform's middleware writes the access log
        proxy_headers=False,
    )


@app.command("create-user")
def create_user(
    username: str,
    role: Annotated[Role, typer.Option(help="staff, manager or admin")] = Role.STAFF,
    full_name: Annotated[str, typer.Option()] = "",
    email: Annotated[str | None, typer.Option()] = None,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create a user (the password is prompted for unless given)."""
    from gateway_service.users.schemas import UserCreate
    from gateway_service.users.service import create_user as create

    settings = get_settings()
    settings.configure_password_hashing()
    try:
        data = UserCreate(
            username=username, password=password, role=role, full_name=full_name, email=email
        )
    except ValidationError as exc:
        typer.echo(f"invalid user: {exc}", err=True)
        raise typer.Exit(2) from exc
    database = Database(settings.database_url, pool_size=1)
    try:
        with database.session() as session:
            user = create(session, data, min_password_length=settings.min_password_length)
            session.commit()
            typer.echo(f"created {user.role.value} {user.username} ({user.id})")
    except Exception as exc:
        typer.echo(f"error: {getattr(exc, 'message', exc)}", err=True)
        raise typer.Exit(1) from exc
    finally:
        database.dispose()


users_cli = typer.Typer(
    help="Manage accounts. Deactivating, changing a role or setting a password ends the "
    "user's sessions and tokens at once (Redis: OBCMS_REDIS_URL).",
    no_args_is_help=True,
)
app.add_typer(users_cli, name="users")


@users_cli.command("list")
def list_users() -> None:
    """Every account: username, role, active, last login (UTC), full name."""
    from gateway_service.users.service import list_users as page_of_users
    from obcms_platform.pagination import PageParams

    database = Database(get_settings().database_url, pool_size=1)
    try:
        with database.session() as session:
            offset, total = 0, 1
            while offset < total:
                users, total = page_of_users(session, PageParams(limit=500, offset=offset))
                for user in users:
                    last_login = (
                        f"{user.last_login_at:%Y-%m-%d %H:%M}" if user.last_login_at else "never"
                    )
                    typer.echo(
                        f"{user.username:<30} {user.role.value:<8} "
                        f"{'active' if user.is_active else 'inactive':<9} {last_login:<17} "
                        f"{user.full_name}"
                    )
                offset += len(users) or total
    finally:
        database.dispose()


@users_cli.command("announce")
def announce_users() -> None:
    """Announce every account on the bus again (``user.changed``, new events, in batches),
    e.g. after an upgrade that added the notifications service; repeating it changes
    nothing."""
    from gateway_service.users.models import User
    from gateway_service.users.service import announce_users
    from obcms_platform.bus.announcing import announce_every

    database = Database(get_settings().database_url, pool_size=1)
    try:
        count = announce_every(database, User, announce_users)
    finally:
        database.dispose()
    typer.echo(f"announced {count} accounts")


async def _end_credentials(user_id: uuid.UUID) -> int:
    import redis.asyncio as aioredis

    from gateway_service.auth.store import Credentials

    settings = get_settings()
    redis = aioredis.from_url(settings.redis_url, socket_connect_timeout=5, socket_timeout=5)
    try:
        return await Credentials.for_settings(redis, settings).revoke_user(user_id)
    finally:
        await redis.aclose()


def _change_account(
    username: str, change: Callable[[Session, User, GatewaySettings], AccountChange]
) -> None:
    """Apply `change` to the user `username`, commit, then end their credentials if needed."""
    from redis.exceptions import RedisError

    from gateway_service.users.service import find_user

    settings = get_settings()
    settings.configure_password_hashing()
    database = Database(settings.database_url, pool_size=1)
    try:
        with database.session() as session:
            user = find_user(session, username)
            if user is None:
                typer.echo(f"error: no user {username!r}", err=True)
                raise typer.Exit(1)
            result = change(session, user, settings)
            session.commit()
            user_id, name, signs_out = result.user.id, result.user.username, result.signs_out
    except AppError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    finally:
        database.dispose()
    if not signs_out:
        typer.echo(f"{name}: saved")
        return
    try:
        ended = asyncio.run(_end_credentials(user_id))
    except (RedisError, OSError) as exc:
        typer.echo(
            f"error: {name} is saved, but their sessions and tokens could not be ended "
            f"({exc}); run the command again once Redis answers",
            err=True,
        )
        raise typer.Exit(1) from exc
    typer.echo(f"{name}: saved; {ended} session(s) and token(s) ended")


def _set_active(active: bool) -> Callable[[Session, User, GatewaySettings], AccountChange]:
    def change(session: Session, user: User, _: GatewaySettings) -> AccountChange:
        from gateway_service.users.schemas import UserUpdate
        from gateway_service.users.service import update_user

        return update_user(session, user.id, UserUpdate(is_active=active), expected_version=None)

    return change


@users_cli.command()
def deactivate(username: str) -> None:
    """Deactivate USERNAME: they cannot sign in, and their sessions and tokens end."""
    _change_account(username, _set_active(False))


@users_cli.command()
def reactivate(username: str) -> None:
    """Let USERNAME sign in again."""
    _change_account(username, _set_active(True))


@users_cli.command("set-role")
def set_role(
    username: str, role: Annotated[Role, typer.Argument(help="staff, manager or admin")]
) -> None:
    """Give USERNAME another role (their sessions and tokens end)."""

    def change(session: Session, user: User, _: GatewaySettings) -> AccountChange:
        from gateway_service.users.schemas import UserUpdate
        from gateway_service.users.service import update_user

        return update_user(session, user.id, UserUpdate(role=role), expected_version=None)

    _change_account(username, change)


@users_cli.command("reset-password")
def reset_password(
    username: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the new password from standard input")
    ] = False,
) -> None:
    """Set USERNAME's password, prompted for or from stdin (their sessions and tokens end)."""
    # Never an argument: other users of the machine could read it in the process list.
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)

    def change(session: Session, user: User, settings: GatewaySettings) -> AccountChange:
        from gateway_service.users.service import reset_password as set_password

        return set_password(
            session, user.id, password, min_password_length=settings.min_password_length
        )

    _change_account(username, change)


@app.command("check-deploy")
def check_deploy() -> None:
    """Check the production settings (Django's `check --deploy`); exit 1 on any problem."""
    from gateway_service.security.checks import deploy_problems

    try:
        settings = GatewaySettings()
    except ValidationError as exc:
        for error in exc.errors():
            typer.echo(f"ERROR: {error['msg']}", err=True)
        raise typer.Exit(1) from exc
    problems = deploy_problems(settings)
    for problem in problems:
        typer.echo(f"ERROR: {problem}", err=True)
    if problems:
        typer.echo(f"{len(problems)} problem(s); refusing this configuration", err=True)
        raise typer.Exit(1)
    typer.echo("check-deploy: no problems found")


if __name__ == "__main__":
    app()
