"""Personal calendar subscriptions: an ICS address per user that a calendar client (Outlook,
Google Calendar, Apple Calendar) polls without a session.

- ``GET /calendar/ics/<token>/mine.ics``: the user's own calendar, the entries whose
  ``peopleIds`` hold them (their events, tasks, leave, bookings, PPAs);
- ``GET /calendar/ics/<token>/team.ics``: for managers and admins, everything they see (a
  staff member's token answers 404 there).

The token is 256 random bits (`secrets.token_urlsafe(32)`). The users table keeps its
SHA-256 (the digest credentials are stored by, `auth.store.secret_digest`), by which a
request is looked up: an index lookup of a digest, so no comparison of secrets whose timing
could tell anything. Beside it, the token sealed (Fernet: AES and HMAC) under a key derived
from the gateway's ``SECRET_KEY``, so that the account page can show the address whenever
its owner looks (a copy of the database alone holds no usable address). A new
``SECRET_KEY`` makes the sealed tokens unreadable: the page then offers only "Regenerate",
and the old addresses keep working until then. Regenerating replaces both: the old address
answers 404 at once. So do a deactivated user's addresses.

The feed is built as the token's user (their role; the services' privacy rules apply) over
`subscription_window` (three months back to a year ahead), asked for in pieces of at most
``MAX_FEED_WINDOW_DAYS``, within the ``MAX_FEED_ENTRIES`` cap, with the feed's Redis cache.
Answers carry a weak ETag of their content and ``Cache-Control: private, no-cache``.
"""

from __future__ import annotations

import base64
import re
import secrets
import uuid
from dataclasses import dataclass
from functools import lru_cache

import msgspec
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from gateway_service.auth.identity import Identity
from gateway_service.auth.store import secret_digest
from gateway_service.db import in_session
from gateway_service.feed.answers import conditional, etag_matches
from gateway_service.feed.service import FeedAggregator, ReceivedEntry, as_dicts, weak_etag
from gateway_service.feed.sources import ALL_MODULES, subscription_window
from gateway_service.formatting import label
from gateway_service.settings import GatewaySettings
from gateway_service.users.models import User
from obcms_platform.auth import Role
from obcms_platform.errors import AppError, NotFoundError
from obcms_platform.feed import max_window_days
from obcms_platform.ics import MEDIA_TYPE as ICS_MEDIA_TYPE
from obcms_platform.ics import build_calendar

PREFIX = "/calendar/ics/{token}/"
MINE = PREFIX + "mine.ics"
TEAM = PREFIX + "team.ics"
# What `secrets.token_urlsafe` makes; anything else is refused before the database is asked.
TOKEN_SYNTAX = re.compile(r"[A-Za-z0-9_-]{20,100}")
SEAL_CONTEXT = b"obcms calendar subscription token"

router = APIRouter(include_in_schema=False)


class SubscriptionNotFoundError(AppError):
    """A token that is not (or no longer) anyone's subscription: never says which."""

    status_code = 404
    code = "not_found"


@lru_cache(maxsize=4)
def _sealer(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=SEAL_CONTEXT).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def issue(user: User, secret_key: str) -> str:
    """Give `user` a new subscription token (the old one stops working); returns it."""
    token = secrets.token_urlsafe(32)
    user.calendar_token_digest = secret_digest(token)
    user.calendar_token_sealed = _sealer(secret_key).encrypt(token.encode()).decode()
    return token


def _unsealed(user: User, secret_key: str) -> str | None:
    if user.calendar_token_sealed is None:
        return None
    try:
        token = _sealer(secret_key).decrypt(user.calendar_token_sealed.encode()).decode()
    except InvalidToken:  # sealed under another SECRET_KEY
        return None
    return token if secret_digest(token) == user.calendar_token_digest else None


def subscriber(session: Session, token: str) -> Identity | None:
    """The active user whose token `token` is."""
    user = session.scalar(
        select(User).where(User.calendar_token_digest == secret_digest(token), User.is_active)
    )
    return None if user is None else Identity.of(user)


