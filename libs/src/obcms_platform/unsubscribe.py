"""One-click unsubscribe links of notification emails (RFC 8058, RFC 2369):
``/unsubscribe/<token>``.

The token is a capability: it names one person and what they stop getting by email (a kind
of notification, or the daily digest), signed with HMAC (itsdangerous) under the secret
``UNSUBSCRIBE_SECRET`` that the notifications service (which writes the emails) and the
gateway (which answers the link, as that person) share. Nobody can make one for another
person or another kind, and a changed one is refused. It does not expire: a link in last
year's email still works, and using it twice does no harm. A new secret ends every link
given before (their emails still link the preferences page).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

from obcms_platform.vocabulary import NotificationChannel as Channel
from obcms_platform.vocabulary import NotificationKind as Kind

UNSUBSCRIBE_PREFIX = "/unsubscribe/"
DEV_UNSUBSCRIBE_SECRET = "dev-only-insecure-unsubscribe-secret-change-me-in-production-0123456"
# Keeps these signatures apart from anything else ever signed with the same secret.
_SALT = "obcms.unsubscribe"
# What the token names instead of a kind: the daily digest (every kind sent in it).
DIGEST = "digest"

# What a channel becomes without email: the notifications still reach the inbox (nothing
# the person did not choose to drop is lost); those not emailed stay as they are.
WITHOUT_EMAIL: dict[Channel, Channel] = {
    Channel.BOTH: Channel.IN_APP,
    Channel.EMAIL: Channel.IN_APP,
    Channel.DIGEST: Channel.IN_APP,
    Channel.IN_APP: Channel.IN_APP,
    Channel.OFF: Channel.OFF,
}


@dataclass(frozen=True)
class Unsubscription:
    """Whose email stops, and which: `kind`'s, or the digest's (`kind` None)."""

    user_id: uuid.UUID
    kind: Kind | None


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=_SALT)


def unsubscribe_link(secret: str, user_id: uuid.UUID, kind: Kind | None) -> str:
    """The path that stops `user_id`'s email of `kind` (None: the daily digest)."""
    token = _serializer(secret).dumps([user_id.hex, kind.value if kind else DIGEST])
    return f"{UNSUBSCRIBE_PREFIX}{token}"


def read_token(secret: str, token: str) -> Unsubscription | None:
    """What `token` stops; None when it was not signed with `secret` or was changed."""
    try:
        payload = _serializer(secret).loads(token)
        person, topic = payload
        return Unsubscription(uuid.UUID(hex=person), None if topic == DIGEST else Kind(topic))
    except (BadSignature, ValueError, TypeError):
        return None


def emails_about(label: str | None) -> str:
    """Which emails a link stops, for "Stop …" and "No more …": of the kind labelled
    `label` ("emails when a task is assigned to me"), or (None) the daily digest."""
    if label is None:
        return "daily digest emails"
    # The labels are sentences ("A task is assigned to me"); "I" stays a capital.
    start = label if label.startswith("I ") else label[:1].lower() + label[1:]
    return f"emails when {start}"
