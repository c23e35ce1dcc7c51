"""Settings base: twelve-factor configuration from the environment.

Every service subclasses `ServiceSettings` with its own prefix (``OBCMS_TASKS_``...). A field
is read from the service-prefixed variable first, then from the platform-wide ``OBCMS_``
variable, so ``OBCMS_REDIS_URL`` serves every service while ``OBCMS_TASKS_REDIS_URL``
overrides it for one.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from obcms_platform.auth.dev_keys import DEV_INTERNAL_PUBLIC_KEY
from obcms_platform.auth.keys import is_dev_public_key, public_key_bytes


class RunMode(StrEnum):
    DEV = "dev"
    TEST = "test"
    PRODUCTION = "production"


# The local PostgreSQL of development and `make run`: each deployable's default database.
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"


# The types an attachment may be, found by content sniffing (never by the name): documents,
# pictures, plain text and tables, and the OOXML / OpenDocument office formats.
DEFAULT_ATTACHMENT_TYPES: tuple[str, ...] = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/plain",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
)
ATTACHMENTS_FOLDER = "attachments"


def service_database_url(service_name: str) -> str:
    """A service's default `database_url`: its own local database, ``obcms_<name>`` (the
    registry's `Deployable.database`)."""
    return f"{LOCAL_POSTGRES}/obcms_{service_name}"


class InsecureSettingsError(ValueError):
    """Raised at start-up when a non-dev process is configured with a dev secret."""


class ServiceSettings(BaseSettings):
    """Settings every OBCMS process shares. A subclass names its `service_name`; its
    `env_prefix` follows from it (``OBCMS_<NAME>_``, the registry's `Deployable.env_prefix`)."""

    env_prefix: ClassVar[str] = "OBCMS_"
    service_name: ClassVar[str] = "obcms"

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    mode: RunMode = RunMode.DEV
    database_url: str = f"{LOCAL_POSTGRES}/obcms"
    redis_url: str = "redis://127.0.0.1:6379/0"
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    db_statement_timeout_ms: int = Field(default=15_000, ge=0)
    internal_token_public_key: str = DEV_INTERNAL_PUBLIC_KEY
    internal_token_issuer: str = "obcms-gateway"
    log_level: str = "INFO"
    max_page_size: int = Field(default=500, ge=1, le=10_000)
    # Request guards (MAX_BODY_BYTES, MAX_FEED_WINDOW_DAYS, MAX_FEED_ENTRIES): the largest
    # request body, in bytes (larger: 413 before it is read whole), the longest
    # ?start=…&end=… window of the calendar feeds and ICS exports, in days (longer: 4xx
    # naming `end`), and the most entries one feed answer holds (the earliest; the answer
    # says it was truncated).
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=104_857_600)
    max_feed_window_days: int = Field(default=400, ge=1, le=3660)
    max_feed_entries: int = Field(default=5000, ge=1, le=1_000_000)
    # How long after posting its author may edit a comment (`obcms_platform.comments`).
    comment_edit_window_seconds: int = Field(default=900, ge=0, le=86_400)
    bus_max_retries: int = Field(default=5, ge=0, le=50)
    bus_retry_base_seconds: float = Field(default=2.0, gt=0, le=300)
    bus_visibility_timeout: int = Field(default=300, ge=2, le=86_400)
    worker_concurrency: int = Field(default=2, ge=1, le=64)
    worker_metrics_port: int = Field(default=0, ge=0, le=65_535)
    # Port of the API's /metrics (0: served on the API's own port, as in dev and tests).
    metrics_port: int = Field(default=0, ge=0, le=65_535)
    # Where attachments are stored (`obcms_platform.storage`): "local", a folder
    # (ATTACHMENTS_DIR, by default `<OBCMS_STATE_DIR>/attachments`: development and `make run`),
    # or "s3", a bucket of S3-compatible object storage (S3_BUCKET, S3_ENDPOINT_URL for a
    # server other than AWS; credentials from boto3's standard AWS_ACCESS_KEY_ID and
    # AWS_SECRET_ACCESS_KEY).
    attachments_storage: Literal["local", "s3"] = "local"
    attachments_dir: Path | None = None
    s3_endpoint_url: str | None = None
    s3_bucket: str | None = None
    s3_region: str = "us-east-1"
    # Attachment limits: the largest file in bytes, the most files on one record, and the
    # types allowed (sniffed from the content; comma-separated in the environment).
    attachment_max_bytes: int = Field(default=10 * 1_048_576, ge=1, le=5 * 1024**3)
    attachment_max_per_record: int = Field(default=20, ge=1, le=10_000)
    attachment_types: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_ATTACHMENT_TYPES), min_length=1
    )
    # The most rows one import of a workbook may hold (`obcms_platform.imports`); its file
    # is an upload, as large as an attachment may be.
    import_max_rows: int = Field(default=5000, ge=1, le=100_000)
    # The virus-scan extension point: "module:function", called with every upload before it
    # is stored; it refuses one by raising `AttachmentRejected(reason)`. None: no scan.
    attachment_scan_hook: str | None = None
    # Background exports (`export_jobs`): a worker's claim on a job without a heartbeat, the
    # rows between two progress commits (each one a heartbeat), how long a file is kept.
    export_lease_seconds: int = Field(default=120, ge=1, le=86_400)
    export_progress_rows: int = Field(default=1_000, ge=1, le=1_000_000)
    export_retention_hours: int = Field(default=72, ge=1, le=24 * 90)
    # The most cells (rows x columns) a list answers as Excel while the client waits: a
    # workbook is a zip, written whole before its first byte leaves (about 50,000 cells a
    # second on a loaded 2-core machine), so a larger one would outlast the gateway's backend
    # timeout. Larger: CSV (streamed) or a background job.
    export_xlsx_max_cells: int = Field(default=250_000, ge=1, le=100_000_000)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "env_prefix" not in vars(cls):
            cls.env_prefix = f"OBCMS_{cls.service_name.upper()}_"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings]
        sources.append(EnvSettingsSource(settings_cls, env_prefix=cls.env_prefix))
        if cls.env_prefix != "OBCMS_":
            sources.append(EnvSettingsSource(settings_cls, env_prefix="OBCMS_"))
        sources.append(file_secret_settings)
        return tuple(sources)

    @field_validator("internal_token_public_key")
    @classmethod
    def _public_key_parses(cls, value: str) -> str:
        # In every mode: a key that does not load would turn every request into a 401.
        try:
            public_key_bytes(value)
        except ValueError as exc:
            raise ValueError(
                f"{cls.env_prefix}INTERNAL_TOKEN_PUBLIC_KEY is not a PEM Ed25519 public key"
            ) from exc
        return value

    @field_validator("attachment_types", mode="before")
    @classmethod
    def _types_from_comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [name.strip().lower() for name in value.split(",") if name.strip()]
        return value

    @field_validator("attachment_types")
    @classmethod
    def _types_are_mime_types(cls, value: list[str]) -> list[str]:
        for name in value:
            kind, slash, subtype = name.partition("/")
            if not (kind and slash and subtype) or " " in name:
                raise ValueError(
                    f"{cls.env_prefix}ATTACHMENT_TYPES: {name!r} is not a MIME type (type/subtype)"
                )
        return [name.lower() for name in value]

    @field_validator("attachment_scan_hook")
    @classmethod
    def _hook_names_a_function(cls, value: str | None) -> str | None:
        if value is not None:
            module, colon, function = value.partition(":")
            if not (module and colon and function):
                raise ValueError(
                    f'{cls.env_prefix}ATTACHMENT_SCAN_HOOK: {value!r} is not "module:function"'
                )
        return value

    @model_validator(mode="after")
    def _storage_is_complete(self) -> ServiceSettings:
        if self.attachments_storage == "s3" and not self.s3_bucket:
            raise ValueError(
                f"{self.env_prefix}S3_BUCKET is required when "
                f"{self.env_prefix}ATTACHMENTS_STORAGE is s3"
            )
        return self

    @property
    def attachments_path(self) -> Path:
        """The local storage's folder: ATTACHMENTS_DIR, else ``attachments`` in the state
        folder (``OBCMS_STATE_DIR``, by default ``.obcms``) that `make run` keeps."""
        if self.attachments_dir is not None:
            return self.attachments_dir
        return Path(os.environ.get("OBCMS_STATE_DIR", ".obcms")) / ATTACHMENTS_FOLDER

    @model_validator(mode="after")
    def _refuse_dev_secrets_outside_dev(self) -> ServiceSettings:
        if self.mode is RunMode.PRODUCTION:
            for name, value in self.dev_secret_values().items():
                if value:
                    raise InsecureSettingsError(
                        f"{self.env_prefix}{name.upper()} is the development default; "
                        "set a real secret for production mode"
                    )
        return self

    def dev_secret_values(self) -> dict[str, bool]:
        """Map of secret field name -> True when it still holds the shipped dev value, by
        value: the same key written otherwise (no final newline, CRLF, indented) is still it.

        Subclasses with more secrets extend this.
        """
        return {"internal_token_public_key": is_dev_public_key(self.internal_token_public_key)}

    def for_logging(self) -> dict[str, Any]:
        """Settings safe to print: URLs without passwords, no keys."""
        from sqlalchemy.engine import make_url

        return {
            "mode": self.mode.value,
            "database": make_url(self.database_url).render_as_string(hide_password=True),
            "redis": self.redis_url.split("@")[-1],
        }


