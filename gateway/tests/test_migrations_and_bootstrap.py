"""The gateway's Alembic history (up, down, up, no drift), the admin bootstrap and the CLI."""

from __future__ import annotations

import stat
import uuid

from gateway_helpers import state_file
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from gateway_service.cli import app as cli
from gateway_service.db import Base, load_models
from gateway_service.settings import GatewaySettings
from gateway_service.users.bootstrap import bootstrap_admin
from gateway_service.users.models import User
from gateway_service.users.passwords import verify_password
from obcms_platform import migrations
from obcms_platform.bus import Event
from obcms_platform.contracts import UserChanged
from obcms_platform.db import Database, normalise_url
from obcms_platform.settings import RunMode
from obcms_platform.testing.migrations import assert_round_trip, schema_differences

PACKAGE = "gateway_service"
BUS_TABLES = {"bus_outbox", "bus_inbox", "bus_dead_letters"}


def test_upgrade_downgrade_upgrade_keeps_working(gateway_databases):
    url = gateway_databases.empty(f"walk_{uuid.uuid4().hex[:6]}")
    engine = create_engine(normalise_url(url), poolclass=NullPool)

    def with_data() -> None:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, username, full_name, role, password_hash, is_active)"
                    " VALUES (:id, 'someone', '', 'staff', 'x', true)"
                ),
                {"id": uuid.uuid4()},
            )

    try:
        assert_round_trip(PACKAGE, url, engine, {"users", *BUS_TABLES}, with_data)
    finally:
        engine.dispose()
    load_models()
    assert schema_differences(url, Base.metadata) == []


def test_an_upgrade_names_the_accounts_without_one_and_tells_the_services(gateway_databases):
    """An installation whose admin was bootstrapped before it was named: after the upgrade
    it is "Administrator" (another nameless account its username), a new version of each,
    in its history, and announced to the services in the same transaction."""
    url = gateway_databases.empty(f"named_{uuid.uuid4().hex[:6]}")
    migrations.upgrade(PACKAGE, url, "0006")
    engine = create_engine(normalise_url(url), poolclass=NullPool)
    ids = {name: uuid.uuid4() for name in ("admin", "nameless", "amina")}
    try:
        with engine.begin() as conn:
            for name, full_name, role, version in (
                ("admin", "", "admin", 1),
                ("nameless", "", "staff", 3),
                ("amina", "Amina Kusain", "staff", 1),
            ):
                conn.execute(
                    text(
                        "INSERT INTO users (id, username, full_name, role, password_hash, "
                        "is_active, version) VALUES (:id, :name, :full_name, :role, 'x', true, "
                        ":version)"
                    ),
                    {
                        "id": ids[name],
                        "name": name,
                        "full_name": full_name,
                        "role": role,
                        "version": version,
                    },
                )
        migrations.upgrade(PACKAGE, url)
        with engine.connect() as conn:
            named = conn.execute(text("SELECT username, full_name, version FROM users")).all()
            events = conn.execute(
                text("SELECT payload FROM bus_outbox WHERE event_type = 'user.changed'")
            ).scalars()
            told = [UserChanged.of(Event.model_validate(event)) for event in events]
            kept = conn.execute(
                text("SELECT record_id, record_version, changes FROM record_history")
            ).all()
    finally:
        engine.dispose()
    assert sorted(named) == [
        ("admin", "Administrator", 2),
        ("amina", "Amina Kusain", 1),
        ("nameless", "nameless", 4),
    ]
    assert sorted((u.username, u.full_name, u.version, u.role, u.active) for u in told) == [
        ("admin", "Administrator", 2, "admin", True),
        ("nameless", "nameless", 4, "staff", True),
    ]
    assert sorted(kept, key=lambda row: row.record_version) == [
        (ids["admin"], 2, [{"field": "full_name", "old": "", "new": "Administrator"}]),
        (ids["nameless"], 4, [{"field": "full_name", "old": "", "new": "nameless"}]),
    ]


def _users(url: str) -> list[User]:
    database = Database(url, pool_size=1)
    try:
        with database.session() as session:
            return list(session.scalars(select(User)))
    finally:
        database.dispose()


def test_dev_bootstrap_generates_stores_and_keeps_the_admin_password(make_settings, capsys):
    settings = make_settings(admin_password=None, mode=RunMode.DEV)
    database = Database(settings.database_url, pool_size=1)
    try:
        assert bootstrap_admin(database, settings) is True
        stored = state_file(settings)
        password = stored.read_text().strip()
        assert stat.S_IMODE(stored.stat().st_mode) == 0o600
        assert password in capsys.readouterr().err  # printed once
        assert bootstrap_admin(database, settings) is False  # already there: unchanged
        assert password not in capsys.readouterr().err
        [admin] = _users(settings.database_url)
        assert admin.username == "admin"
        # Named for the people it acts on ("approved by Administrator", not "by admin").
        assert admin.full_name == "Administrator"
        assert admin.role.value == "admin"
        assert verify_password(admin.password_hash, password)
    finally:
        database.dispose()


def test_production_bootstrap_needs_the_admin_password(make_settings):
    settings = make_settings(admin_password=None)
    production_like = settings.model_copy(update={"mode": RunMode.PRODUCTION})
    database = Database(settings.database_url, pool_size=1)
    try:
        assert bootstrap_admin(database, production_like) is False
        assert _users(settings.database_url) == []
        assert not state_file(settings).exists()
        with_password = production_like.model_copy(update={"admin_password": "from-the-env-var"})
        assert bootstrap_admin(database, with_password) is True
        [admin] = _users(settings.database_url)
        assert verify_password(admin.password_hash, "from-the-env-var")
    finally:
        database.dispose()


def test_create_user_command(make_settings, monkeypatch):
    settings: GatewaySettings = make_settings()
    monkeypatch.setenv("OBCMS_GATEWAY_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("OBCMS_GATEWAY_ARGON2_MEMORY_COST_KIB", "1024")
    monkeypatch.setenv("OBCMS_GATEWAY_ARGON2_TIME_COST", "1")
    from gateway_service.settings import get_settings

    get_settings.cache_clear()
    runner = CliRunner()
    try:
        created = runner.invoke(
            cli, ["create-user", "maria", "--role", "manager", "--password", "a-long-password"]
        )
        assert created.exit_code == 0, created.output
        assert "created manager maria" in created.output
        again = runner.invoke(cli, ["create-user", "maria", "--password", "a-long-password"])
        assert again.exit_code == 1
        assert "already exists" in again.output
    finally:
        get_settings.cache_clear()
    [maria] = _users(settings.database_url)
    assert maria.role.value == "manager"
