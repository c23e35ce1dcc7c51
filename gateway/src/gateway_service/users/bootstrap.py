"""Admin bootstrap at start-up: user ``admin`` exists once the gateway runs.

Its password is ``OBCMS_ADMIN_PASSWORD``; without one, dev/test mode generates a password,
prints it once and stores it in the state folder (``<OBCMS_STATE_DIR>/admin_password``, mode
0600). Production without ``OBCMS_ADMIN_PASSWORD`` creates nothing (use
``obcms-gateway create-user``), nor does a password the policy refuses (logged as an error).
An existing admin is never changed. It is named "Administrator", so that what it does reads
"approved by Administrator" to the people it concerns (one bootstrapped before gets the name
from migration 0007).
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
from pathlib import Path

from gateway_service.settings import GatewaySettings
from gateway_service.users.policy import check_password
from gateway_service.users.service import ensure_user, find_user
from obcms_platform.auth import Role
from obcms_platform.db import Database
from obcms_platform.errors import InvalidInputError

ADMIN_USERNAME = "admin"
# What people read where the admin acted ("approved by Administrator", not "by admin").
ADMIN_FULL_NAME = "Administrator"
PASSWORD_FILE = "admin_password"

logger = logging.getLogger(__name__)


def password_file(settings: GatewaySettings) -> Path:
    return Path(settings.state_dir) / PASSWORD_FILE


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text + "\n")
    path.chmod(0o600)


def bootstrap_admin(database: Database, settings: GatewaySettings) -> bool:
    """Create the admin account when missing; returns whether it was created."""
    with database.session() as session:
        if find_user(session, ADMIN_USERNAME) is not None:
            return False
    password = settings.admin_password
    generated = False
    stored = password_file(settings)
    if not password:
        if not settings.is_dev:
            logger.warning(
                "no admin account bootstrap: OBCMS_ADMIN_PASSWORD is not set "
                "(create users with `obcms-gateway create-user`)"
            )
            return False
        if stored.exists():
            password = stored.read_text().strip()
        else:
            password = secrets.token_urlsafe(12)
            generated = True
    try:
        check_password(
            password,
            min_length=settings.min_password_length,
            field="OBCMS_ADMIN_PASSWORD",
            user_inputs=[ADMIN_USERNAME],
        )
    except InvalidInputError as exc:
        logger.error("no admin account bootstrap: %s", exc.message)
        return False
    with database.session() as session:
        created = ensure_user(
            session, ADMIN_USERNAME, password, Role.ADMIN, full_name=ADMIN_FULL_NAME
        )
        session.commit()
    if created and generated:
        _write_private(stored, password)
        print(
            f"[obcms] gateway admin account created: {ADMIN_USERNAME} / {password} "
            f"(stored in {stored})",
            file=sys.stderr,
            flush=True,
        )
    if created:
        logger.info("admin account %r created", ADMIN_USERNAME)
    return created
