"""The relay's configuration: the settings base's sources, under OBCMS_RELAY_."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from obcms_platform.settings import RelaySettings


@pytest.fixture(autouse=True)
def _no_obcms_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in os.environ if name.startswith("OBCMS_")]:
        monkeypatch.delenv(name)


def test_the_relay_reads_its_variables_and_the_platform_wide_ones(monkeypatch):
    monkeypatch.setenv("OBCMS_RELAY_SOURCES", "tasks, calendar")
    monkeypatch.setenv("OBCMS_RELAY_CONSUMERS", "portfolio")
    monkeypatch.setenv("OBCMS_RELAY_SWEEP_INTERVAL", "5")
    monkeypatch.setenv("OBCMS_REDIS_URL", "redis://shared:6379/3")
    monkeypatch.setenv("OBCMS_CALENDAR_DATABASE_URL", "postgresql://calendar/db")
    settings = RelaySettings()
    assert settings.source_names == ["tasks", "calendar"]
    assert settings.consumer_names == ["portfolio"]
    assert settings.sweep_interval == 5.0
    assert settings.redis_url == "redis://shared:6379/3"
    assert settings.database_url_of("calendar") == "postgresql://calendar/db"
    assert settings.database_url_of("tasks") is None


def test_without_variables_the_relay_relays_tasks_and_sweeps_every_consumer():
    settings = RelaySettings()
    assert settings.source_names == ["tasks"]
    assert settings.consumer_names is None


def test_lost_events_are_looked_for_after_twice_the_visibility_timeout(monkeypatch):
    monkeypatch.setenv("OBCMS_BUS_VISIBILITY_TIMEOUT", "30")
    assert RelaySettings().sweep_after == 60.0
    monkeypatch.setenv("OBCMS_RELAY_SWEEP_AFTER_SECONDS", "7")
    assert RelaySettings().sweep_after == 7.0


def test_a_bad_interval_is_refused_naming_its_variable(monkeypatch):
    monkeypatch.setenv("OBCMS_RELAY_POLL_INTERVAL", "soon")
    with pytest.raises(ValidationError, match="poll_interval"):
        RelaySettings()


def test_in_production_the_relay_needs_no_token_key(monkeypatch):
    # The chart gives the relay OBCMS_MODE but no internal-token key: it checks no tokens.
    monkeypatch.setenv("OBCMS_MODE", "production")
    assert RelaySettings().mode == "production"
