from typing import ClassVar

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from obcms_platform.auth.dev_keys import DEV_INTERNAL_PUBLIC_KEY
from obcms_platform.settings import RunMode, ServiceSettings


class ExampleSettings(ServiceSettings):
    env_prefix: ClassVar[str] = "OBCMS_EXAMPLE_"
    service_name: ClassVar[str] = "example"


OTHER_PUBLIC_KEY = (
    Ed25519PrivateKey.generate()
    .public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


def test_service_prefix_overrides_platform_wide_variable(monkeypatch):
    monkeypatch.setenv("OBCMS_REDIS_URL", "redis://shared:6379/0")
    monkeypatch.setenv("OBCMS_EXAMPLE_REDIS_URL", "redis://own:6379/0")
    monkeypatch.setenv("OBCMS_DATABASE_URL", "postgresql://shared/db")
    settings = ExampleSettings()
    assert settings.redis_url == "redis://own:6379/0"
    assert settings.database_url == "postgresql://shared/db"


def test_production_mode_refuses_the_dev_signing_key(monkeypatch):
    monkeypatch.setenv("OBCMS_EXAMPLE_MODE", "production")
    with pytest.raises(ValidationError, match="OBCMS_EXAMPLE_INTERNAL_TOKEN_PUBLIC_KEY"):
        ExampleSettings()


def test_production_mode_accepts_a_real_key(monkeypatch):
    monkeypatch.setenv("OBCMS_MODE", "production")
    monkeypatch.setenv("OBCMS_INTERNAL_TOKEN_PUBLIC_KEY", OTHER_PUBLIC_KEY)
    settings = ExampleSettings()
    assert settings.mode is RunMode.PRODUCTION
    assert settings.internal_token_public_key != DEV_INTERNAL_PUBLIC_KEY


def test_dev_and_test_modes_run_with_the_shipped_key():
    assert ExampleSettings(mode=RunMode.DEV).internal_token_public_key == DEV_INTERNAL_PUBLIC_KEY
    assert ExampleSettings(mode=RunMode.TEST).mode is RunMode.TEST


def test_unknown_mode_is_refused(monkeypatch):
    monkeypatch.setenv("OBCMS_EXAMPLE_MODE", "staging-ish")
    with pytest.raises(ValidationError, match="mode"):
        ExampleSettings()


def test_log_view_hides_the_database_password():
    settings = ExampleSettings(database_url="postgresql://app:s3cret@db:5432/example")
    assert "s3cret" not in str(settings.for_logging())


def test_a_service_named_once_reads_its_own_variables(monkeypatch):
    class NamedSettings(ServiceSettings):
        service_name: ClassVar[str] = "named"

    monkeypatch.setenv("OBCMS_REDIS_URL", "redis://shared:6379/0")
    monkeypatch.setenv("OBCMS_NAMED_REDIS_URL", "redis://own:6379/0")
    settings = NamedSettings()
    assert settings.redis_url == "redis://own:6379/0"
