"""Notifications service settings (environment prefix ``OBCMS_NOTIFICATIONS_``, then ``OBCMS_``)."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from pydantic import Field, SecretStr

from obcms_platform.settings import ServiceSettings, service_database_url
from obcms_platform.unsubscribe import DEV_UNSUBSCRIBE_SECRET


class NotificationsSettings(ServiceSettings):
    service_name: ClassVar[str] = "notifications"

    database_url: str = service_database_url(service_name)
    # Links in messages point here (the gateway's public address).
    public_url: str = "http://127.0.0.1:8000"
    # Signs the one-click unsubscribe links of emails (`obcms_platform.unsubscribe`); the
    # gateway, which answers them, has the same (OBCMS_UNSUBSCRIBE_SECRET serves both).
    unsubscribe_secret: str = DEV_UNSUBSCRIBE_SECRET
    # Outgoing mail. With `smtp_host` empty, emails are kept as "not sent" (nothing lost).
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65_535)
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    # "starttls" upgrades a plain connection; "tls" connects over TLS (port 465); "none".
    smtp_security: str = Field(default="none", pattern="^(none|starttls|tls)$")
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    mail_from: str = "OBCMS <obcms@localhost>"
    # A failing send is retried with backoff (base, 2 x base, ... capped at an hour) this
    # many times before the message is given up and counted as failed.
    email_max_attempts: int = Field(default=8, ge=1, le=50)
    email_retry_base_seconds: float = Field(default=30.0, gt=0, le=3600)
    # The beat: how often each scheduled job runs, and the office's default time zone for
    # users who have not chosen one.
    beat_tick_seconds: float = Field(default=60.0, gt=0, le=3600)
    email_send_interval_seconds: float = Field(default=5.0, gt=0, le=3600)
    default_time_zone: str = "Asia/Manila"
    # Manager queues: requests waiting longer than this are reminded to managers.
    manager_queue_after_hours: int = Field(default=24, ge=1, le=24 * 30)
    # Housekeeping: read notifications and sent emails are deleted after this many days.
    retention_days: int = Field(default=90, ge=1, le=3650)
    beat_metrics_port: int = Field(default=0, ge=0, le=65_535)

    def dev_secret_values(self) -> dict[str, bool]:
        return {
            **super().dev_secret_values(),
            "unsubscribe_secret": self.unsubscribe_secret.strip() == DEV_UNSUBSCRIBE_SECRET,
        }


@lru_cache
def get_settings() -> NotificationsSettings:
    return NotificationsSettings()
