import time
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from obcms_platform.auth import (
    InternalTokenVerifier,
    InvalidTokenError,
    Principal,
    Role,
    sign_internal_token,
)
from obcms_platform.auth.dev_keys import DEV_INTERNAL_PRIVATE_KEY, DEV_INTERNAL_PUBLIC_KEY
from obcms_platform.auth.tokens import CLOCK_LEEWAY_SECONDS
from obcms_platform.testing.auth import other_private_key

SERVICE = "tasks"


@pytest.fixture
def verifier() -> InternalTokenVerifier:
    return InternalTokenVerifier(DEV_INTERNAL_PUBLIC_KEY, audience=SERVICE)


def test_signed_token_round_trips_user_and_roles(verifier):
    user = uuid.uuid4()
    token = sign_internal_token(DEV_INTERNAL_PRIVATE_KEY, user, [Role.MANAGER], audience=SERVICE)
    principal = verifier.verify(token)
    assert principal == Principal(user_id=user, roles=frozenset({Role.MANAGER}))


def test_a_token_carries_the_persons_time_zone_and_their_today(verifier):
    user = uuid.uuid4()
    token = sign_internal_token(
        DEV_INTERNAL_PRIVATE_KEY, user, [Role.STAFF], audience=SERVICE, time_zone="Europe/London"
    )
    principal = verifier.verify(token)
    assert principal.time_zone == "Europe/London"
    assert principal.today() == datetime.now(ZoneInfo("Europe/London")).date()
    # Without one (or an unknown name): the office's.
    office = Principal(user_id=user, time_zone="Mars/Olympus")
    assert office.today() == datetime.now(ZoneInfo("Asia/Manila")).date()


def test_expired_token_is_refused(verifier):
    token = sign_internal_token(
        DEV_INTERNAL_PRIVATE_KEY,
        uuid.uuid4(),
        [Role.STAFF],
        audience=SERVICE,
        now=datetime.now(UTC) - timedelta(minutes=5),
    )
    with pytest.raises(InvalidTokenError, match="expired"):
        verifier.verify(token)


def test_token_signed_with_another_key_is_refused(verifier):
    token = sign_internal_token(other_private_key(), uuid.uuid4(), [Role.ADMIN], audience=SERVICE)
    with pytest.raises(InvalidTokenError):
        verifier.verify(token)


def test_token_from_another_issuer_is_refused(verifier):
    token = sign_internal_token(
        DEV_INTERNAL_PRIVATE_KEY,
        uuid.uuid4(),
        [Role.STAFF],
        audience=SERVICE,
        issuer="someone-else",
    )
    with pytest.raises(InvalidTokenError, match="issuer"):
        verifier.verify(token)


def test_tampered_payload_is_refused(verifier):
    header, payload, signature = sign_internal_token(
        DEV_INTERNAL_PRIVATE_KEY, uuid.uuid4(), [Role.STAFF], audience=SERVICE
    ).split(".")
    forged_payload = payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB")
    with pytest.raises(InvalidTokenError):
        verifier.verify(f"{header}.{forged_payload}.{signature}")


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer x"])
def test_garbage_is_refused(verifier, garbage):
    with pytest.raises(InvalidTokenError):
        verifier.verify(garbage)


def test_higher_roles_include_lower_ones():
    admin = Principal(uuid.uuid4(), frozenset({Role.ADMIN}))
    staff = Principal(uuid.uuid4(), frozenset({Role.STAFF}))
    assert admin.has_role(Role.MANAGER)
    assert admin.has_role(Role.STAFF)
    assert not staff.has_role(Role.MANAGER)
    assert not Principal(uuid.uuid4()).has_role(Role.STAFF)


def test_a_remembered_token_is_still_refused_after_it_expires(verifier):
    user = uuid.uuid4()
    # Expired 1 s short of the clock leeway: accepted now, refused a little over 1 s later.
    expires = datetime.now(UTC) - timedelta(seconds=CLOCK_LEEWAY_SECONDS - 1)
    token = sign_internal_token(
        DEV_INTERNAL_PRIVATE_KEY,
        user,
        {Role.STAFF},
        audience=SERVICE,
        ttl=timedelta(seconds=10),
        now=expires - timedelta(seconds=10),
    )
    assert verifier.verify(token).user_id == user
    assert verifier.verify(token).user_id == user  # the second check is a lookup
    time.sleep(1.2)
    with pytest.raises(InvalidTokenError):
        verifier.verify(token)