def _names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


class RelaySettings(ServiceSettings):
    """The outbox relay and its redelivery sweeper (``obcms-relay``): ``OBCMS_RELAY_*``, then
    the platform-wide ``OBCMS_*`` (``OBCMS_REDIS_URL``, ``OBCMS_BUS_VISIBILITY_TIMEOUT``)."""

    service_name: ClassVar[str] = "relay"

    # Comma-separated service names: whose outboxes to relay, and which consumers to sweep
    # for (None: every subscribed consumer whose database URL is set).
    sources: str = "tasks"
    consumers: str | None = None
    # The safety poll: inserts wake the relay at once (LISTEN/NOTIFY).
    poll_interval: float = Field(default=30.0, gt=0)
    sweep_interval: float = Field(default=60.0, gt=0)
    sweep_after_seconds: float | None = Field(default=None, ge=0)
    sweep_lookback_seconds: float = Field(default=86_400.0, gt=0)

    @property
    def source_names(self) -> list[str]:
        return _names(self.sources)

    @property
    def consumer_names(self) -> list[str] | None:
        return None if self.consumers is None else _names(self.consumers)

    @property
    def sweep_after(self) -> float:
        """Seconds after publishing when an event missing from a consumer is lost: by default
        twice the visibility timeout, by when Redis restored what a dead worker held."""
        if self.sweep_after_seconds is not None:
            return self.sweep_after_seconds
        return 2.0 * self.bus_visibility_timeout

    def dev_secret_values(self) -> dict[str, bool]:
        # The relay checks no internal tokens: the shipped public key is no risk here.
        return {}

    def database_url_of(self, service: str) -> str | None:
        """``OBCMS_<SERVICE>_DATABASE_URL``: the variable the service itself reads."""
        return os.environ.get(f"OBCMS_{service.upper()}_DATABASE_URL") or None
