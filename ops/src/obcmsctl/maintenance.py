"""``obcmsctl maintenance on|off|status``: the gateway's maintenance switch (admin API).

Logs in for a bearer token (``POST /api/v1/auth/token``), reads or sets
``/api/v1/admin/maintenance``, then revokes the token. While on, the gateway answers 503
with ``Retry-After`` (health and metrics endpoints stay reachable).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import httpx
import typer

from obcmsctl.output import emit_json, fail

TOKEN = "/api/v1/auth/token"
MAINTENANCE = "/api/v1/admin/maintenance"


class Action(StrEnum):
    ON = "on"
    OFF = "off"
    STATUS = "status"


class GatewayError(RuntimeError):
    pass


def switch(
    url: str,
    username: str,
    password: str,
    action: Action,
    message: str | None = None,
    timeout: float = 30.0,
) -> dict[str, Any]:
    with httpx.Client(base_url=url.rstrip("/"), timeout=timeout) as client:
        issued = client.post(TOKEN, data={"username": username, "password": password})
        if issued.status_code != 200:
            raise GatewayError(f"token request answered {issued.status_code}: {issued.text[:300]}")
        headers = {"Authorization": f"Bearer {issued.json()['access_token']}"}
        try:
            if action is Action.STATUS:
                response = client.get(MAINTENANCE, headers=headers)
            else:
                body: dict[str, Any] = {"enabled": action is Action.ON}
                if message:
                    body["message"] = message
                response = client.put(MAINTENANCE, json=body, headers=headers)
            if response.status_code != 200:
                raise GatewayError(
                    f"{MAINTENANCE} answered {response.status_code}: {response.text[:300]}"
                )
            state: dict[str, Any] = response.json()
            return state
        finally:
            client.delete(TOKEN, headers=headers)


def register(app: typer.Typer) -> None:
    @app.command()
    def maintenance(
        action: Annotated[Action, typer.Argument(help="on, off or status")],
        url: Annotated[str, typer.Option(help="the gateway's base URL")],
        password: Annotated[
            str, typer.Option(envvar="OBCMS_ADMIN_PASSWORD", help="an admin's password")
        ],
        username: Annotated[str, typer.Option(help="an admin user")] = "admin",
        message: Annotated[str | None, typer.Option(help="text of the maintenance page")] = None,
        json_output: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    ) -> None:
        """Turn the gateway's maintenance mode on or off, or show it."""
        try:
            state = switch(url, username, password, action, message)
        except (GatewayError, httpx.HTTPError) as exc:
            raise fail(str(exc), 1) from exc
        if json_output:
            emit_json(state)
        else:
            typer.echo(f"maintenance {'on' if state['enabled'] else 'off'}: {state['message']}")
