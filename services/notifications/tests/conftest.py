"""Notifications service fixtures: a fresh migrated database per test, an app client,
callers, a real SMTP server, and helpers that deliver events to the handlers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from notifications_service.db import load_models
from obcms_platform import registry
from obcms_platform.mailcatcher import MailCatcher
from obcms_platform.testing.service_fixtures import service_fixtures

globals().update(service_fixtures(registry.NOTIFICATIONS, load_models=load_models))


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[MailCatcher]:
    catcher = MailCatcher(tmp_path / "mail").start()
    yield catcher
    catcher.stop()
