"""The gateway announces every account change on the bus (``user.changed``): the
notifications service learns people's addresses, time zones and roles from it, never a
password or a token."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from gateway_helpers import ADMIN_PASSWORD, USER_PASSWORD, token_for
from sqlalchemy import select
from typer.testing import CliRunner

from gateway_service.cli import app as cli
from gateway_service.db import bus
from gateway_service.settings import get_settings
from gateway_service.users.models import AccountsAnnounced, User
from gateway_service.users.service import announce_to_new_consumers, announce_users
from obcms_platform.bus import Event
from obcms_platform.bus.announcing import announce_every
from obcms_platform.contracts import USER_CHANGED, UserChanged


def _announced(client: TestClient) -> list[UserChanged]:
    database = client.app.state.database  # type: ignore[attr-defined]
    with database.session() as session:
        rows = session.scalars(
            select(bus.outbox.c.payload)
            .where(bus.outbox.c.event_type == USER_CHANGED.name)
            .order_by(bus.outbox.c.created_at)
        )
        return [UserChanged.of(Event.model_validate(row)) for row in rows]


def test_creating_and_changing_an_account_announces_it_without_secrets(
    in_process: Callable[..., TestClient],
) -> None:
    client = in_process()
    admin = token_for(client, "admin", ADMIN_PASSWORD)  # type: ignore[arg-type]
    created = client.post(
        "/api/v1/users",
        json={
            "username": "amina",
            "password": USER_PASSWORD,
            "role": "staff",
            "full_name": "Amina Kusain",
            "email": "amina@example.org",
        },
        headers=admin,
    ).json()
    amina = token_for(client, "amina", USER_PASSWORD)  # type: ignore[arg-type]
    me = client.get("/api/v1/users/me", headers=amina)
    changed = client.patch(
        "/api/v1/users/me",
        json={"time_zone": "Europe/London"},
        headers={**amina, "If-Match": me.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.text
    promoted = client.patch(
        f"/api/v1/users/{created['id']}",
        json={"role": "manager"},
        headers={**admin, "If-Match": changed.headers["ETag"]},
    )
    assert promoted.status_code == 200, promoted.text

    mine = [user for user in _announced(client) if str(user.user_id) == created["id"]]
    assert [(u.role, u.time_zone, u.version) for u in mine] == [
        ("staff", None, 1),
        ("staff", "Europe/London", 2),
        ("manager", "Europe/London", 3),
    ]
    assert mine[0].email == "amina@example.org"
    assert mine[0].full_name == "Amina Kusain"
    raw: Any = mine[0].data()
    assert set(raw) == {
        "user_id",
        "username",
        "full_name",
        "email",
        "time_zone",
        "role",
        "active",
        "version",
    }


def test_every_account_can_be_announced_again(
    in_process: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = in_process()
    before = len(_announced(client))
    settings = client.app.state.settings  # type: ignore[attr-defined]
    monkeypatch.setenv("OBCMS_GATEWAY_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["users", "announce"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "announced 1 accounts" in result.output  # the bootstrap admin
    assert len(_announced(client)) == before + 1


def test_every_account_is_announced_once_batch_after_batch(
    in_process: Callable[..., TestClient],
) -> None:
    client = in_process()
    admin = token_for(client, "admin", ADMIN_PASSWORD)  # type: ignore[arg-type]
    for username in ("farida", "jamal"):
        body = {"username": username, "password": USER_PASSWORD, "role": "staff"}
        assert client.post("/api/v1/users", json=body, headers=admin).status_code == 201
    before = len(_announced(client))

    database = client.app.state.database  # type: ignore[attr-defined]
    assert announce_every(database, User, announce_users, batch_size=2) == 3

    announced = _announced(client)[before:]
    assert sorted(user.username for user in announced) == ["admin", "farida", "jamal"]


def test_a_consumer_added_by_a_release_gets_every_account_once(
    in_process: Callable[..., TestClient],
) -> None:
    client = in_process()
    admin = token_for(client, "admin", ADMIN_PASSWORD)  # type: ignore[arg-type]
    body = {"username": "omar", "password": USER_PASSWORD, "role": "staff", "full_name": "Omar"}
    assert client.post("/api/v1/users", json=body, headers=admin).status_code == 201
    database = client.app.state.database  # type: ignore[attr-defined]
    with database.session() as session:
        # The release before knew one consumer of accounts, and had sent it every account.
        session.add(AccountsAnnounced(consumers="notifications"))
        session.commit()
    before = len(_announced(client))

    # Gateway workers start together: one announces, the others find it done.
    def start_worker(_: int) -> int:
        with database.session() as session:
            count = announce_to_new_consumers(session)
            session.commit()
            return count

    with ThreadPoolExecutor(max_workers=3) as pool:
        counts = sorted(pool.map(start_worker, range(3)))
    assert counts == [0, 0, 2]  # the bootstrap admin and Omar
    announced = _announced(client)[before:]
    assert sorted(user.username for user in announced) == ["admin", "omar"]
    assert start_worker(0) == 0  # a restart with the same consumers announces nothing
    with database.session() as session:
        marked = set(session.scalars(select(AccountsAnnounced.consumers)))
    assert marked == {"notifications", "notifications,portfolio,tasks"}
