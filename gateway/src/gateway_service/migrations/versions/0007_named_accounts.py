"""named accounts: every account has a full name, and the services are told

Before the bootstrap named it, the admin account was created with an empty full name; so
was an account made by `create-user` without `--full-name`. Each gets one: the bootstrapped
admin "Administrator" (as `users.bootstrap` names it now), any other its username (the name
every page already shows for it). Each change is a new version of the account, kept in its
history and announced (``user.changed``) through the outbox in this migration's transaction:
the services learn the name as from any change of the account, once the relay runs.

Data only, expand-only: the previous release reads these names like any other. The
downgrade leaves them (nothing tells a name given here from one typed since).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from obcms_platform.auth import Role
from obcms_platform.bus import Event
from obcms_platform.bus.outbox import notify_relay
from obcms_platform.contracts import USER_CHANGED, UserChanged

revision: str = "0007"
down_revision: str | None = "0006"

# `users.bootstrap` at this revision: its account, and the name it gives it.
ADMIN_USERNAME = "admin"
ADMIN_FULL_NAME = "Administrator"

users = sa.table(
    "users",
    sa.column("id", sa.Uuid()),
    sa.column("username", sa.String()),
    sa.column("full_name", sa.String()),
    sa.column("email", sa.String()),
    sa.column("time_zone", sa.String()),
    sa.column("role", sa.String()),
    sa.column("is_active", sa.Boolean()),
    sa.column("version", sa.Integer()),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
history = sa.table(
    "record_history",
    sa.column("record_type", sa.String()),
    sa.column("record_id", sa.Uuid()),
    sa.column("record_version", sa.Integer()),
    sa.column("action", sa.String()),
    sa.column("cause", sa.Text()),
    sa.column("changes", postgresql.JSONB()),
)
outbox = sa.table(
    "bus_outbox",
    sa.column("id", sa.Uuid()),
    sa.column("event_type", sa.String()),
    sa.column("payload", postgresql.JSONB()),
)


def upgrade() -> None:
    connection = op.get_bind()
    named = connection.execute(
        sa.update(users)
        .where(users.c.full_name == "")
        .values(
            full_name=sa.case(
                (users.c.username == ADMIN_USERNAME, ADMIN_FULL_NAME), else_=users.c.username
            ),
            version=users.c.version + 1,
            updated_at=sa.func.now(),
        )
        .returning(*users.c)
    ).all()
    if not named:
        return
    connection.execute(
        sa.insert(history),
        [
            {
                "record_type": "user",
                "record_id": user.id,
                "record_version": user.version,
                "action": "updated",
                "cause": "the account had no full name",
                "changes": [{"field": "full_name", "old": "", "new": user.full_name}],
            }
            for user in named
        ],
    )
    events = [
        Event.new(
            USER_CHANGED.name,
            producer="gateway",
            subject_id=user.id,
            data=UserChanged(
                user_id=user.id,
                username=user.username,
                full_name=user.full_name,
                email=user.email,
                time_zone=user.time_zone,
                role=Role(user.role),
                active=user.is_active,
                version=user.version,
            ).data(),
        )
        for user in named
    ]
    connection.execute(
        sa.insert(outbox),
        [
            {"id": event.id, "event_type": event.type, "payload": event.model_dump(mode="json")}
            for event in events
        ],
    )
    notify_relay(connection)


def downgrade() -> None:
    pass