@dataclass(frozen=True)
class SubscriptionLinks:
    """The addresses the account page shows (`team` only to managers and admins); none
    when the token cannot be read back (the ``SECRET_KEY`` changed): only a new one can."""

    mine: str | None
    team: str | None


def account_links(request: Request, session: Session, user: User) -> SubscriptionLinks:
    """`user`'s addresses, their token made on their first look (the caller commits)."""
    key = _secret_key(request)
    if user.calendar_token_digest is None:
        session.refresh(user, with_for_update=True)  # two first looks make one token
        if user.calendar_token_digest is None:
            issue(user, key)
    token = _unsealed(user, key)
    if token is None:
        return SubscriptionLinks(None, None)
    base = str(request.base_url).rstrip("/")
    manager = Identity.of(user).has_role(Role.MANAGER)
    return SubscriptionLinks(
        mine=base + MINE.format(token=token),
        team=base + TEAM.format(token=token) if manager else None,
    )


class _PeopleProps(msgspec.Struct):
    peopleIds: list[str] = []  # noqa: N815 - the feed format's name


class _PeopleKeys(msgspec.Struct):
    extendedProps: _PeopleProps  # noqa: N815 - the feed format's name


_PEOPLE_DECODER = msgspec.json.Decoder(_PeopleKeys)


def _on_calendar_of(person: uuid.UUID, entries: list[ReceivedEntry]) -> list[ReceivedEntry]:
    """The entries whose ``peopleIds`` hold `person` (only that key is decoded)."""
    wanted = str(person)
    return [
        entry
        for entry in entries
        if wanted in _PEOPLE_DECODER.decode(entry.raw).extendedProps.peopleIds
    ]


async def _calendar(request: Request, token: str, *, team: bool) -> Response:
    missing = SubscriptionNotFoundError(
        "no calendar subscription at this address: it was regenerated or never existed; "
        "copy the current one from your account page"
    )
    if not TOKEN_SYNTAX.fullmatch(token):
        raise missing
    identity = await in_session(request, lambda session: subscriber(session, token))
    if identity is None or (team and not identity.has_role(Role.MANAGER)):
        raise missing
    feed = await FeedAggregator.for_app(request.app.state).build(
        identity, subscription_window(), list(ALL_MODULES), max_days=max_window_days(request)
    )
    entries = feed.entries if team else _on_calendar_of(identity.id, feed.entries)
    name = f"OBCMS \N{EN DASH} {'team' if team else identity.display_name}"
    base_url = str(request.base_url).rstrip("/")
    etag = weak_etag(
        name.encode(), b"\n", base_url.encode(), b"\n", *(entry.raw for entry in entries)
    )
    # Most polls of a client find nothing new: no calendar is built for those.
    body = (
        b""
        if etag_matches(request, etag)
        else build_calendar(as_dicts(entries), base_url=base_url, name=name, label=label)
    )
    response = conditional(request, etag, body, ICS_MEDIA_TYPE)
    filename = "obcms-team.ics" if team else "obcms-mine.ics"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers.update(feed.limit_headers())
    return response


@router.get(MINE)
async def my_calendar(request: Request, token: str) -> Response:
    return await _calendar(request, token, team=False)


@router.get(TEAM)
async def team_calendar(request: Request, token: str) -> Response:
    return await _calendar(request, token, team=True)


def _secret_key(request: Request) -> str:
    """The ``SECRET_KEY`` the tokens are sealed under."""
    settings: GatewaySettings = request.app.state.settings
    return settings.secret_key


async def regenerate(request: Request, user_id: uuid.UUID) -> None:
    """A new token for `user_id`: their old addresses stop working at once."""
    key = _secret_key(request)

    def renew(session: Session) -> None:
        user = session.get(User, user_id, with_for_update=True)
        if user is None:
            raise NotFoundError("user", user_id)
        issue(user, key)

    await in_session(request, renew, commit=True)
