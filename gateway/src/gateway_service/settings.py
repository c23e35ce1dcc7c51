"""Gateway settings (environment prefix ``OBCMS_GATEWAY_``, falling back to ``OBCMS_``).

Security settings follow Django's names (``SECURE_SSL_REDIRECT`` -> ``secure_ssl_redirect``
...). Left unset, they take the safe value for the run mode: on in production, off in
dev/test (plain-HTTP localhost). ``check-deploy`` refuses a production configuration that
turns one off (see ``security/checks.py``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, ClassVar

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import NoDecode

from obcms_platform.auth.dev_keys import DEV_INTERNAL_PRIVATE_KEY
from obcms_platform.auth.keys import is_dev_private_key, private_key_public_bytes
from obcms_platform.auth.tokens import MAX_TOKEN_LIFETIME
from obcms_platform.registry import CALENDAR, GATEWAY, NOTIFICATIONS, PORTFOLIO, SERVICES, TASKS
from obcms_platform.settings import RunMode, ServiceSettings, service_database_url
from obcms_platform.unsubscribe import DEV_UNSUBSCRIBE_SECRET

DEV_SECRET_KEY = "dev-only-insecure-gateway-secret-key-change-me-in-production-0123456789"

# Backends of the JSON API facade: the registry's services. Each has `<name>_url` and
# `<name>_timeout_seconds` (and, serving the feed, `<name>_feed_timeout_seconds`), explicit
# fields so each keeps its variable (OBCMS_GATEWAY_TASKS_URL...); tests/test_registry.py
# checks that they are exactly the registry's.
BACKENDS: tuple[str, ...] = tuple(service.name for service in SERVICES)

CommaList = Annotated[list[str], NoDecode]
# A backend's request timeout, and how long its part of the calendar feed may take.
BackendTimeout = Annotated[float, Field(gt=0, le=300)]
FeedSourceTimeout = Annotated[float, Field(gt=0, le=60)]


class GatewaySettings(ServiceSettings):
    service_name: ClassVar[str] = "gateway"

    database_url: str = service_database_url(service_name)
    port: int = Field(default=GATEWAY.default_port, ge=1, le=65_535)
    state_dir: Path = Path(".obcms")
    # Development only: the mail catcher's folder (a Maildir) that `make run` sends the
    # platform's email to; its messages show at /dev/mailbox/. Ignored in production.
    dev_mailbox_dir: Path | None = None

    # Signing key of the internal tokens the gateway sends to services (Ed25519 PEM).
    internal_token_private_key: str = DEV_INTERNAL_PRIVATE_KEY
    internal_token_ttl_seconds: int = Field(
        default=60, ge=5, le=int(MAX_TOKEN_LIFETIME.total_seconds())
    )
    # Signs the CSRF cookie (asgi-csrf / itsdangerous); seals calendar subscription tokens.
    secret_key: str = DEV_SECRET_KEY
    # Checks the one-click unsubscribe links of the notifications service's emails, which
    # signs them with the same secret (OBCMS_UNSUBSCRIBE_SECRET serves both).
    unsubscribe_secret: str = DEV_UNSUBSCRIBE_SECRET

    # Backends: base URLs (empty = not deployed) and per-service request timeouts.
    tasks_url: str = TASKS.default_url
    portfolio_url: str = PORTFOLIO.default_url
    calendar_url: str = CALENDAR.default_url
    notifications_url: str = NOTIFICATIONS.default_url
    tasks_timeout_seconds: BackendTimeout = 10.0
    portfolio_timeout_seconds: BackendTimeout = 10.0
    calendar_timeout_seconds: BackendTimeout = 10.0
    notifications_timeout_seconds: BackendTimeout = 10.0
    service_connect_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    health_check_timeout_seconds: float = Field(default=2.0, gt=0, le=30)

    # Calendar feed: how long each source may take (a slower one is reported as "timeout"
    # and the feed is served without it) and how long an aggregated part stays cached in
    # Redis at most (bus events and the gateway's own writes invalidate it sooner; 0 = off).
    tasks_feed_timeout_seconds: FeedSourceTimeout = 5.0
    portfolio_feed_timeout_seconds: FeedSourceTimeout = 5.0
    calendar_feed_timeout_seconds: FeedSourceTimeout = 5.0
    feed_cache_ttl_seconds: int = Field(default=300, ge=0, le=86_400)
    # A finished feed answer larger than this is not kept (a year's feed at the reference
    # volume is 1.4 MB, its gzip a tenth of that): a huge window must not flood Redis.
    feed_answer_max_bytes: int = Field(default=8_000_000, ge=0)

    # A list's Export menu downloads at once up to this many rows; a longer list's export
    # runs in the background (a job with a progress page and a download link).
    export_inline_max_rows: int = Field(default=5_000, ge=0)
    # PDF documents render in worker processes of their own (each holds WeasyPrint and the
    # gateway's modules, about 200 MB): at most this many per gateway process, whatever CPU
    # count the node reports to a pod.
    pdf_workers: int = Field(default=1, ge=1, le=8)
    # Start one as the gateway starts (in the background), rather than at the first document,
    # whose reader then waited seconds more than for the next (`gateway_service.pdf`).
    pdf_warm_up: bool = True

    # Identity.
    admin_password: str | None = None
    session_cookie_name: ClassVar[str] = "sessionid"
    session_max_age_seconds: int = Field(default=14 * 24 * 3600, ge=60)
    # A session unused this long ends (each request renews it, at most once a minute).
    session_idle_seconds: int = Field(default=8 * 3600, ge=120)
    token_ttl_seconds: int = Field(default=3600, ge=60, le=30 * 24 * 3600)
    # How long a worker reuses the user a credential resolved to (name, role, active) before
    # reading the database again. Deactivation, role and password changes made through the
    # gateway (API, pages, CLI) end the user's credentials, so they apply at once; a change
    # made directly in the database applies within this time. 0 = every request.
    identity_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    # Failed logins allowed per window: per account (whatever the address) and per client
    # address (whatever the usernames); over either, 429 with Retry-After before any hashing.
    login_max_failures: int = Field(default=5, ge=1, le=1000)
    login_address_max_failures: int = Field(default=50, ge=1, le=100_000)
    login_failure_window_seconds: int = Field(default=15 * 60, ge=1, le=86_400)
    # Threads that hash passwords (each hash holds ARGON2_MEMORY_COST_KIB) and how many more
    # logins may wait for one; beyond that a login is answered 503 at once.
    password_hashing_threads: int = Field(default=2, ge=1, le=64)
    password_hashing_queue: int = Field(default=32, ge=0, le=10_000)
    min_password_length: int = Field(default=12, ge=1, le=256)
    # Argon2id cost (argon2-cffi defaults; check-deploy refuses less than OWASP's minimum).
    argon2_time_cost: int = Field(default=3, ge=1, le=20)
    argon2_memory_cost_kib: int = Field(default=65_536, ge=64, le=4_194_304)
    argon2_parallelism: int = Field(default=4, ge=1, le=64)

    # Maintenance mode default when nothing is stored in Redis (``MAINTENANCE_MODE=1``).
    maintenance_mode: bool = Field(
        default=False,
        validation_alias=AliasChoices(
            "maintenance_mode", "obcms_gateway_maintenance_mode", "obcms_maintenance_mode"
        ),
    )
    maintenance_message: str = "OBCMS is undergoing scheduled maintenance. Please come back soon."
    maintenance_retry_after_seconds: int = Field(default=600, ge=1, le=86_400)

    # Production security (Django's check --deploy counterparts). None = mode default.
    allowed_hosts: CommaList = []
    # Peers (addresses or networks) whose X-Forwarded-For/-Proto are believed: the client
    # address is the last X-Forwarded-For entry not among them. "*" would believe the
    # client's own first entry, so check-deploy refuses it in production.
    trusted_proxies: CommaList = ["127.0.0.1"]
    secure_ssl_redirect: bool | None = None
    session_cookie_secure: bool | None = None
    csrf_cookie_secure: bool | None = None
    secure_hsts_seconds: int | None = Field(default=None, ge=0)
    secure_hsts_include_subdomains: bool = True
    content_security_policy: str = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        "frame-ancestors 'none'; "
        "base-uri 'self'; form-action 'self'; object-src 'none'"
    )

    # /openapi.json (the API description): None = on in dev/test, off in production, where
    # it would map the API for anyone. /docs and /redoc are never served: their pages load
    # scripts from a CDN, which the Content-Security-Policy refuses.
    api_docs: bool | None = None

    @field_validator("internal_token_private_key")
    @classmethod
    def _private_key_parses(cls, value: str) -> str:
        try:
            private_key_public_bytes(value)
        except ValueError as exc:
            raise ValueError(
                f"{cls.env_prefix}INTERNAL_TOKEN_PRIVATE_KEY is not a PEM Ed25519 private key"
            ) from exc
        return value

    @field_validator("allowed_hosts", "trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def is_dev(self) -> bool:
        return self.mode is not RunMode.PRODUCTION

    @property
    def ssl_redirect(self) -> bool:
        return not self.is_dev if self.secure_ssl_redirect is None else self.secure_ssl_redirect

    @property
    def secure_session_cookie(self) -> bool:
        if self.session_cookie_secure is None:
            return not self.is_dev
        return self.session_cookie_secure

    @property
    def secure_csrf_cookie(self) -> bool:
        return not self.is_dev if self.csrf_cookie_secure is None else self.csrf_cookie_secure

    @property
    def serves_api_docs(self) -> bool:
        return self.is_dev if self.api_docs is None else self.api_docs

    @property
    def hsts_seconds(self) -> int:
        if self.secure_hsts_seconds is None:
            return 0 if self.is_dev else 31_536_000
        return self.secure_hsts_seconds

    def backend_url(self, name: str) -> str:
        return str(getattr(self, f"{name}_url")).rstrip("/")

    def backend_timeout(self, name: str) -> float:
        return float(getattr(self, f"{name}_timeout_seconds"))

    def feed_timeout(self, name: str) -> float:
        return float(getattr(self, f"{name}_feed_timeout_seconds"))

    def deployed_backends(self) -> list[str]:
        return [name for name in BACKENDS if self.backend_url(name)]

    def configure_password_hashing(self) -> None:
        from gateway_service.users import passwords

        passwords.configure(
            time_cost=self.argon2_time_cost,
            memory_cost_kib=self.argon2_memory_cost_kib,
            parallelism=self.argon2_parallelism,
        )

    def dev_secret_values(self) -> dict[str, bool]:
        return {
            **super().dev_secret_values(),
            "internal_token_private_key": is_dev_private_key(self.internal_token_private_key),
            "secret_key": self.secret_key.strip() == DEV_SECRET_KEY,
            "unsubscribe_secret": self.unsubscribe_secret.strip() == DEV_UNSUBSCRIBE_SECRET,
        }


@lru_cache
def get_settings() -> GatewaySettings:
    return GatewaySettings()
