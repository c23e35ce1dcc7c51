"""Users: the gateway's identity records."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from gateway_service.db import Base, history
from obcms_platform.auth import Role
from obcms_platform.columns import Identified
from obcms_platform.db import Timestamped, enum_column


def canonical_username(username: str) -> str:
    """The form two usernames share when people would take them for the same name."""
    return unicodedata.normalize("NFKC", username).casefold()


class User(Identified, Timestamped, Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(150), unique=True)
    # canonical_username(username), unique: `SecStaff1` cannot sit beside `secstaff1`. Null
    # only for rows older than the column that clashed with an earlier user (migration 0003)
    # or were created by the previous release during an upgrade.
    username_canonical: Mapped[str | None] = mapped_column(String(150), unique=True)
    full_name: Mapped[str] = mapped_column(String(300), default="")
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    # IANA name; null = the office's time zone.
    time_zone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), default=Role.STAFF)
    password_hash: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The ETag of the account: bumped by the changes people make (not by a login).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    # The personal calendar subscription (feed/subscriptions.py): the token's SHA-256, by
    # which a calendar client's request is looked up, and the token sealed with a key
    # derived from the gateway's SECRET_KEY, so the account page can show the URL again.
    calendar_token_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    calendar_token_sealed: Mapped[str | None] = mapped_column(Text)


# In the history: that the password changed (a reset is an auditor's question), never its
# hash; never the calendar token (a secret), nor the login time (a login changes no one's
# account).
history.keep(
    User,
    "user",
    redacted=("password_hash",),
    unrecorded=("calendar_token_digest", "calendar_token_sealed", "last_login_at"),
)


class AccountsAnnounced(Base):
    """Which consumers of ``user.changed`` have been sent every account (`consumers`: their
    names, sorted, comma-separated): a release that adds one announces them all once."""

    __tablename__ = "accounts_announced"

    consumers: Mapped[str] = mapped_column(String(500), primary_key=True)
    announced_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
