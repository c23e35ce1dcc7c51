"""`obcms-gateway`: serve, worker, migrations, bus operations, create-user, check-deploy."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError

from gateway_service.db import bus
from gateway_service.settings import GatewaySettings, get_settings
from obcms_platform.auth import Role
from obcms_platform.cli import WORKER_HEALTHCHECK_TIMEOUT, service_cli
from obcms_platform.db import Database

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
    uvicorn.run(
        "gateway_service.app:create_app",
        factory=True,
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
