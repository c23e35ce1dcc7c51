"""user accounts: canonical usernames (unique), time zone, version

Expand-only: the previous release ignores the new columns (its inserts leave
`username_canonical` and `time_zone` null and `version` at its default).
"""

import logging
import unicodedata

import sqlalchemy as sa
from alembic import op

from obcms_platform.migration_ops import (
    add_unique_constraint,
    add_version_column,
    drop_columns,
    drop_unique_constraint,
)

revision: str = "0003"
down_revision: str | None = "0002"

logger = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    op.add_column("users", sa.Column("username_canonical", sa.String(length=150), nullable=True))
    op.add_column("users", sa.Column("time_zone", sa.String(length=64), nullable=True))
    add_version_column("users")
    # Backfill with the rule of `users.models.canonical_username` as it is at this revision.
    # The oldest of the users whose names clash keeps the canonical form; the others stay
    # null (they still sign in with their exact username) and are named in the log.
    connection = op.get_bind()
    users = sa.table(
        "users",
        sa.column("id", sa.Uuid()),
        sa.column("username", sa.String()),
        sa.column("username_canonical", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    taken: dict[str, str] = {}
    rows = connection.execute(
        sa.select(users.c.id, users.c.username).order_by(users.c.created_at, users.c.id)
    )
    for user_id, username in rows.all():
        canonical = unicodedata.normalize("NFKC", username).casefold()
        if canonical in taken:
            logger.warning(
                "user %r clashes with %r: it keeps signing in by its exact name; "
                "deactivate one of them (obcms-gateway users deactivate)",
                username,
                taken[canonical],
            )
            continue
        taken[canonical] = username
        connection.execute(
            sa.update(users).where(users.c.id == user_id).values(username_canonical=canonical)
        )
    add_unique_constraint("users", "username_canonical")


def downgrade() -> None:
    drop_unique_constraint("users", "username_canonical")
    drop_columns("users", "version", "time_zone", "username_canonical")
